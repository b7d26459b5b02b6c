"""Object storage: one interface (`ObjectStore`), a local folder and an S3 implementation."""

from .base import (
    InvalidKey,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StoredObject,
    guess_content_type,
    object_key,
    validate_key,
)
from .factory import build_object_store, object_store_from_settings
from .local import LocalObjectStore
from .s3 import S3ObjectStore

__all__ = [
    "InvalidKey",
    "LocalObjectStore",
    "ObjectNotFound",
    "ObjectStore",
    "S3ObjectStore",
    "StorageError",
    "StoredObject",
    "build_object_store",
    "guess_content_type",
    "object_key",
    "object_store_from_settings",
    "validate_key",
]
