"""One contract, every implementation: local folder and S3 (moto_server over HTTP)."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from designer_bff.storage import (
    InvalidKey,
    LocalObjectStore,
    ObjectNotFound,
    ObjectStore,
    S3ObjectStore,
    StoredObject,
    build_object_store,
    guess_content_type,
    object_key,
    validate_key,
)

KEY = "user-1/2025-01-31/thumb/img-1.webp"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


async def collect(store: ObjectStore, prefix: str | None = None) -> list[str]:
    return sorted([key async for key in store.list(prefix)])


# -- contract ---------------------------------------------------------------------------


async def test_put_get_head_roundtrip(store: ObjectStore) -> None:
    data = b"\x00\x01design bytes\xff" * 100
    stored = await store.put(KEY, data, "image/webp")
    assert stored == StoredObject(
        key=KEY, size=len(data), etag=md5(data), last_modified=stored.last_modified
    )
    assert await store.get(KEY) == data
    head = await store.head(KEY)
    assert head is not None
    assert (head.key, head.size, head.etag) == (KEY, len(data), md5(data))
    assert head.last_modified is not None
    assert abs((head.last_modified - datetime.now(UTC)).total_seconds()) < 120
    assert await store.exists(KEY)


async def test_overwrite_changes_etag(store: ObjectStore) -> None:
    first = await store.put(KEY, b"one", "image/webp")
    second = await store.put(KEY, b"two!", "image/webp")
    assert first.etag != second.etag
    assert await store.get(KEY) == b"two!"
    head = await store.head(KEY)
    assert head is not None and head.etag == second.etag and head.size == 4


async def test_large_object_etag_is_content_md5(store: ObjectStore) -> None:
    # Above obstore's 5 MiB multipart threshold: still one PUT, so the ETag is the MD5.
    data = bytes(range(256)) * (6 * 4096)
    stored = await store.put(KEY, data, "image/png")
    assert stored.etag == md5(data)
    head = await store.head(KEY)
    assert head is not None and head.etag == md5(data) and head.size == len(data)


async def test_empty_object(store: ObjectStore) -> None:
    stored = await store.put(KEY, b"", "application/octet-stream")
    assert stored.size == 0
    assert await store.get(KEY) == b""


async def test_missing_object(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound) as info:
        await store.get("nobody/2025-01-01/thumb/none.webp")
    assert info.value.key == "nobody/2025-01-01/thumb/none.webp"
    with pytest.raises(ObjectNotFound):
        await store.open_stream("nobody/2025-01-01/thumb/none.webp")
    assert await store.head("nobody/2025-01-01/thumb/none.webp") is None
    assert not await store.exists("nobody/2025-01-01/thumb/none.webp")
    # Deleting what is not there is fine (idempotent cleanup after failures).
    await store.delete("nobody/2025-01-01/thumb/none.webp")
    await store.delete_many(["nobody/2025-01-01/thumb/none.webp", "x/y.png"])


async def test_delete(store: ObjectStore) -> None:
    await store.put(KEY, b"bytes", "image/webp")
    await store.delete(KEY)
    assert not await store.exists(KEY)
    with pytest.raises(ObjectNotFound):
        await store.get(KEY)


async def test_delete_many(store: ObjectStore) -> None:
    keys = [f"u/2025-01-01/preview/{i}.webp" for i in range(5)]
    for key in keys:
        await store.put(key, key.encode(), "image/webp")
    await store.delete_many(keys[:3])
    assert await collect(store, "u") == keys[3:]
    await store.delete_many([])


async def test_list_by_segment_prefix(store: ObjectStore) -> None:
    keys = [
        "u1/2025-01-01/original/a.png",
        "u1/2025-01-01/thumb/a.webp",
        "u1/2025-01-02/thumb/b.webp",
        "u10/2025-01-01/thumb/c.webp",
        "u2/2025-01-01/thumb/d.webp",
    ]
    for key in keys:
        await store.put(key, b"x", guess_content_type(key))
    assert await collect(store) == sorted(keys)
    assert await collect(store, "") == sorted(keys)
    # Whole segments: "u1" must not leak another user's "u10" objects.
    assert await collect(store, "u1") == keys[:3]
    assert await collect(store, "u1/") == keys[:3]
    assert await collect(store, "u1/2025-01-01") == keys[:2]
    assert await collect(store, "u3") == []


async def test_stream_chunks(store: ObjectStore) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB: more than one chunk on every backend
    await store.put(KEY, data, "image/png")
    stream = await store.open_stream(KEY)
    chunks = [chunk async for chunk in stream]
    assert all(isinstance(chunk, bytes) for chunk in chunks)
    assert len(chunks) > 1
    assert b"".join(chunks) == data


async def test_concurrent_puts_distinct_keys(store: ObjectStore) -> None:
    payloads = {f"u/2025-01-01/thumb/{i}.webp": bytes([i]) * (1000 + i) for i in range(20)}
    results = await asyncio.gather(
        *(store.put(key, data, "image/webp") for key, data in payloads.items())
    )
    assert {r.key: r.etag for r in results} == {k: md5(v) for k, v in payloads.items()}
    for key, data in payloads.items():
        assert await store.get(key) == data


async def test_health(store: ObjectStore) -> None:
    assert await store.health() is True


@pytest.mark.parametrize(
    "bad",
    [
        "../etc/passwd",
        "u/../../etc/passwd",
        "/etc/passwd",
        "u/./x.webp",
        "u//x.webp",
        "u/.hidden",
        "u/x.webp/",
        "",
        "u\\..\\x",
        "u/x y.webp",
        "u/%2e%2e/x",
        "a" * 1100,
    ],
)
async def test_key_validation_rejects(store: ObjectStore, bad: str) -> None:
    with pytest.raises(InvalidKey):
        await store.put(bad, b"x", "image/webp")
    with pytest.raises(InvalidKey):
        await store.get(bad)
    with pytest.raises(InvalidKey):
        await store.head(bad)
    with pytest.raises(InvalidKey):
        await store.delete(bad)


async def test_list_rejects_traversal_prefix(store: ObjectStore) -> None:
    with pytest.raises(InvalidKey):
        await collect(store, "../")
    with pytest.raises(InvalidKey):
        await collect(store, "/")


# -- local specifics ----------------------------------------------------------------------


async def test_local_presigned_and_public_are_none(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    await store.put(KEY, b"x", "image/webp")
    assert await store.presigned_url(KEY, timedelta(minutes=5)) is None
    assert store.public_url(KEY) is None


async def test_local_layout_and_no_temp_files(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    await store.put(KEY, b"payload", "image/webp")
    assert (tmp_path / "user-1" / "2025-01-31" / "thumb" / "img-1.webp").read_bytes() == (
        b"payload"
    )
    files = await asyncio.to_thread(lambda: [p for p in tmp_path.rglob("*") if p.is_file()])
    assert files == [tmp_path / "user-1" / "2025-01-31" / "thumb" / "img-1.webp"]


async def test_local_delete_prunes_empty_dirs_but_not_root(tmp_path: Path) -> None:
    root = tmp_path / "media"
    store = LocalObjectStore(root)
    await store.put("u/2025-01-01/thumb/a.webp", b"a", "image/webp")
    await store.put("u/2025-01-01/preview/a.webp", b"a", "image/webp")
    await store.delete("u/2025-01-01/thumb/a.webp")
    assert not (root / "u" / "2025-01-01" / "thumb").exists()
    assert (root / "u" / "2025-01-01" / "preview" / "a.webp").exists()
    await store.delete("u/2025-01-01/preview/a.webp")
    assert not (root / "u").exists()
    assert root.is_dir()


async def test_local_write_is_atomic_for_readers(tmp_path: Path) -> None:
    """Concurrent readers only ever see a complete old or new version."""
    store = LocalObjectStore(tmp_path, fsync=False)
    old, new = b"o" * 300_000, b"n" * 500_000
    await store.put(KEY, old, "image/webp")
    seen: set[bytes] = set()

    async def reader() -> None:
        for _ in range(50):
            seen.add(await store.get(KEY))

    async def writer() -> None:
        for i in range(20):
            await store.put(KEY, new if i % 2 == 0 else old, "image/webp")

    await asyncio.gather(reader(), reader(), writer())
    assert seen <= {old, new}


async def test_local_refuses_symlink_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"secret")
    root = tmp_path / "media"
    store = LocalObjectStore(root)
    (root / "evil").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidKey):
        await store.get("evil/secret.png")


async def test_local_etag_survives_new_instance(tmp_path: Path) -> None:
    await LocalObjectStore(tmp_path).put(KEY, b"content", "image/webp")
    head = await LocalObjectStore(tmp_path).head(KEY)
    assert head is not None and head.etag == md5(b"content")


async def test_local_health_false_when_root_gone(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "media")
    (tmp_path / "media").rmdir()
    assert await store.health() is False


# -- S3 specifics -----------------------------------------------------------------------


async def test_s3_presigned_url_fetchable(
    s3_endpoint: str, s3_bucket: str, s3_store_factory: Callable[..., S3ObjectStore]
) -> None:
    store = s3_store_factory(s3_endpoint, s3_bucket)
    data = b"\x89PNG presigned bytes"
    await store.put("u/2025-01-01/original/p.png", data, "image/png")
    url = await store.presigned_url("u/2025-01-01/original/p.png", timedelta(minutes=5))
    assert url is not None and url.startswith(f"{s3_endpoint}/{s3_bucket}/u/2025-01-01/")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert response.headers["etag"].strip('"') == md5(data)
    assert "immutable" in response.headers["cache-control"]
    assert store.public_url("u/2025-01-01/original/p.png") is None


async def test_s3_presigned_lifetime_bounds(
    s3_endpoint: str, s3_bucket: str, s3_store_factory: Callable[..., S3ObjectStore]
) -> None:
    store = s3_store_factory(s3_endpoint, s3_bucket)
    with pytest.raises(ValueError):
        await store.presigned_url(KEY, timedelta(days=8))
    with pytest.raises(ValueError):
        await store.presigned_url(KEY, timedelta(0))


async def test_s3_public_url_uses_cdn(
    s3_endpoint: str, s3_bucket: str, s3_store_factory: Callable[..., S3ObjectStore]
) -> None:
    store = s3_store_factory(s3_endpoint, s3_bucket, cdn_url="https://cdn.example.com/")
    assert store.public_url(KEY) == f"https://cdn.example.com/{KEY}"


async def test_s3_health_false_fast_when_server_down(
    s3_store_factory: Callable[..., S3ObjectStore],
) -> None:
    # Bind then close: the port is (almost certainly) closed while we probe it.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = s3_store_factory(f"http://127.0.0.1:{port}", "bucket")
    started = time.perf_counter()
    assert await store.health() is False
    assert time.perf_counter() - started < 2.0


async def test_s3_health_false_fast_when_server_hangs(
    s3_store_factory: Callable[..., S3ObjectStore],
) -> None:
    """A server that accepts but never answers (a wedged proxy) also fails fast."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        store = s3_store_factory(f"http://127.0.0.1:{port}", "bucket")
        started = time.perf_counter()
        assert await store.health() is False
        assert time.perf_counter() - started < 2.0
    finally:
        server.close()


