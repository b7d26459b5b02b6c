"""FastAPI dependencies shared by every feature: services, a database session, the
current user (Bearer access token) and the admin guard."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.auth.models import ROLE_ADMIN, User
from designer_bff.core.errors import Forbidden, Unauthorized
from designer_bff.services import Services

_bearer = HTTPBearer(auto_error=False)


async def get_services(request: Request) -> Services:
    # async: a plain def dependency would be run in the thread pool on every request.
    return request.app.state.services


async def get_db(
    services: Annotated[Services, Depends(get_services)],
) -> AsyncIterator[AsyncSession]:
    async with services.sessionmaker() as session:
        yield session


@dataclass(frozen=True)
class CurrentUser:
    user: User
    session_id: uuid.UUID

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


async def current_user(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    db: Annotated[AsyncSession, Depends(get_db)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUser:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")
    user, session_id = await services.auth.authenticate(db, credentials.credentials)
    request.state.user_id = str(user.id)
    structlog.contextvars.bind_contextvars(user_id=str(user.id))
    return CurrentUser(user, session_id)


async def require_admin(user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
    if user.user.role != ROLE_ADMIN:
        raise Forbidden("This action needs an administrator account.", code="admin_required")
    return user


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


ServicesDep = Annotated[Services, Depends(get_services)]
DbDep = Annotated[AsyncSession, Depends(get_db)]
UserDep = Annotated[CurrentUser, Depends(current_user)]
AdminDep = Annotated[CurrentUser, Depends(require_admin)]
