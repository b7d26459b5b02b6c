"""Who is calling: the current user from a Bearer access token, and the admin guard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from designer_bff.auth.cookies import FILES_COOKIE
from designer_bff.auth.gate import Identity
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


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The caller of a request: enough to authorise it without loading the account (the
    routes that show or change the account itself use AccountDep)."""

    id: uuid.UUID
    session_id: uuid.UUID
    role: Role


def _as_current(request: Request, identity: Identity) -> CurrentUser:
    user_id = str(identity.user_id)
    request.state.user_id = user_id
    structlog.contextvars.bind_contextvars(user_id=user_id)
    return CurrentUser(identity.user_id, identity.session_id, identity.role)


async def current_user(
    request: Request,
    auth: AuthDep,
    db: DbDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUser:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")
    return _as_current(request, await auth.authenticate(db, credentials.credentials))


async def require_admin(
    auth: AuthDep, db: DbDep, user: Annotated[CurrentUser, Depends(current_user)]
) -> CurrentUser:
    # Asked of the database every time (admin routes are rare): a role taken away
    # takes effect at once, not when the gate's memory of the session runs out.
    account = await auth.session_user(db, user.id, user.session_id)
    if account.role != Role.ADMIN:
        raise Forbidden("This action needs an administrator account.", code="admin_required")
    return user


async def current_account(
    auth: AuthDep, db: DbDep, current: Annotated[CurrentUser, Depends(current_user)]
) -> User:
    """The caller's account row, read fresh (the session checked against the database
    too): for the routes that show or change the account itself."""
    return await auth.session_user(db, current.id, current.session_id)


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
    return _as_current(request, await auth.authenticate(db, cookie, kind=FILES))


UserDep = Annotated[CurrentUser, Depends(current_user)]
FileViewerDep = Annotated[CurrentUser, Depends(file_viewer)]
AdminDep = Annotated[CurrentUser, Depends(require_admin)]
AccountDep = Annotated[User, Depends(current_account)]