async def test_s3_health_false_for_missing_bucket(
    s3_endpoint: str, s3_store_factory: Callable[..., S3ObjectStore]
) -> None:
    store = s3_store_factory(s3_endpoint, "no-such-bucket")
    assert await store.health() is False


# -- keys and factory --------------------------------------------------------------------


def test_object_key_layout() -> None:
    assert object_key(42, date(2025, 3, 9), "original", "abc-123", "PNG") == (
        "42/2025-03-09/original/abc-123.png"
    )
    # Aware datetimes are filed under their UTC day.
    late = datetime(2025, 3, 9, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert object_key("u", late, "thumb", "i", ".webp") == "u/2025-03-10/thumb/i.webp"
    uid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert object_key(uid, date(2025, 1, 1), "preview", uid, "webp").startswith(
        "12345678-1234-5678-1234-567812345678/2025-01-01/preview/"
    )


@pytest.mark.parametrize(
    ("user", "kind", "image", "ext"),
    [
        ("..", "thumb", "i", "webp"),
        ("u", "../x", "i", "webp"),
        ("u", "thumb", "a/b", "webp"),
        ("u", "thumb", "i", "we/bp"),
        ("", "thumb", "i", "webp"),
        ("u", "thumb", "i", ""),
    ],
)
def test_object_key_rejects(user: str, kind: str, image: str, ext: str) -> None:
    with pytest.raises(InvalidKey):
        object_key(user, date(2025, 1, 1), kind, image, ext)


def test_validate_key_accepts_normal_keys() -> None:
    assert validate_key("u/2025-01-01/thumb/x.webp") == "u/2025-01-01/thumb/x.webp"
    assert validate_key("a") == "a"


def test_guess_content_type() -> None:
    assert guess_content_type("u/d/thumb/x.webp") == "image/webp"
    assert guess_content_type("u/d/original/x.JPG") == "image/jpeg"
    assert guess_content_type("u/d/original/x") == "application/octet-stream"


def test_factory_local_by_default(tmp_path: Path) -> None:
    store = build_object_store(media_dir=tmp_path / "m")
    assert isinstance(store, LocalObjectStore) and store.name == "local"
    assert store.root == (tmp_path / "m").resolve()
    # Empty strings (unset env vars) still mean "local".
    assert isinstance(
        build_object_store(media_dir=tmp_path, r2_endpoint="", r2_bucket_name=""),
        LocalObjectStore,
    )


def build_s3(tmp_path: Path, endpoint: str, **settings: Any) -> ObjectStore:
    """The factory with every R2 setting given: these, or placeholders."""
    placeholders: dict[str, Any] = {
        "r2_access_key_id": "id",
        "r2_secret_access_key": "secret",
        "r2_bucket_name": "designs",
        "r2_cdn_url": None,
        "region": None,
    }
    return build_object_store(
        media_dir=tmp_path, r2_endpoint=endpoint, **{**placeholders, **settings}
    )


def test_factory_s3_when_configured(tmp_path: Path) -> None:
    store = build_s3(
        tmp_path, "https://acct.r2.cloudflarestorage.com", r2_cdn_url="https://img.example.com"
    )
    assert isinstance(store, S3ObjectStore) and store.name == "s3"
    assert store.region == "auto"  # R2's documented SigV4 region
    assert store.public_url("u/x.webp") == "https://img.example.com/u/x.webp"
    minio = build_s3(tmp_path, "http://127.0.0.1:9000")
    assert isinstance(minio, S3ObjectStore) and minio.region == "us-east-1"


def test_factory_refuses_partial_s3_config(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="R2_SECRET_ACCESS_KEY"):
        build_s3(tmp_path, "https://acct.r2.cloudflarestorage.com", r2_secret_access_key=None)


async def test_factory_s3_store_works_against_server(
    s3_endpoint: str, s3_bucket: str, tmp_path: Path
) -> None:
    # moto does not check credentials; any pair exercises the factory's wiring.
    store = build_s3(
        tmp_path,
        s3_endpoint,
        r2_access_key_id="factory-key",
        r2_secret_access_key="factory-secret",
        r2_bucket_name=s3_bucket,
    )
    await store.put("f/2025-01-01/thumb/x.webp", b"via factory", "image/webp")
    assert await store.get("f/2025-01-01/thumb/x.webp") == b"via factory"
    assert await store.health()


async def test_local_store_removes_stale_temp_files_only(tmp_path) -> None:
    import os
    import time

    from designer_bff.storage import LocalObjectStore

    store = LocalObjectStore(tmp_path / "media")
    await store.put("u1/2026-01-01/thumb/a.webp", b"x", "image/webp")
    folder = tmp_path / "media" / "u1" / "2026-01-01" / "thumb"
    stale = folder / ".b.webp.0123456789ab.tmp"
    fresh = folder / ".c.webp.ba9876543210.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    assert await store.remove_stale_temp_files(older_than_s=3600) == 1
    assert not stale.exists() and fresh.exists()
    assert await store.get("u1/2026-01-01/thumb/a.webp") == b"x"
