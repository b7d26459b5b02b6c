"""`designer-bff backup create|restore|verify DIR`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from designer_bff.config import ConfigError, Settings, get_settings

if TYPE_CHECKING:  # the work itself is imported when a command runs: `--help` stays fast
    from designer_bff.storage import ObjectStore

    from .manifest import Manifest

T = TypeVar("T")

backup_app = typer.Typer(
    help="Backups: a consistent snapshot of the database and of every stored object.",
    no_args_is_help=True,
)

# soft_wrap: messages stay on one line, so they can be grepped from logs.
console = Console(stderr=True, soft_wrap=True)

Folder = Annotated[Path, typer.Argument(help="The backup folder.", file_okay=False)]


class ConsoleProgress:
    """Rich progress bars, one per step."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.tasks: dict[str, TaskID] = {}

    def start(self, task: str, total: int | None = None) -> None:
        self.tasks[task] = self.bars.add_task(task, total=total)

    def set_total(self, task: str, total: int) -> None:
        self.bars.update(self.tasks[task], total=total)

    def advance(self, task: str, amount: int = 1) -> None:
        self.bars.advance(self.tasks[task], amount)

    def finish(self, task: str) -> None:
        bar = self.tasks[task]
        done = self.bars.tasks[self.tasks[task]].completed
        self.bars.update(bar, total=done, completed=done)

    def note(self, message: str) -> None:
        self.bars.console.print(f"[yellow]note:[/] {message}")


def _settings() -> Settings:
    try:
        settings = get_settings()
        settings.check_production()
        return settings
    except (ConfigError, ValueError) as exc:  # ValueError: pydantic's checks of the values
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc


def _with_progress(work: Callable[[ConsoleProgress], Coroutine[Any, Any, T]]) -> T:
    from sqlalchemy.exc import SQLAlchemyError

    from designer_bff.storage import StorageError

    from .service import BackupError

    bars = Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    try:
        with bars:
            return asyncio.run(work(ConsoleProgress(bars)))
    except BackupError as exc:
        console.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from exc
    except (SQLAlchemyError, StorageError, OSError) as exc:  # unreachable database, full disk
        console.print(f"[bold red]Error:[/] {type(exc).__name__}: {exc}")
        raise typer.Exit(1) from exc


async def _with_store(
    settings: Settings, work: Callable[[ObjectStore], Awaitable[Manifest]]
) -> Manifest:
    from .service import store_from_settings

    store = store_from_settings(settings)
    try:
        return await work(store)
    finally:
        await store.aclose()


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _summary(manifest: Manifest) -> str:
    from .service import Summary

    s = Summary.of(manifest)
    return (
        f"{manifest.database.backend} database at revision {manifest.database.revision} "
        f"({s.tables} tables, {s.rows} rows, {_mb(s.database_bytes)}), "
        f"{s.objects} objects ({_mb(s.object_bytes)})"
    )


@backup_app.command("create")
def create(directory: Folder) -> None:
    """Back up the database and every stored object into DIR (new or empty).

    Runs beside the service. The manifest is written last: a folder without one is an
    incomplete backup."""
    from .service import create_backup

    settings = _settings()
    started = time.monotonic()
    manifest = _with_progress(
        lambda progress: _with_store(
            settings, lambda store: create_backup(settings, store, directory, progress)
        )
    )
    console.print(
        f"Backup written to {directory}: {_summary(manifest)} "
        f"in {time.monotonic() - started:.1f} s."
    )
    if manifest.objects.vanished:
        console.print(
            f"{len(manifest.objects.vanished)} object(s) were deleted while the backup ran "
            "and are not in it (listed in manifest.json)."
        )


@backup_app.command("verify")
def verify(directory: Folder) -> None:
    """Re-check every checksum of the backup in DIR.

    Exit status 1, with the names of the bad files, when any file differs."""
    from .service import verify_backup

    manifest, problems = _with_progress(
        lambda progress: asyncio.to_thread(verify_backup, directory, progress)
    )
    if problems:
        console.print(f"[bold red]{len(problems)} bad file(s) in {directory}:[/]")
        for problem in problems:
            typer.echo(str(problem))
        raise typer.Exit(1)
    console.print(f"Backup in {directory} is intact: {_summary(manifest)}.")


@backup_app.command("restore")
def restore(directory: Folder) -> None:
    """Restore the backup in DIR into an empty database and object store.

    The configured database must hold no rows (a new one, or one the service has only
    migrated) and the store no objects. Stop the service first. Checksums are verified
    before anything is written; the database ends at this version's newest revision."""
    from .service import restore_backup

    settings = _settings()
    started = time.monotonic()
    manifest = _with_progress(
        lambda progress: _with_store(
            settings, lambda store: restore_backup(settings, store, directory, progress)
        )
    )
    console.print(
        f"Restored from {directory}: {_summary(manifest)} in {time.monotonic() - started:.1f} s."
    )


__all__ = ["backup_app"]
