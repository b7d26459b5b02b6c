"""The object-store interface: one small contract, one module per implementation.

Business code (the generation pipeline, the file routes) talks only to `ObjectStore`;
`factory.build_object_store` picks the implementation from configuration. Keys are
plain relative paths (`{userId}/{yyyy-mm-dd}/{type}/{imageId}.{ext}`) that are valid
on every backend, so a deployment can move from the local folder to S3 by copying.
"""

from __future__ import annotations

import mimetypes
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "InvalidKey",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "StoredObject",
    "guess_content_type",
    "object_key",
    "validate_key",
    "validate_prefix",
]

# Longest key S3 accepts is 1024 bytes; we stay under it on every backend.
MAX_KEY_LENGTH = 1024

# One path segment: a conservative, URL-safe alphabet. Restricting the alphabet (rather
# than trying to blacklist dangerous characters) makes keys identical on a POSIX folder,
# S3, R2 and in URLs without any escaping, and makes traversal impossible by design.
# A segment may not start with "." so `.`/`..`, hidden files and the local store's
# temporary files can never be addressed as keys.
_SEGMENT = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]*")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
_EXT = re.compile(r"[a-z0-9]+")

# Extensions mimetypes may not know on a bare system (webp/avif are missing from older
# tables); the map keeps responses right without depending on /etc/mime.types.
_CONTENT_TYPES = {
    "webp": "image/webp",
    "avif": "image/avif",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "svg": "image/svg+xml",
    "json": "application/json",
}


class StorageError(Exception):
    """Base class for object-store errors."""


class ObjectNotFound(StorageError, KeyError):
    """The key does not exist. Subclasses KeyError so mapping-style callers can catch it."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"object not found: {self.key}"


class InvalidKey(StorageError, ValueError):
    """A key or prefix that could escape the store or is not portable across backends."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What a store knows about one object.

    `etag` is the quoted-less content hash: the hex MD5 of the bytes on the local store
    and on S3 for single-part uploads (S3 multipart uploads, used above 5 MiB, have an
    opaque etag). Treat it as opaque: equal etags mean equal content.
    """

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None


def validate_key(key: str) -> str:
    """Return `key` unchanged if it is a safe, portable object key, else raise InvalidKey."""
    if not isinstance(key, str) or not key:
        raise InvalidKey("object key must be a non-empty string")
    if len(key.encode()) > MAX_KEY_LENGTH:
        raise InvalidKey(f"object key longer than {MAX_KEY_LENGTH} bytes")
    if key.startswith("/"):
        raise InvalidKey(f"object key must be relative: {key!r}")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise InvalidKey(f"invalid segment {segment!r} in object key {key!r}")
    return key


def validate_prefix(prefix: str | None) -> str:
    """Normalise a listing prefix: "" lists everything; otherwise whole path segments.

    Prefixes match on segment boundaries (`u1` lists `u1/...` but not `u10/...`), which
    is how obstore lists and what per-user isolation needs.
    """
    if prefix is None:
        return ""
    stripped = prefix.rstrip("/")
    if not stripped:
        if prefix:
            raise InvalidKey(f"invalid prefix {prefix!r}")
        return ""
    validate_key(stripped)
    return stripped


def _segment_token(value: object, what: str) -> str:
    text = str(value)
    if not _TOKEN.fullmatch(text):
        raise InvalidKey(f"{what} {text!r} is not usable in an object key")
    return text


def object_key(
    user_id: object,
    when: date | datetime,
    kind: str,
    image_id: object,
    ext: str,
) -> str:
    """Build `{userId}/{yyyy-mm-dd}/{type}/{imageId}.{ext}`.

    `user_id`/`image_id` may be UUIDs, ints or strings (their `str()` is used). An aware
    datetime is converted to UTC first so every process files the same image under the
    same day; a naive one is taken as it is.
    """
    if isinstance(when, datetime):
        day = (when.astimezone(UTC) if when.tzinfo is not None else when).date()
    elif isinstance(when, date):
        day = when
    else:
        raise InvalidKey(f"when must be a date or datetime, not {type(when).__name__}")
    ext_clean = ext.lower().removeprefix(".")
    if not _EXT.fullmatch(ext_clean):
        raise InvalidKey(f"invalid extension {ext!r}")
    key = (
        f"{_segment_token(user_id, 'user id')}/{day.isoformat()}/"
        f"{_segment_token(kind, 'kind')}/{_segment_token(image_id, 'image id')}.{ext_clean}"
    )
    return validate_key(key)


def guess_content_type(key: str) -> str:
    """Content type from the key's extension (the local store keeps no metadata)."""
    ext = key.rsplit(".", 1)[-1].lower() if "." in key.rsplit("/", 1)[-1] else ""
    if ext in _CONTENT_TYPES:
        return _CONTENT_TYPES[ext]
    guessed, _ = mimetypes.guess_type(f"x.{ext}") if ext else (None, None)
    return guessed or "application/octet-stream"


class ObjectStore(ABC):
    """Async object storage. Keys are validated with `validate_key` by every method."""

    #: Short backend name for logs, metrics and /health ("local", "s3").
    name: str

    @abstractmethod
    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store `data` under `key` atomically (readers see the old or the new bytes)."""

    @abstractmethod
    async def get(self, key: str) -> bytes:
        """Return the whole object; raise ObjectNotFound when missing."""

    @abstractmethod
    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        """Return an async iterator of chunks.

        Awaiting this raises ObjectNotFound before any chunk is produced, so an HTTP
        handler can answer 404 before it starts a streaming response.
        """

    @abstractmethod
    async def head(self, key: str) -> StoredObject | None:
        """Metadata of the object, or None when missing."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Delete the object; deleting a missing object is not an error."""

    @abstractmethod
    async def delete_many(self, keys: Iterable[str]) -> None:
        """Delete many objects (missing ones are ignored)."""

    async def exists(self, key: str) -> bool:
        return await self.head(key) is not None

    @abstractmethod
    async def presigned_url(self, key: str, expires: timedelta) -> str | None:
        """A short-lived GET URL, or None when the backend cannot sign (stream instead)."""

    @abstractmethod
    def public_url(self, key: str) -> str | None:
        """A permanent public URL (CDN) when one is configured, else None."""

    @abstractmethod
    def list(self, prefix: str | None = None) -> AsyncIterator[str]:
        """Iterate the keys under `prefix` (whole segments), in no particular order."""

    @abstractmethod
    async def health(self) -> bool:
        """True when the backend answers; returns False (never raises) within ~1 s."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release resources held by the store (no-op by default)."""
