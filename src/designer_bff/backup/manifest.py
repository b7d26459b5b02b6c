"""A backup folder's table of contents, and its verification (files and JSON only: no
database, no network).

Layout of a backup folder:

    manifest.json        written last: a folder without it is not (yet) a backup
    database.dump        pg_dump custom format (PostgreSQL), or
    database.sqlite3     a copy made with SQLite's online backup API
    objects.jsonl        one line per stored object: {"key", "size", "sha256"}
    objects/<key>        the object's bytes

The object list lives in its own JSON-lines file, checksummed by the manifest, so a
deployment with millions of objects is written and verified as a stream rather than held
in memory as one JSON document.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from designer_bff.storage.base import InvalidKey, validate_key

from .progress import NoProgress, Progress

FORMAT = "designer-bff-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
OBJECTS_INDEX = "objects.jsonl"
OBJECTS_DIR = "objects"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
# Backups hold password hashes and every designer's work: owner-only.
FILE_MODE = 0o600
DIR_MODE = 0o700

_CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Objects checked per batch (bounded memory however many the backup holds).
_VERIFY_BATCH = 1024

Backend = Literal["postgresql", "sqlite"]


class ManifestError(Exception):
    """The folder is not a usable backup; the message says why, for an operator."""


@dataclass(frozen=True, slots=True)
class FileSum:
    size: int
    sha256: str


class Digest:
    """sha256 and byte count of data seen in chunks."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)

    def result(self) -> FileSum:
        return FileSum(self.size, self._hash.hexdigest())


def file_sum(path: Path) -> FileSum:
    digest = Digest()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.result()


def bytes_sum(data: bytes) -> FileSum:
    return FileSum(len(data), hashlib.sha256(data).hexdigest())


@dataclass(frozen=True, slots=True)
class ObjectEntry:
    key: str
    size: int
    sha256: str

    def to_line(self) -> str:
        return json.dumps({"key": self.key, "size": self.size, "sha256": self.sha256}) + "\n"

    @classmethod
    def from_line(cls, line: str) -> ObjectEntry:
        try:
            raw = json.loads(line)
            entry = cls(str(raw["key"]), int(raw["size"]), str(raw["sha256"]))
            validate_key(entry.key)  # a key is also a path under objects/: no escaping it
        except (ValueError, KeyError, TypeError, InvalidKey) as exc:
            raise ManifestError(f"{OBJECTS_INDEX}: unreadable line: {line.strip()[:200]}") from exc
        if entry.size < 0 or not _SHA256.fullmatch(entry.sha256):
            raise ManifestError(f"{OBJECTS_INDEX}: bad entry for {entry.key}")
        return entry


@dataclass
class DatabasePart:
    backend: Backend
    file: str
    size: int
    sha256: str
    # The schema's Alembic revision at the snapshot.
    revision: str | None
    # Rows per table at the snapshot (the dump holds exactly these).
    tables: dict[str, int]
    server_version: str | None = None
    # pg_dump's major version: pg_restore must be at least as new.
    dump_tool_major: int | None = None


@dataclass
class ObjectsPart:
    store: str
    count: int
    bytes: int
    index: str
    index_size: int
    index_sha256: str
    # Listed, then deleted before they could be copied (a design purged meanwhile).
    vanished: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    app_version: str
    started_at: str
    completed_at: str
    database: DatabasePart
    objects: ObjectsPart
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        try:
            raw: dict[str, Any] = json.loads(text)
        except ValueError as exc:
            raise ManifestError(f"{MANIFEST} is not valid JSON: {exc}") from exc
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ManifestError(f"{MANIFEST} is not a designer-bff backup manifest")
        if raw.get("format_version") != FORMAT_VERSION:
            raise ManifestError(
                f"{MANIFEST} has format version {raw.get('format_version')!r}; "
                f"this version of designer-bff reads {FORMAT_VERSION}"
            )
        try:
            database = DatabasePart(**raw["database"])
            objects = ObjectsPart(**raw["objects"])
            manifest = cls(
                app_version=str(raw["app_version"]),
                started_at=str(raw["started_at"]),
                completed_at=str(raw["completed_at"]),
                database=database,
                objects=objects,
            )
        except (KeyError, TypeError) as exc:
            raise ManifestError(f"{MANIFEST} is incomplete: {exc}") from exc
        for name in (database.file, objects.index):
            if "/" in name or name.startswith("."):
                raise ManifestError(f"{MANIFEST} names a file outside the backup: {name!r}")
        if database.backend not in ("postgresql", "sqlite"):
            raise ManifestError(f"{MANIFEST}: unknown database backend {database.backend!r}")
        return manifest

    @property
    def rows(self) -> int:
        return sum(self.database.tables.values())


