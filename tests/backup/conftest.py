"""The S3-protocol server of the storage tests (started only when a test asks for it)."""

from tests.storage.conftest import s3_endpoint

__all__ = ["s3_endpoint"]
