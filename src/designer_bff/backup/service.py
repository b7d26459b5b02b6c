"""Create, restore and verify backups, for SQLite and PostgreSQL and for every object store.

Consistency: the database is snapshotted first (one pg_dump snapshot, or SQLite's online
backup API), then the objects are copied. Objects are written before the rows that name
them are committed, so every object a row of the snapshot names already existed; the
only ones that can vanish meanwhile belong to designs purged after their grace period
(listed in the manifest as `vanished`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from designer_bff import __version__
from designer_bff.config import Settings
from designer_bff.db import migrate
from designer_bff.db.base import utcnow
from designer_bff.db.session import secure_sqlite_file, sqlite_path
from designer_bff.storage import (
    ObjectNotFound,
    ObjectStore,
    StorageError,
    guess_content_type,
    object_store_from_settings,
)

from .manifest import (
    DIR_MODE,
    OBJECTS_DIR,
    OBJECTS_INDEX,
    PG_DUMP_FILE,
    SQLITE_FILE,
    DatabasePart,
    Digest,
    FileSum,
    Manifest,
    ManifestError,
    ObjectEntry,
    ObjectsPart,
    Problem,
    bytes_sum,
    file_sum,
    fsync_dir,
    object_path,
    open_new,
    read_index,
    read_manifest,
    verify_folder,
    write_manifest,
)
from .progress import NoProgress, Progress

T = TypeVar("T")

# Objects copied (or put back) at once: enough to hide S3 latency.
DEFAULT_CONCURRENCY = 8
ALEMBIC_TABLE = "alembic_version"
TASK_DATABASE = "Database"
TASK_OBJECTS = "Objects"
# Bad files named in an error message (all of them are in `backup verify`'s output).
_SHOWN_PROBLEMS = 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator."""


def store_from_settings(settings: Settings) -> ObjectStore:
    """The deployment's object store, chosen by the project's own factory."""
    try:
        return object_store_from_settings(settings)
    except ValueError as exc:
        raise BackupError(str(exc)) from exc


# -- PostgreSQL client tools ---------------------------------------------------------------

_TOOL_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def libpq_env(url: str) -> tuple[dict[str, str], str]:
    """Environment for pg_dump / pg_restore from DATABASE_URL, and the database name.
    The password travels in PGPASSWORD, never on a command line others can read."""
    parsed = make_url(url)
    if not parsed.database:
        raise BackupError("DATABASE_URL names no database")
    env = dict(os.environ)
    values: dict[str, object] = {
        "PGHOST": parsed.host,
        "PGPORT": parsed.port,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
    }
    host = parsed.query.get("host")  # a Unix socket folder
    if isinstance(host, str) and host:
        values["PGHOST"] = host
    ssl = parsed.query.get("sslmode") or parsed.query.get("ssl")
    if isinstance(ssl, str) and ssl:
        values["PGSSLMODE"] = {"true": "require", "1": "require"}.get(ssl.lower(), ssl)
    for name, value in values.items():
        if value is not None:
            env[name] = str(value)
    return env, parsed.database


