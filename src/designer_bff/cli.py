"""The `designer-bff` command: serve, database migrations, user administration."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
from rich.console import Console

from designer_bff import __version__
from designer_bff.backup.cli import backup_app
from designer_bff.config import ConfigError, Settings, get_settings
from designer_bff.core.logging import configure_logging

app = typer.Typer(
    help="Designer BFF: an AI design partner for fashion designers.", no_args_is_help=True
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User administration.", no_args_is_help=True)
portfolio_app = typer.Typer(help="A designer's portfolio.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(portfolio_app, name="portfolio")
app.add_typer(backup_app, name="backup")

# soft_wrap: messages stay on one line, so they can be grepped from logs.
console = Console(stderr=True, soft_wrap=True)


class Role(StrEnum):
    all = "all"
    api = "api"
    worker = "worker"
    scheduler = "scheduler"


def _settings_or_exit() -> Settings:
    try:
        settings = get_settings()
        settings.check_production()
        return settings
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc
    except ValueError as exc:  # pydantic validation of environment values
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc


Say = Callable[..., None]


def _console_say(event: str, message: str, **_: object) -> None:
    console.print(message)


def _log_say(event: str, message: str, **fields: object) -> None:
    # `serve` speaks in the server log's own format (JSON lines by default), so its
    # output is one stream a log collector can parse.
    structlog.get_logger("designer_bff.cli").info(event, message=message, **fields)


def _migrate(settings: Settings, say: Say = _console_say) -> None:
    from designer_bff.db import migrate

    url = settings.sqlalchemy_url
    current = migrate.current_revision(url) if _db_exists(settings) else None
    head = migrate.head_revision(url)
    if current == head:
        say("db_up_to_date", f"Database is up to date (revision {head}).", revision=head)
        return
    say("db_migrating", f"Applying migrations: {current or 'empty'} -> {head} ...", to=head)
    migrate.upgrade(url)
    say("db_migrated", f"Database migrated to revision {head}.", revision=head)


def _db_exists(settings: Settings) -> bool:
    if settings.is_postgres:
        return True
    return (settings.data_dir / "designer_bff.db").exists() or bool(settings.database_url)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@app.command()
def serve(
    role: Annotated[Role, typer.Option(help="Which part of the service to run.")] = Role.all,
    host: Annotated[str | None, typer.Option(help="Interface to bind (default HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT, 5000).")] = None,
    migrate: Annotated[bool, typer.Option(help="Apply pending migrations first.")] = True,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="API processes on this port (--role api).")
    ] = 1,
) -> None:
    """Run the service. `all` runs API, worker and scheduler in one process."""
    settings = _settings_or_exit()
    if role in (Role.worker, Role.scheduler) and not settings.redis_url:
        console.print(
            f"[bold red]Configuration error:[/] --role {role.value} runs apart from the API "
            "and needs REDIS_URL to reach it; without Redis use --role all"
        )
        raise typer.Exit(2)
    if workers > 1 and (role is not Role.api or not settings.redis_url):
        # Several processes on one port share work and events only through Redis.
        console.print("[bold red]Configuration error:[/] --workers needs --role api and REDIS_URL")
        raise typer.Exit(2)
    configure_logging(settings.log_level, settings.log_json)
    try:
        settings.resolve_jwt_secret()
        if migrate:
            _migrate(settings, _log_say)
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc
    bind_host = host or settings.host
    bind_port = port or settings.port
    _log_say(
        "serve_starting",
        f"Designer BFF {__version__}: role={role.value}"
        + (
            f", listening on http://{bind_host}:{bind_port}" if role in (Role.all, Role.api) else ""
        ),
        role=role.value,
    )
    # uvicorn re-raises the signal that stopped it once it has shut down gracefully; with a
    # no-op handler in place that re-raise ends in a normal exit (status 0), not a kill.
    signal.signal(signal.SIGTERM, lambda *_: None)
    if workers > 1:
        import uvicorn

        # Each process builds its own services from the same environment.
        uvicorn.run(
            "designer_bff.app:api_from_environment",
            factory=True,
            workers=workers,
            **_uvicorn_options(settings, bind_host, bind_port),
        )
        return
    try:
        with contextlib.suppress(KeyboardInterrupt):
            _run_loop(_serve(settings, role, bind_host, bind_port))
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc


def _run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run the service on uvloop (libuv: several times less per-socket overhead than the
    standard loop); the standard loop where uvloop is not installed."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def _uvicorn_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """What every way of serving the API tells uvicorn."""
    return {
        "host": host,
        "port": port,
        "log_config": None,
        # Forwarded headers only from TRUSTED_PROXIES: uvicorn's default trusts 127.0.0.1,
        # so any local client could choose its own address.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
        "server_header": False,
        "loop": "uvloop",
        "http": "httptools",
    }


async def _serve(settings: Settings, role: Role, host: str, port: int) -> None:
    import uvicorn

    from designer_bff.app import asgi_app, create_app
    from designer_bff.learning.service import refresh_global_forever
    from designer_bff.maintenance import run_periodic
    from designer_bff.services import build_services

    services = build_services(settings)
    if role in (Role.all, Role.worker, Role.scheduler):
        services.spawn(
            run_periodic(
                services.sessionmaker,
                gallery=services.gallery,
                storage=services.storage,
                analytics=services.analytics,
            )
        )
    if role in (Role.all, Role.scheduler):
        services.spawn(
            refresh_global_forever(
                services.learning,
                services.sessionmaker,
                settings.global_learning_interval_s,
            )
        )
        # The nightly batches (exactly once per night even beside another scheduler).
        services.spawn(services.nightly.run_forever())
        if settings.backup_dir is not None:
            from designer_bff.backup.schedule import run_daily_backups

            # The daily backup (exactly once a day even beside another scheduler).
            services.spawn(run_daily_backups(settings, services.storage, services.redis))
    try:
        if role in (Role.all, Role.api):
            app = create_app(settings, services, run_worker=role is Role.all)
            config = uvicorn.Config(
                asgi_app(app), lifespan="on", **_uvicorn_options(settings, host, port)
            )
            await uvicorn.Server(config).serve()
        else:
            if settings.metrics_port is not None:
                # No HTTP server in this role: its metrics would be invisible otherwise.
                try:
                    services.metrics.serve(host, settings.metrics_port)
                except OSError as exc:
                    raise ConfigError(
                        f"METRICS_PORT: cannot listen on {host}:{settings.metrics_port}: {exc}"
                    ) from exc
            await services.queue.startup()
            if role is Role.worker:
                await services.worker.start()
            else:
                services.spawn(services.generator.run_sweeper())
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            _log_say("role_ready", f"{role.value} ready (stop with Ctrl+C or SIGTERM)")
            await stop.wait()
    finally:
        await services.close()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    _migrate(_settings_or_exit())


@db_app.command("current")
def db_current() -> None:
    """Show the database revision and the newest available."""
    from designer_bff.db import migrate

    settings = _settings_or_exit()
    url = settings.sqlalchemy_url
    current = migrate.current_revision(url) if _db_exists(settings) else None
    head = migrate.head_revision(url)
    typer.echo(f"current: {current or 'none (empty database)'}")
    typer.echo(f"head:    {head}")
    if current != head:
        typer.echo("pending migrations: run `designer-bff db upgrade`")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Argument(help="The new user's email.")],
    admin: Annotated[bool, typer.Option("--admin", help="Give the user the admin role.")] = False,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Prompted for when not given.",
        ),
    ] = "",
) -> None:
    """Create a user (prompts for the password)."""
    settings = _settings_or_exit()
    _migrate(settings)
    try:
        user_id, email = asyncio.run(_create_user(settings, email, password, name, admin))
    except ValueError as exc:
        console.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from exc
    typer.echo(f"Created {'admin' if admin else 'user'} {email} ({user_id})")


def _email(email: str) -> str:
    """The API's own normal form of an address (no look-alike mixes of alphabets)."""
    from pydantic import ValidationError

    from designer_bff.auth.schemas import EmailIn

    try:
        return str(EmailIn(email=email).email)
    except ValidationError as exc:
        raise ValueError(f"invalid email: {exc.errors()[0]['msg']}") from exc


