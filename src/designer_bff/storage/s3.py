"""S3-compatible object store (Cloudflare R2, AWS S3, MinIO) on obstore.

obstore (Rust object_store) gives native async I/O, SigV4 signing for presigned URLs
and retries with backoff, without a botocore stack in the API process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import obstore
import obstore.exceptions
from obstore.store import S3Store

from .base import (
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StoredObject,
    validate_key,
    validate_prefix,
)

if TYPE_CHECKING:
    from obstore import ObjectMeta
    from obstore.store import ClientConfig

__all__ = ["DEFAULT_CACHE_CONTROL", "S3ObjectStore"]

# Keys embed the image id and objects are never rewritten in place, so clients may
# cache them forever. "private" because a presigned URL is per-user; a CDN deployment
# (public bucket behind R2_CDN_URL) should pass "public, max-age=31536000, immutable".
DEFAULT_CACHE_CONTROL = "private, max-age=31536000, immutable"

# SigV4 presigned URLs are valid for at most 7 days.
_MAX_PRESIGN = timedelta(days=7)
_STREAM_CHUNK = 256 * 1024
_SINGLE_PUT_MAX = 64 * 1024 * 1024
_HEALTH_TIMEOUT_S = 1.0


def _strip_etag(etag: str | None) -> str:
    # S3 returns the ETag quoted ("\"abc\""); store it bare so it compares equal to the
    # local store's and so the HTTP layer can quote it once.
    return (etag or "").strip().removeprefix("W/").strip('"')


def _meta_to_object(key: str, meta: ObjectMeta) -> StoredObject:
    return StoredObject(
        key=key,
        size=int(meta["size"]),
        etag=_strip_etag(meta.get("e_tag")),
        last_modified=meta.get("last_modified"),
    )


@contextmanager
def _translate(op: str, key: str) -> Iterator[None]:
    """Map obstore errors onto ours: callers never see a driver exception."""
    try:
        yield
    except FileNotFoundError:
        # obstore maps 404 to the built-in FileNotFoundError, not its NotFoundError.
        raise ObjectNotFound(key) from None
    except obstore.exceptions.BaseError as exc:
        raise StorageError(f"{op} {key!r} failed: {exc}") from exc


class S3ObjectStore(ObjectStore):
    """Objects in one bucket of an S3-protocol server."""

    name = "s3"

    def __init__(
        self,
        *,
        endpoint: str | None,
        bucket: str,
        access_key_id: str,
        secret_access_key: str,
        region: str | None = None,
        cdn_url: str | None = None,
        cache_control: str | None = DEFAULT_CACHE_CONTROL,
        request_timeout: timedelta = timedelta(seconds=30),
        max_retries: int = 3,
    ) -> None:
        if not bucket:
            raise ValueError("bucket is required")
        self.bucket = bucket
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.region = region or default_region(self.endpoint)
        self.cdn_url = cdn_url.rstrip("/") if cdn_url else None
        self._cache_control = cache_control
        config: dict[str, Any] = {
            "region": self.region,
            "access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
        }
        client: ClientConfig = {"timeout": request_timeout}
        if self.endpoint:
            config["endpoint"] = self.endpoint
            # Path-style (`endpoint/bucket/key`): works for R2, MinIO and loopback test
            # servers alike; virtual-hosted style needs wildcard DNS for the bucket.
            config["virtual_hosted_style_request"] = False
            # A loopback or in-cluster MinIO speaks plain HTTP; without this obstore
            # refuses with "builder error".
            if urlsplit(self.endpoint).scheme == "http":
                client["allow_http"] = True
        self._store = S3Store(
            bucket,
            client_options=client,
            retry_config={
                "max_retries": max_retries,
                "retry_timeout": timedelta(seconds=60),
                "backoff": {
                    "init_backoff": timedelta(milliseconds=100),
                    "max_backoff": timedelta(seconds=5),
                    "base": 2,
                },
            },
            **config,
        )
        # A second client for health checks: no retries and short timeouts. With the
        # defaults a refused connection takes ~2 s to surface (NOTES), too slow for a
        # readiness probe.
        self._health_store = S3Store(
            bucket,
            client_options={
                **client,
                "connect_timeout": timedelta(milliseconds=500),
                "timeout": timedelta(milliseconds=900),
            },
            retry_config={"max_retries": 0, "retry_timeout": timedelta(seconds=1)},
            **config,
        )

    def __repr__(self) -> str:
        return (
            f"S3ObjectStore(endpoint={self.endpoint!r}, bucket={self.bucket!r}, "
            f"region={self.region!r})"
        )

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        validate_key(key)
        attributes: dict[str, str] = {"Content-Type": content_type}
        if self._cache_control:
            attributes["Cache-Control"] = self._cache_control
        payload = bytes(data)
        with _translate("put", key):
            # One PUT up to 64 MiB (S3 allows 5 GiB): the ETag then stays the content MD5,
            # equal to the local store's, and there are no multipart leftovers to reap.
            result = await obstore.put_async(
                self._store,
                key,
                payload,
                attributes=attributes,
                use_multipart=len(payload) > _SINGLE_PUT_MAX,
            )
        return StoredObject(key=key, size=len(payload), etag=_strip_etag(result.get("e_tag")))

    async def get(self, key: str) -> bytes:
        validate_key(key)
        with _translate("get", key):
            result = await obstore.get_async(self._store, key)
            return bytes(await result.bytes_async())

    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        validate_key(key)
        with _translate("get", key):
            # The GET is issued here, so a missing object raises before any chunk.
            result = await obstore.get_async(self._store, key)
        return self._iter_result(result.stream(min_chunk_size=_STREAM_CHUNK))

    @staticmethod
    async def _iter_result(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in stream:
            yield bytes(chunk)

    async def head(self, key: str) -> StoredObject | None:
        validate_key(key)
        try:
            with _translate("head", key):
                meta = await obstore.head_async(self._store, key)
        except ObjectNotFound:
            return None
        return _meta_to_object(key, meta)

    async def delete(self, key: str) -> None:
        validate_key(key)
        try:
            with _translate("delete", key):
                await obstore.delete_async(self._store, key)
        except ObjectNotFound:
            return

    async def delete_many(self, keys: Iterable[str]) -> None:
        batch = [validate_key(key) for key in keys]
        if not batch:
            return
        try:
            with _translate("delete", batch[0]):
                # One DeleteObjects request per 1000 keys (obstore batches).
                await obstore.delete_async(self._store, batch)
        except ObjectNotFound:
            return

    async def presigned_url(self, key: str, expires: timedelta) -> str | None:
        validate_key(key)
        if not timedelta(seconds=1) <= expires <= _MAX_PRESIGN:
            raise ValueError("presigned URL lifetime must be between 1 second and 7 days")
        # Signing is local computation (no request): the caller checks existence.
        return await obstore.sign_async(self._store, "GET", key, expires)

    def public_url(self, key: str) -> str | None:
        validate_key(key)
        if not self.cdn_url:
            return None
        return f"{self.cdn_url}/{quote(key, safe='/')}"

    async def list(self, prefix: str | None = None) -> AsyncIterator[str]:
        clean = validate_prefix(prefix)
        stream = obstore.list(self._store, clean or None, chunk_size=500)
        with _translate("list", clean):
            async for batch in stream:
                for meta in batch:
                    yield meta["path"]

    async def health(self) -> bool:
        # One ListObjectsV2 under a prefix that holds nothing: proves the endpoint
        # answers, the credentials are accepted and the bucket exists.
        async def _probe() -> None:
            await obstore.list_with_delimiter_async(self._health_store, "__health__")

        try:
            await asyncio.wait_for(_probe(), timeout=_HEALTH_TIMEOUT_S)
        except (TimeoutError, OSError, obstore.exceptions.BaseError):
            return False
        return True


def default_region(endpoint: str | None) -> str:
    """Region for SigV4 when none is configured.

    Cloudflare R2 documents region "auto"; AWS, MinIO and local test servers accept
    "us-east-1" (MinIO's default region).
    """
    host = (urlsplit(endpoint).hostname or "") if endpoint else ""
    if host.endswith(".r2.cloudflarestorage.com"):
        return "auto"
    return "us-east-1"
