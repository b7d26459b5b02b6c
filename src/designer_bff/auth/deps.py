"""Who is calling: the current user from a Bearer access token, and the admin guard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from designer_bff.auth.cookies import FILES_COOKIE
from designer_bff.auth.models import Role, User
from designer_bff.auth.service import AuthService
from designer_bff.auth.tokens import FILES
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False)
# Documented in the OpenAPI document as the file routes' second way in.
_files_cookie = APIKeyCookie(
    name=FILES_COOKIE,
    auto_error=False,
    description="Set by login, register and refresh; sent by browsers with <img src>.",
)

AuthDep = Annotated[AuthService, Depends(provide(AuthService))]


@dataclass(frozen=True)
class CurrentUser:
    user: User
    session_id: uuid.UUID

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


async def current_user(
    request: Request,
    auth: AuthDep,
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUser:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")
    user, session_id = await auth.authenticate(db, credentials.credentials)
    request.state.user_id = str(user.id)
    structlog.contextvars.bind_contextvars(user_id=str(user.id))
    return CurrentUser(user, session_id)


async def require_admin(user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
    if user.user.role != Role.ADMIN:
        raise Forbidden("This action needs an administrator account.", code="admin_required")
    return user


async def file_viewer(
    request: Request,
    auth: AuthDep,
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_files_cookie)],
) -> CurrentUser:
    """Who may see a design's file: a Bearer token, or else the files cookie a browser sends
    with <img src> (auth/cookies.py)."""
    if credentials is not None:
        return await current_user(request, auth, db, credentials)
    if not cookie:
        raise Unauthorized("Log in to see this design.", code="not_authenticated")
    claims = auth.tokens.decode_access(cookie, kind=FILES)
    user = await auth.session_user(db, claims.user_id, claims.session_id)
    request.state.user_id = str(user.id)
    return CurrentUser(user, claims.session_id)


UserDep = Annotated[CurrentUser, Depends(current_user)]
FileViewerDep = Annotated[CurrentUser, Depends(file_viewer)]
AdminDep = Annotated[CurrentUser, Depends(require_admin)]