def tool_major(path: Path) -> int | None:
    """The major version a PostgreSQL client tool reports, or None if it does not run."""
    try:
        out = subprocess.run(  # noqa: S603 - a path we chose, no shell
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _TOOL_VERSION.search(out)
    return int(match.group(1)) if match else None


def _version_dir(path: Path) -> int:
    name = path.parent.parent.name.removeprefix("pgsql-")
    return int(name) if name.isdigit() else -1


def find_pg_tool(name: str, at_least: int, bin_dir: Path | None, prefer: int | None = None) -> str:
    """`pg_dump` / `pg_restore` of major version `at_least` or newer: BACKUP_PG_BIN_DIR's
    when set, else the one matching `prefer` (the server's major version), else the newest
    installed. pg_dump refuses servers newer than itself; pg_restore archives of newer
    pg_dumps."""
    candidates: list[Path]
    if bin_dir is not None:
        candidates = [bin_dir / name]
    else:
        installed = [
            *Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),  # Debian, Ubuntu
            *Path("/usr").glob(f"pgsql-*/bin/{name}"),  # PGDG packages on RHEL
        ]
        installed.sort(key=lambda p: (_version_dir(p) == (prefer or at_least), _version_dir(p)))
        candidates = list(reversed(installed))
        on_path = shutil.which(name)
        if on_path:
            candidates.append(Path(on_path))
    seen: list[str] = []
    for candidate in candidates:
        if not candidate.is_file():
            continue
        major = tool_major(candidate)
        seen.append(f"{candidate} ({major or 'unknown version'})")
        if major is not None and major >= at_least:
            return str(candidate)
    where = f"in BACKUP_PG_BIN_DIR={bin_dir}" if bin_dir is not None else "installed"
    found = f" (found: {', '.join(seen)})" if seen else ""
    raise BackupError(
        f"no {name} of PostgreSQL {at_least} or newer {where}{found}: install the "
        f"PostgreSQL {prefer or at_least} client tools or point BACKUP_PG_BIN_DIR at them"
    )


async def _run_tool(args: list[str], env: dict[str, str], what: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _out, err = await proc.communicate()
    except BaseException:
        # Cancelled (the scheduler stopping): the tool must not outlive us.
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        message = err.decode(errors="replace").strip()[-2000:]
        raise BackupError(f"{what} failed (exit status {proc.returncode}): {message}")


# -- the database: one consistent snapshot ----------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _pg_tables(conn: AsyncConnection) -> list[str]:
    rows = await conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")
    )
    return [str(r[0]) for r in rows]


async def _pg_counts(conn: AsyncConnection, tables: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in tables:  # names read from the catalogue, quoted
        query = text(f"SELECT count(*) FROM {_quote(table)}")  # noqa: S608
        counts[table] = int(await conn.scalar(query) or 0)
    return counts


async def _pg_revision(conn: AsyncConnection, tables: list[str]) -> str | None:
    if ALEMBIC_TABLE not in tables:
        return None
    value = await conn.scalar(text(f"SELECT version_num FROM {ALEMBIC_TABLE}"))  # noqa: S608
    return str(value) if value is not None else None


def _pg_engine(url: str) -> AsyncEngine:
    # One short-lived connection at a time: no pool to keep.
    return create_async_engine(url, poolclass=NullPool)


async def _dump_postgres(settings: Settings, out: Path) -> DatabasePart:
    url = settings.sqlalchemy_url
    env, dbname = libpq_env(url)
    engine = _pg_engine(url)
    try:
        async with engine.connect() as plain:
            conn = await plain.execution_options(isolation_level="REPEATABLE READ")
            # The transaction's first statement fixes its snapshot; exported, pg_dump reads
            # the very same one, so the counts below describe exactly what it dumps.
            snapshot = str(await conn.scalar(text("SELECT pg_export_snapshot()")))
            server_major = int(await conn.scalar(text("SHOW server_version_num")) or 0) // 10000
            server_version = str(await conn.scalar(text("SHOW server_version")))
            tables = await _pg_tables(conn)
            counts = await _pg_counts(conn, tables)
            revision = await _pg_revision(conn, tables)
            tool = await asyncio.to_thread(
                find_pg_tool, "pg_dump", server_major, settings.backup_pg_bin_dir
            )
            os.close(open_new(out))  # owner-only before pg_dump writes into it
            await _run_tool(
                [
                    tool,
                    "--format=custom",
                    "--no-password",
                    f"--snapshot={snapshot}",
                    f"--file={out}",
                    f"--dbname={dbname}",
                ],
                env,
                "pg_dump",
            )
            dump_major = await asyncio.to_thread(tool_major, Path(tool))
            await conn.rollback()
    finally:
        await engine.dispose()
    summed = await asyncio.to_thread(file_sum, out)
    return DatabasePart(
        backend="postgresql",
        file=PG_DUMP_FILE,
        size=summed.size,
        sha256=summed.sha256,
        revision=revision,
        tables=counts,
        server_version=server_version,
        dump_tool_major=dump_major,
    )


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [str(r[0]) for r in rows]


def _sqlite_counts(conn: sqlite3.Connection, tables: Iterable[str]) -> dict[str, int]:
    return {
        t: int(conn.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0])  # noqa: S608
        for t in tables
    }


