"""The `designer-bff` command: serve, database migrations, user administration."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console

from designer_bff import __version__
from designer_bff.config import ConfigError, Settings, get_settings
from designer_bff.core.logging import configure_logging

app = typer.Typer(
    help="Designer BFF: an AI design partner for fashion designers.", no_args_is_help=True
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="User administration.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")

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


def _migrate(settings: Settings) -> None:
    from designer_bff.db import migrate

    url = settings.sqlalchemy_url
    current = migrate.current_revision(url) if _db_exists(settings) else None
    head = migrate.head_revision(url)
    if current == head:
        console.print(f"Database is up to date (revision {head}).")
        return
    console.print(f"Applying migrations: {current or 'empty'} -> {head} ...")
    migrate.upgrade(url)
    console.print(f"Database migrated to revision {head}.")


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
            _migrate(settings)
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(
        f"Designer BFF {__version__}: role={role.value}"
        + (f", listening on http://{bind_host}:{bind_port}" if role in (Role.all, Role.api) else "")
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
            host=bind_host,
            port=bind_port,
            log_config=None,
            proxy_headers=True,
            server_header=False,
        )
        return
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(settings, role, bind_host, bind_port))
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error:[/] {exc}")
        raise typer.Exit(2) from exc


async def _serve(settings: Settings, role: Role, host: str, port: int) -> None:
    import uvicorn

    from designer_bff.app import asgi_app, create_app
    from designer_bff.maintenance import run_periodic
    from designer_bff.services import build_services

    services = build_services(settings)
    if role in (Role.all, Role.worker, Role.scheduler):
        services._spawn(
            run_periodic(services.sessionmaker, gallery=services.gallery, storage=services.storage)
        )
    try:
        if role in (Role.all, Role.api):
            app = create_app(settings, services, run_worker=role is Role.all)
            config = uvicorn.Config(
                asgi_app(app),
                host=host,
                port=port,
                log_config=None,
                proxy_headers=True,
                server_header=False,
                lifespan="on",
            )
            await uvicorn.Server(config).serve()
        else:
            await services.queue.startup()
            if role is Role.worker:
                services.start_worker()
            else:
                services._spawn(services.generator.run_sweeper())
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            console.print(f"{role.value} ready (stop with Ctrl+C or SIGTERM)")
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
        user_id = asyncio.run(_create_user(settings, email, password, name, admin))
    except ValueError as exc:
        console.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from exc
    typer.echo(f"Created {'admin' if admin else 'user'} {email.strip().lower()} ({user_id})")


async def _create_user(
    settings: Settings, email: str, password: str, name: str, admin: bool
) -> str:
    from email_validator import EmailNotValidError, validate_email
    from sqlalchemy import select

    from designer_bff.auth.models import ROLE_ADMIN, ROLE_USER, User
    from designer_bff.auth.passwords import hash_password, password_problem
    from designer_bff.db.session import create_engine, create_sessionmaker

    email = email.strip().lower()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email: {exc}") from exc
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
                role=ROLE_ADMIN if admin else ROLE_USER,
                preferences={},
            )
            db.add(user)
            await db.commit()
            return str(user.id)
    finally:
        await engine.dispose()


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
