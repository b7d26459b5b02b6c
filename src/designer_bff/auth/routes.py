from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from designer_bff.auth.models import User
from designer_bff.auth.schemas import (
    AuthOut,
    ChangePasswordIn,
    LoginIn,
    LogoutIn,
    RefreshIn,
    RegisterIn,
    UpdateMeIn,
    UserOut,
)
from designer_bff.auth.service import ClientInfo, IssuedTokens
from designer_bff.core.deps import DbDep, ServicesDep, UserDep, client_ip

router = APIRouter(prefix="/api/auth", tags=["auth"])


def _client(request: Request) -> ClientInfo:
    return ClientInfo(ip=client_ip(request), user_agent=request.headers.get("user-agent"))


def _auth_out(user: User, issued: IssuedTokens) -> AuthOut:
    return AuthOut(
        user=UserOut.model_validate(user),
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        token=issued.access_token,
    )


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=AuthOut)
async def register(body: RegisterIn, request: Request, services: ServicesDep, db: DbDep) -> AuthOut:
    user, issued = await services.auth.register(
        db, email=str(body.email), password=body.password, name=body.name, client=_client(request)
    )
    return _auth_out(user, issued)


@router.post("/login", response_model=AuthOut)
async def login(body: LoginIn, request: Request, services: ServicesDep, db: DbDep) -> AuthOut:
    user, issued = await services.auth.login(
        db, email=str(body.email), password=body.password, client=_client(request)
    )
    return _auth_out(user, issued)


@router.post("/refresh", response_model=AuthOut)
async def refresh(body: RefreshIn, request: Request, services: ServicesDep, db: DbDep) -> AuthOut:
    user, issued = await services.auth.refresh(
        db, refresh_token=body.refresh_token, client=_client(request)
    )
    return _auth_out(user, issued)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    services: ServicesDep, db: DbDep, current: UserDep, body: LogoutIn | None = None
) -> Response:
    await services.auth.logout(
        db, current.user, current.session_id, body.refresh_token if body else None
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserOut)
async def me(current: UserDep) -> UserOut:
    return UserOut.model_validate(current.user)


@router.patch("/me", response_model=UserOut)
async def update_me(body: UpdateMeIn, db: DbDep, current: UserDep) -> UserOut:
    user = current.user
    if body.name is not None:
        user.name = body.name.strip()
    if body.timezone is not None:
        user.timezone = body.timezone
    if body.preferences is not None:
        user.preferences = body.preferences
    await db.commit()
    return UserOut.model_validate(user)


@router.post("/change-password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: ChangePasswordIn, request: Request, services: ServicesDep, db: DbDep, current: UserDep
) -> Response:
    await services.auth.change_password(
        db,
        current.user,
        current.session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        client=_client(request),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