def _sqlite_revision(conn: sqlite3.Connection, tables: list[str]) -> str | None:
    if ALEMBIC_TABLE not in tables:
        return None
    row = conn.execute(f"SELECT version_num FROM {ALEMBIC_TABLE}").fetchone()  # noqa: S608
    return str(row[0]) if row else None


def _sqlite_file(settings: Settings) -> Path:
    path = sqlite_path(settings.sqlalchemy_url)
    if path is None:
        raise BackupError("DATABASE_URL names an in-memory SQLite database: nothing to back up")
    return path


def _dump_sqlite(settings: Settings, out: Path) -> DatabasePart:
    path = _sqlite_file(settings)
    if not path.is_file():
        raise BackupError(f"no database at {path} (nothing to back up)")
    os.close(open_new(out))
    src = sqlite3.connect(path, timeout=30)
    try:
        dst = sqlite3.connect(out)
        try:
            # In one step: the copy is one consistent snapshot, taken while the service
            # keeps writing (WAL readers do not block writers).
            src.backup(dst)
            # One self-contained file (no -wal beside it), checked before it is trusted.
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the database copy fails SQLite's check: {check}")
            tables = _sqlite_tables(dst)
            counts = _sqlite_counts(dst, tables)
            revision = _sqlite_revision(dst, tables)
        finally:
            dst.close()
    finally:
        src.close()
    summed = file_sum(out)
    return DatabasePart(
        backend="sqlite",
        file=SQLITE_FILE,
        size=summed.size,
        sha256=summed.sha256,
        revision=revision,
        tables=counts,
        server_version=sqlite3.sqlite_version,
    )


def _sqlite_open_existing(path: Path) -> sqlite3.Connection | None:
    """A connection to an existing database file; None (and no file made) when absent."""
    if not path.is_file():
        return None
    return sqlite3.connect(path, timeout=30)


async def table_counts(settings: Settings) -> dict[str, int]:
    """Rows per table of the configured database ({} when it does not exist yet)."""
    if settings.is_postgres:
        engine = _pg_engine(settings.sqlalchemy_url)
        try:
            async with engine.connect() as conn:
                return await _pg_counts(conn, await _pg_tables(conn))
        finally:
            await engine.dispose()

    def _count() -> dict[str, int]:
        conn = _sqlite_open_existing(_sqlite_file(settings))
        if conn is None:
            return {}
        try:
            return _sqlite_counts(conn, _sqlite_tables(conn))
        finally:
            conn.close()

    return await asyncio.to_thread(_count)


