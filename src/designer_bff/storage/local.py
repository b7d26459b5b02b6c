"""Local-folder object store (the embedded default, e.g. ./var/media).

Why plain files through `asyncio.to_thread` rather than `obstore.store.LocalStore`:
LocalStore does write atomically, but its e_tag is derived from inode/mtime/size, so
the same bytes get a different ETag after a rewrite or a restore from backup, and it
cannot sign URLs anyway. Owning the few file operations lets us give a content ETag
(hex MD5, the same value S3 returns for single-part uploads, so HTTP caches survive a
move between backends), fsync before publishing, keep temp files out of listings and
prune empty day folders on delete.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from threading import Lock
from typing import BinaryIO

from .base import (
    InvalidKey,
    ObjectNotFound,
    ObjectStore,
    StoredObject,
    validate_key,
    validate_prefix,
)

__all__ = ["LocalObjectStore"]

_READ_CHUNK = 256 * 1024
_TMP_SUFFIX = ".tmp"


def _md5_hex(data: bytes) -> str:
    # MD5 as a content fingerprint (S3-compatible ETag), not for security.
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _md5_file(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _EtagCache:
    """Small LRU of content hashes keyed by file identity.

    The key includes inode, size and mtime_ns: an atomic replace always creates a new
    inode, so a stale entry can never be returned for new content.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, int, int, int], str] = OrderedDict()
        self._lock = Lock()  # to_thread calls run on several worker threads

    def get(self, ident: tuple[str, int, int, int]) -> str | None:
        with self._lock:
            value = self._items.get(ident)
            if value is not None:
                self._items.move_to_end(ident)
            return value

    def put(self, ident: tuple[str, int, int, int], etag: str) -> None:
        with self._lock:
            self._items[ident] = etag
            self._items.move_to_end(ident)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)


class LocalObjectStore(ObjectStore):
    """Objects as files under `root`; key `a/b/c.webp` is `root/a/b/c.webp`."""

    name = "local"

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        fsync: bool = True,
        prune_empty_dirs: bool = True,
    ) -> None:
        # fsync before rename: the image row is committed after its objects are written,
        # and a power cut must not leave a row pointing at a zero-length file.
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._prune = prune_empty_dirs
        self._etags = _EtagCache()

    def __repr__(self) -> str:
        return f"LocalObjectStore(root={str(self.root)!r})"

    # -- paths -------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = self.root.joinpath(*key.split("/"))
        # The key alphabet already forbids traversal; resolving also refuses a symlink
        # planted inside the media folder that points outside it.
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise InvalidKey(f"object key escapes the store: {key!r}")
        return path

    def _key_of(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # -- blocking helpers (run in a thread) ---------------------------------------------

    def _write_atomic(self, path: Path, data: bytes) -> None:
        # A concurrent delete may prune the (empty) parent between our mkdir and the
        # temp-file creation; recreate and retry a few times rather than fail the put.
        for attempt in range(5):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}{_TMP_SUFFIX}")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileNotFoundError:
                if attempt == 4:
                    raise
                continue
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    if self._fsync:
                        fh.flush()
                        os.fsync(fh.fileno())
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
            if self._fsync:
                self._fsync_dir(path.parent)
            return

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        # Makes the rename itself durable; not supported on every platform/filesystem.
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def _stat_object(self, key: str, path: Path) -> StoredObject | None:
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not path.is_file():
            return None
        ident = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
        etag = self._etags.get(ident)
        if etag is None:
            try:
                etag = _md5_file(path)
            except FileNotFoundError:
                return None
            self._etags.put(ident, etag)
        return StoredObject(
            key=key,
            size=st.st_size,
            etag=etag,
            last_modified=datetime.fromtimestamp(st.st_mtime, UTC),
        )

    def _remove(self, path: Path) -> None:
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        if self._prune:
            self._prune_parents(path.parent)

    def _prune_parents(self, directory: Path) -> None:
        # Remove now-empty {type}/{date}/{user} folders, never the root itself. rmdir
        # fails harmlessly when a concurrent put has just added a file.
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                    return
                raise
            directory = directory.parent

    def _list_sync(self, prefix: str) -> Iterable[str]:
        base = self.root.joinpath(*prefix.split("/")) if prefix else self.root
        if not base.is_dir():
            return []
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            # Skip hidden folders/files: temp files are ".name.xxxx.tmp".
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for filename in filenames:
                if filename.startswith("."):
                    continue
                keys.append(self._key_of(Path(dirpath) / filename))
        return keys

    async def remove_stale_temp_files(self, older_than_s: float = 3600.0) -> int:
        """Delete temp files a killed writer left behind (a write takes milliseconds, so
        anything older than `older_than_s` belongs to no live write)."""

        def _sweep() -> int:
            cutoff = time.time() - older_than_s
            removed = 0
            for dirpath, _dirnames, filenames in os.walk(self.root):
                for filename in filenames:
                    if not (filename.startswith(".") and filename.endswith(_TMP_SUFFIX)):
                        continue
                    path = Path(dirpath) / filename
                    try:
                        if path.stat().st_mtime < cutoff:
                            path.unlink()
                            removed += 1
                    except FileNotFoundError:
                        continue
            return removed

        return await asyncio.to_thread(_sweep)

    # -- interface ------------------------------------------------------------------------

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        # content_type is not stored: it is derived from the extension when serving
        # (see base.guess_content_type); keys always carry a meaningful extension.
        path = self._path(key)
        payload = bytes(data)
        etag = _md5_hex(payload)
        await asyncio.to_thread(self._write_atomic, path, payload)
        st = await asyncio.to_thread(path.stat)
        self._etags.put((str(path), st.st_ino, st.st_size, st.st_mtime_ns), etag)
        return StoredObject(
            key=key,
            size=len(payload),
            etag=etag,
            last_modified=datetime.fromtimestamp(st.st_mtime, UTC),
        )

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(key) from None

    async def open_stream(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        # Open now so a missing object raises here, before the caller starts a response.
        try:
            fh = await asyncio.to_thread(path.open, "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise ObjectNotFound(key) from None
        return self._iter_file(fh)

    @staticmethod
    async def _iter_file(fh: BinaryIO) -> AsyncIterator[bytes]:
        # Owns the handle: closed when the stream ends, fails or is aclose()d. A stream
        # that is never iterated is closed when it is garbage collected.
        try:
            while chunk := await asyncio.to_thread(fh.read, _READ_CHUNK):
                yield chunk
        finally:
            fh.close()

    async def head(self, key: str) -> StoredObject | None:
        path = self._path(key)
        return await asyncio.to_thread(self._stat_object, key, path)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(self._remove, path)

    async def delete_many(self, keys: Iterable[str]) -> None:
        paths = [self._path(key) for key in keys]  # validate all before deleting any

        def _remove_all() -> None:
            for path in paths:
                self._remove(path)

        await asyncio.to_thread(_remove_all)

    async def presigned_url(self, key: str, expires: timedelta) -> str | None:
        # A folder cannot sign URLs: the API streams the file itself (with ETag).
        validate_key(key)
        return None

    def public_url(self, key: str) -> str | None:
        validate_key(key)
        return None

    async def list(self, prefix: str | None = None) -> AsyncIterator[str]:
        clean = validate_prefix(prefix)
        for key in await asyncio.to_thread(self._list_sync, clean):
            yield key

    async def health(self) -> bool:
        def _check() -> bool:
            return self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)

        try:
            return await asyncio.wait_for(asyncio.to_thread(_check), timeout=1.0)
        except (TimeoutError, OSError):
            return False
