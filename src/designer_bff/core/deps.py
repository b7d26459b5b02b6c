"""Typed FastAPI dependencies for the replaceable parts and services.

The wiring (`services.py`) registers each instance under its type when the app starts;
a route names what it needs as `Annotated[X, Depends(provide(X))]` (usually through an
alias such as `DbDep`), so no route reaches into the app's state and `core` imports no
feature."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")

REGISTRY_ATTR = "registry"


def install_registry(app_state: Any, registry: dict[type, object]) -> None:
    setattr(app_state, REGISTRY_ATTR, registry)


@cache  # one callable per type: FastAPI caches a dependency per request by its callable
def provide(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    async def dependency(request: Request) -> T:
        # async: a plain def dependency would be run in the thread pool on every request.
        registry: dict[type, object] = getattr(request.app.state, REGISTRY_ATTR)
        try:
            return cast(T, registry[kind])
        except KeyError:
            raise LookupError(f"no {kind.__name__} is wired into this app") from None

    dependency.__name__ = f"provide_{kind.__name__}"
    return dependency


SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(provide(async_sessionmaker))]


async def get_db(sessionmaker: SessionmakerDep) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


DbDep = Annotated[AsyncSession, Depends(get_db)]