async def _pg_server_major(settings: Settings) -> int:
    engine = _pg_engine(settings.sqlalchemy_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SHOW server_version_num")) or 0) // 10000
    finally:
        await engine.dispose()


async def _restore_postgres(settings: Settings, dump: Path, part: DatabasePart) -> None:
    env, dbname = libpq_env(settings.sqlalchemy_url)
    server_major = await _pg_server_major(settings)
    tool = await asyncio.to_thread(
        find_pg_tool,
        "pg_restore",
        part.dump_tool_major or server_major,
        settings.backup_pg_bin_dir,
        server_major,
    )
    # --clean --if-exists: a target the service already migrated (empty tables, checked
    # before) gets the backup's tables in their place. One transaction: all or nothing.
    await _run_tool(
        [
            tool,
            "--no-owner",
            "--no-acl",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={dbname}",
            str(dump),
        ],
        env,
        "pg_restore",
    )


def _restore_sqlite(settings: Settings, copy: Path) -> None:
    path = _sqlite_file(settings)
    secure_sqlite_file(settings.sqlalchemy_url)  # an owner-only file before SQLite makes one
    src = sqlite3.connect(copy.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(path, timeout=30)
        try:
            # Replaces the target's every page in one step.
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    secure_sqlite_file(settings.sqlalchemy_url)


# -- objects ------------------------------------------------------------------------------


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first: BaseException = group
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first


async def _for_each(
    items: AsyncIterator[T], work: Callable[[T], Awaitable[None]], concurrency: int
) -> None:
    """`work` on every item, `concurrency` at a time, items read as they are needed."""
    queue: asyncio.Queue[tuple[T] | None] = asyncio.Queue(maxsize=concurrency * 4)

    async def feed() -> None:
        async for item in items:
            await queue.put((item,))
        for _ in range(concurrency):
            await queue.put(None)

    async def worker() -> None:
        while (item := await queue.get()) is not None:
            await work(item[0])

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(feed())
            for _ in range(concurrency):
                group.create_task(worker())
    except BaseExceptionGroup as exc:
        raise _first_error(exc) from None


async def _aiter(items: Iterator[T]) -> AsyncIterator[T]:
    for item in items:
        yield item


def _write_chunk(fh: IO[bytes], digest: Digest, chunk: bytes) -> None:
    digest.update(chunk)
    fh.write(chunk)


def _close_synced(fh: IO[Any]) -> None:
    fh.flush()
    os.fsync(fh.fileno())
    fh.close()


async def _copy_object(store: ObjectStore, root: Path, key: str) -> ObjectEntry | None:
    """Stream one object into the backup; None when it no longer exists."""
    path = object_path(root, key)
    try:
        stream = await store.open_stream(key)
    except ObjectNotFound:
        return None
    await asyncio.to_thread(path.parent.mkdir, mode=DIR_MODE, parents=True, exist_ok=True)
    fh = os.fdopen(await asyncio.to_thread(open_new, path), "wb")
    digest = Digest()
    try:
        async for chunk in stream:
            await asyncio.to_thread(_write_chunk, fh, digest, chunk)
        await asyncio.to_thread(_close_synced, fh)
    except BaseException:
        fh.close()
        path.unlink(missing_ok=True)
        raise
    summed = digest.result()
    return ObjectEntry(key, summed.size, summed.sha256)


def _fsync_tree(top: Path) -> None:
    """Make the folders' entries durable (each file was fsynced when written)."""
    if not top.is_dir():
        return
    for dirpath, _dirs, _files in os.walk(top):
        fsync_dir(Path(dirpath))


async def _copy_objects(
    store: ObjectStore, root: Path, progress: Progress, concurrency: int
) -> ObjectsPart:
    (root / OBJECTS_DIR).mkdir(mode=DIR_MODE)
    index_path = root / OBJECTS_INDEX
    index = os.fdopen(open_new(index_path), "w")
    listed = count = total = 0
    vanished: list[str] = []
    progress.start(TASK_OBJECTS, total=None)

    async def keys() -> AsyncIterator[str]:
        nonlocal listed
        # Listed as they are copied: the total grows while the store is being listed.
        async with _listing(store) as listing:
            async for key in listing:
                listed += 1
                progress.set_total(TASK_OBJECTS, listed)
                yield key

    async def copy(key: str) -> None:
        nonlocal count, total
        entry = await _copy_object(store, root, key)
        if entry is None:
            vanished.append(key)
            progress.note(f"{key} was deleted while the backup ran (skipped)")
        else:
            index.write(entry.to_line())
            count += 1
            total += entry.size
        progress.advance(TASK_OBJECTS)

    try:
        await _for_each(keys(), copy, concurrency)
        await asyncio.to_thread(_close_synced, index)
    except BaseException:
        index.close()
        raise
    await asyncio.to_thread(_fsync_tree, root / OBJECTS_DIR)
    progress.finish(TASK_OBJECTS)
    summed = await asyncio.to_thread(file_sum, index_path)
    return ObjectsPart(
        store=store.name,
        count=count,
        bytes=total,
        index=OBJECTS_INDEX,
        index_size=summed.size,
        index_sha256=summed.sha256,
        vanished=sorted(vanished),
    )


async def _put_objects(
    store: ObjectStore, root: Path, manifest: Manifest, progress: Progress, concurrency: int
) -> None:
    progress.start(TASK_OBJECTS, total=manifest.objects.count)

    async def put(entry: ObjectEntry) -> None:
        data = await asyncio.to_thread(object_path(root, entry.key).read_bytes)
        # Checked again as it is read: the folder may have changed since it was verified.
        if bytes_sum(data) != FileSum(entry.size, entry.sha256):
            raise BackupError(f"{OBJECTS_DIR}/{entry.key} changed after it was verified")
        await store.put(entry.key, data, guess_content_type(entry.key))
        progress.advance(TASK_OBJECTS)

    await _for_each(_aiter(read_index(root, manifest)), put, concurrency)
    progress.finish(TASK_OBJECTS)


@contextlib.asynccontextmanager
async def _listing(store: ObjectStore) -> AsyncIterator[AsyncIterator[str]]:
    """The store's listing, closed however the caller leaves it (a request in flight)."""
    keys = store.list()
    try:
        yield keys
    finally:
        close = getattr(keys, "aclose", None)
        if close is not None:
            await close()


async def first_object(store: ObjectStore) -> str | None:
    async with _listing(store) as listing:
        async for key in listing:
            return key
    return None


# -- the three operations -----------------------------------------------------------------


def _prepare_folder(target: Path) -> None:
    if target.exists():
        if not target.is_dir():
            raise BackupError(f"{target} is not a folder")
        if any(target.iterdir()):
            raise BackupError(
                f"{target} is not empty: a backup goes into a new or empty folder "
                "(nothing is overwritten)"
            )
        target.chmod(DIR_MODE)
    else:
        target.mkdir(mode=DIR_MODE, parents=True)


async def create_backup(
    settings: Settings,
    store: ObjectStore,
    target: Path,
    progress: Progress | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Manifest:
    """Snapshot the database, copy every object, and write the manifest last: a folder
    without one (a backup that stopped half-way) is never taken for a backup."""
    progress = progress or NoProgress()
    started = utcnow().isoformat()
    await asyncio.to_thread(_prepare_folder, target)
    try:
        progress.start(TASK_DATABASE, total=1)
        if settings.is_postgres:
            database = await _dump_postgres(settings, target / PG_DUMP_FILE)
        else:
            database = await asyncio.to_thread(_dump_sqlite, settings, target / SQLITE_FILE)
        progress.advance(TASK_DATABASE)
        progress.finish(TASK_DATABASE)
        try:
            objects = await _copy_objects(store, target, progress, concurrency)
        except StorageError as exc:
            raise BackupError(f"object store: {exc}") from exc
        manifest = Manifest(
            app_version=__version__,
            started_at=started,
            completed_at=utcnow().isoformat(),
            database=database,
            objects=objects,
        )
        await asyncio.to_thread(write_manifest, target, manifest)
    except BaseException:
        # A failure (or Ctrl+C) leaves the folder empty again, ready for another try; only
        # a crash leaves files behind, and no manifest among them.
        await asyncio.to_thread(_empty_folder, target)
        raise
    return manifest


def _empty_folder(folder: Path) -> None:
    """Remove what a failed backup wrote (the folder was empty before it started)."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def verify_backup(source: Path, progress: Progress | None = None) -> tuple[Manifest, list[Problem]]:
    """Every checksum re-read. Raises BackupError when `source` is no complete backup."""
    try:
        return verify_folder(source, progress)
    except ManifestError as exc:
        raise BackupError(str(exc)) from exc


def _check_revision(settings: Settings, manifest: Manifest) -> None:
    revision = manifest.database.revision
    if revision is None:
        raise BackupError("the backup's database has no schema revision: not a designer-bff one")
    script = ScriptDirectory.from_config(migrate.alembic_config(settings.sqlalchemy_url))
    try:
        known = script.get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown id
        known = False
    if not known:
        raise BackupError(
            f"the backup's schema revision {revision} is unknown to this version of "
            f"designer-bff ({__version__}); restore it with the version that made it "
            f"({manifest.app_version}) or a newer one"
        )


def _describe(problems: list[Problem]) -> str:
    shown = "; ".join(str(p) for p in problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    return shown + (f"; and {more} more" if more > 0 else "")


async def restore_backup(
    settings: Settings,
    store: ObjectStore,
    source: Path,
    progress: Progress | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Manifest:
    """Restore into an empty database and an empty store; checksums are verified first,
    and the database ends at this version's newest schema revision."""
    progress = progress or NoProgress()
    try:
        manifest = await asyncio.to_thread(read_manifest, source)
    except ManifestError as exc:
        raise BackupError(str(exc)) from exc
    backend = "postgresql" if settings.is_postgres else "sqlite"
    if manifest.database.backend != backend:
        raise BackupError(
            f"the backup holds a {manifest.database.backend} database and the target is "
            f"{backend}: restore into the same kind of database"
        )
    _check_revision(settings, manifest)

    # Refused before anything is written: the target must hold nothing of value.
    counts = await table_counts(settings)
    occupied = {t: n for t, n in counts.items() if n and t != ALEMBIC_TABLE}
    if occupied:
        listed = ", ".join(f"{t} ({n} rows)" for t, n in sorted(occupied.items()))
        raise BackupError(
            f"the target database is not empty: {listed}. Restore only into an empty "
            "database (a new one, or one the service has merely migrated)"
        )
    unknown = sorted(set(counts) - set(manifest.database.tables))
    if unknown:
        raise BackupError(
            f"the target database has tables the backup does not know ({', '.join(unknown)}): "
            "restore into a new, blank database"
        )
    try:
        present = await first_object(store)
    except StorageError as exc:
        raise BackupError(f"object store: {exc}") from exc
    if present is not None:
        raise BackupError(
            f"the target object store is not empty (it holds {present}, ...): restore only "
            "into an empty folder or bucket"
        )

    _, problems = await asyncio.to_thread(verify_backup, source, progress)
    if problems:
        raise BackupError(f"the backup is damaged, nothing was restored: {_describe(problems)}")

    progress.start(TASK_DATABASE, total=1)
    dump = source / manifest.database.file
    if settings.is_postgres:
        await _restore_postgres(settings, dump, manifest.database)
    else:
        await asyncio.to_thread(_restore_sqlite, settings, dump)
    restored = await table_counts(settings)
    wrong = {
        t: (restored.get(t), n) for t, n in manifest.database.tables.items() if restored.get(t) != n
    }
    if wrong:
        detail = ", ".join(f"{t}: {got} rows, expected {n}" for t, (got, n) in wrong.items())
        raise BackupError(f"the restored database differs from the manifest: {detail}")
    progress.advance(TASK_DATABASE)
    progress.finish(TASK_DATABASE)

    try:
        await _put_objects(store, source, manifest, progress, concurrency)
    except (StorageError, BackupError, OSError) as exc:
        raise BackupError(
            f"the database was restored, but putting the objects back failed: {exc}. "
            "Empty the database and the store before trying again"
        ) from exc

    url = settings.sqlalchemy_url
    if manifest.database.revision != migrate.head_revision(url):
        # A backup of an older release: brought to this release's schema.
        await asyncio.to_thread(migrate.upgrade, url)
    return manifest


@dataclass(frozen=True, slots=True)
class Summary:
    """What a backup holds, in words for the console and fields for the log."""

    tables: int
    rows: int
    objects: int
    object_bytes: int
    database_bytes: int

    @classmethod
    def of(cls, manifest: Manifest) -> Summary:
        return cls(
            tables=len(manifest.database.tables),
            rows=manifest.rows,
            objects=manifest.objects.count,
            object_bytes=manifest.objects.bytes,
            database_bytes=manifest.database.size,
        )


__all__ = [
    "BackupError",
    "Summary",
    "create_backup",
    "find_pg_tool",
    "first_object",
    "libpq_env",
    "restore_backup",
    "store_from_settings",
    "table_counts",
    "verify_backup",
]