async def _create_user(
    settings: Settings, email: str, password: str, name: str, admin: bool
) -> tuple[str, str]:
    from sqlalchemy import select

    from designer_bff.auth.models import Role as AccountRole
    from designer_bff.auth.models import User
    from designer_bff.auth.passwords import hash_password, password_problem
    from designer_bff.db.session import create_engine, create_sessionmaker

    email = _email(email)
    problem = password_problem(password, email)
    if problem:
        raise ValueError(problem)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        async with create_sessionmaker(engine)() as db:
            if await db.scalar(select(User.id).where(User.email == email)):
                raise ValueError(f"a user with email {email} already exists")
            user = User(
                email=email,
                name=name,
                password_hash=await hash_password(password),
                role=AccountRole.ADMIN if admin else AccountRole.USER,
                preferences={},
            )
            db.add(user)
            await db.commit()
            return str(user.id), email
    finally:
        await engine.dispose()


@portfolio_app.command("import")
def portfolio_import(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, help="An image, a zip of images, or a folder of them (searched deep)."
        ),
    ],
    user: Annotated[str, typer.Option("--user", help="The designer's email.")],
    wait: Annotated[
        bool, typer.Option(help="Stay until every image is analysed (progress shown).")
    ] = True,
) -> None:
    """Add past work to a designer's portfolio: stored like an upload (the same bytes
    once, metadata stripped), then analysed into their style profile."""
    settings = _settings_or_exit()
    _migrate(settings)
    try:
        totals = asyncio.run(_import_portfolio(settings, path, user, wait))
    except ValueError as exc:
        console.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(
        f"Imported {totals['accepted']} image(s), skipped {totals['duplicates']} already in "
        f"the portfolio, {totals['errors']} unusable; analysed {totals['done']}, "
        f"failed {totals['failed']}."
    )
    if totals["accepted"] == 0 and totals["duplicates"] == 0:
        raise typer.Exit(1)