def object_path(root: Path, key: str) -> Path:
    return root / OBJECTS_DIR / validate_key(key)


def open_new(path: Path) -> int:
    """A new owner-only file (never an existing one: a backup never overwrites)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(root: Path, manifest: Manifest) -> None:
    """Publish the manifest atomically. The caller has fsynced what it describes, so a
    manifest that survives a power cut never describes files that did not."""
    tmp = root / f".{MANIFEST}.tmp"
    with os.fdopen(open_new(tmp), "w") as fh:
        fh.write(manifest.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / MANIFEST)
    fsync_dir(root)


def read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    if not root.is_dir():
        raise ManifestError(f"{root} is not a folder")
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ManifestError(
            f"{root} has no {MANIFEST}: it is not a backup, or an incomplete one "
            "(a backup that stopped before the end leaves none)"
        ) from None
    return Manifest.from_json(text)


def read_index(root: Path, manifest: Manifest) -> Iterator[ObjectEntry]:
    with (root / manifest.objects.index).open() as fh:
        for line in fh:
            if line.strip():
                yield ObjectEntry.from_line(line)


@dataclass(frozen=True, slots=True)
class Problem:
    """A file of the backup that cannot be trusted: its path in the folder, and why."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


def check_file(path: Path, expected: FileSum) -> str | None:
    """Why `path` does not hold the expected bytes, or None when it does."""
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    if not path.is_file():
        return "not a file"
    if size != expected.size:
        return f"size {size}, expected {expected.size}"
    if file_sum(path).sha256 != expected.sha256:
        return "sha256 differs from the manifest"
    return None


def verify_folder(
    root: Path, progress: Progress | None = None, threads: int = 4
) -> tuple[Manifest, list[Problem]]:
    """Re-check every checksum against the manifest. Raises ManifestError when the folder
    is not a complete backup at all; returns the bad files otherwise (empty: all good)."""
    progress = progress or NoProgress()
    manifest = read_manifest(root)
    problems: list[Problem] = []
    db = manifest.database
    reason = check_file(root / db.file, FileSum(db.size, db.sha256))
    if reason:
        problems.append(Problem(db.file, reason))
    part = manifest.objects
    reason = check_file(root / part.index, FileSum(part.index_size, part.index_sha256))
    if reason:
        # The object list itself is damaged: none of its entries can be trusted.
        problems.append(Problem(part.index, reason))
        return manifest, problems
    progress.start("Checking objects", total=part.count)
    keys: set[str] = set()
    count = total = 0
    entries = read_index(root, manifest)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        while batch := list(islice(entries, _VERIFY_BATCH)):
            reasons = pool.map(
                lambda e: check_file(object_path(root, e.key), FileSum(e.size, e.sha256)), batch
            )
            for entry, why in zip(batch, reasons, strict=True):
                if why:
                    problems.append(Problem(f"{OBJECTS_DIR}/{entry.key}", why))
                keys.add(entry.key)
                count += 1
                total += entry.size
            progress.advance("Checking objects", len(batch))
    progress.finish("Checking objects")
    if count != part.count or total != part.bytes:
        problems.append(
            Problem(
                part.index,
                f"lists {count} objects ({total} bytes); the manifest says "
                f"{part.count} ({part.bytes} bytes)",
            )
        )
    objects_dir = root / OBJECTS_DIR
    if objects_dir.is_dir():
        for dirpath, _dirs, files in os.walk(objects_dir):
            for name in files:
                rel = (Path(dirpath) / name).relative_to(objects_dir).as_posix()
                if rel not in keys:
                    problems.append(Problem(f"{OBJECTS_DIR}/{rel}", "not in the manifest"))
    return manifest, problems


__all__ = [
    "FORMAT",
    "MANIFEST",
    "OBJECTS_DIR",
    "OBJECTS_INDEX",
    "PG_DUMP_FILE",
    "SQLITE_FILE",
    "DatabasePart",
    "Digest",
    "FileSum",
    "Manifest",
    "ManifestError",
    "ObjectEntry",
    "ObjectsPart",
    "Problem",
    "bytes_sum",
    "check_file",
    "file_sum",
    "object_path",
    "read_index",
    "read_manifest",
    "verify_folder",
    "write_manifest",
]