def _import_sources(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


async def _import_portfolio(
    settings: Settings, path: Path, email: str, wait: bool
) -> dict[str, int]:
    import uuid

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from sqlalchemy import select

    from designer_bff.auth.models import User
    from designer_bff.portfolio.routes import upload_limits
    from designer_bff.portfolio.uploads import intake_from_paths
    from designer_bff.services import build_services

    sources = _import_sources(path)
    if not sources:
        raise ValueError(f"no files under {path}")
    services = build_services(settings)
    totals = dict.fromkeys(("accepted", "duplicates", "errors", "done", "failed"), 0)
    try:
        async with services.sessionmaker() as db:
            user_id = await db.scalar(select(User.id).where(User.email == _email(email)))
        if user_id is None:
            raise ValueError(f"no user with email {email}")
        await services.queue.startup()
        # This process analyses what it imports (beside any workers of a cluster: a
        # claim is taken once), so the import finishes without a server running.
        services.queue.set_analysis_handler(services.analysis.run_one)
        limits = upload_limits(settings)
        workdir = settings.data_dir / "uploads"
        jobs: list[uuid.UUID] = []
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=False,
        ) as progress:
            storing = progress.add_task("Storing", total=len(sources))
            # One upload's worth at a time: a folder of thousands is never held at once.
            step = max(1, min(limits.max_files, 100))
            for start in range(0, len(sources), step):
                chunk = sources[start : start + step]
                intake = await intake_from_paths(chunk, limits, workdir)
                try:
                    async with services.sessionmaker() as db:
                        try:
                            out = await services.portfolio.upload(db, user_id, intake)
                        except Exception as exc:  # no usable image in this chunk
                            code = getattr(exc, "code", None)
                            if code != "no_images":
                                raise
                            out = {"accepted": [], "duplicates": [], "errors": []}
                            out["errors"] = [e.to_dict() for e in intake.errors]
                finally:
                    intake.cleanup()
                for e in out["errors"]:
                    progress.console.print(f"[yellow]skipped[/] {e['message']}")
                totals["accepted"] += len(out["accepted"])
                totals["duplicates"] += len(out["duplicates"])
                totals["errors"] += len(out["errors"])
                if out.get("analysis"):
                    jobs.append(uuid.UUID(out["analysis"]["job_id"]))
                progress.update(storing, advance=len(chunk))
            if wait and jobs:
                analysing = progress.add_task("Analysing", total=totals["accepted"])
                while True:
                    async with services.sessionmaker() as db:
                        done, failed, pending = await services.portfolio.jobs_progress(db, jobs)
                    progress.update(analysing, completed=done + failed)
                    if pending == 0:
                        totals["done"], totals["failed"] = done, failed
                        break
                    await services.analysis.run_one()
                    await asyncio.sleep(0.05)
    finally:
        await services.close()
    return totals


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
