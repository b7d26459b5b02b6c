from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from designer_bff.auth.cookies import clear_files_cookie, set_files_cookie
from designer_bff.auth.deps import AccountDep, AuthDep, UserDep
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
from designer_bff.auth.tokens import TokenService
from designer_bff.core.deps import DbDep, client_ip
from designer_bff.core.openapi import error_responses

router = APIRouter(prefix="/api/auth", tags=["auth"])

_WEAK = "`weak_password`: shorter than 8 or longer than 256 characters, or the email itself"
# Attempts are reserved before the password is checked; refused ones say when to retry.
_THROTTLED = error_responses(
    {
        429: "`too_many_attempts`: too many tries from this address or for this account; "
        "wait `Retry-After` seconds"
    }
)
_THROTTLED[429]["headers"] = {
    "Retry-After": {
        "description": "Seconds until a try is allowed again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}


def _client(request: Request) -> ClientInfo:
    return ClientInfo(ip=client_ip(request), user_agent=request.headers.get("user-agent"))


def _auth_out(
    user: User, issued: IssuedTokens, tokens: TokenService, request: Request, response: Response
) -> AuthOut:
    # The web app's <img> tags load designs with the files cookie (auth/cookies.py).
    set_files_cookie(
        request, response, tokens, user_id=user.id, session_id=issued.session_id, role=user.role
    )
    return AuthOut(
        user=UserOut.model_validate(user),
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        token=issued.access_token,
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthOut,
    responses={
        **error_responses(
            {409: "`email_taken`: an account with this email already exists", 422: _WEAK}
        ),
        **_THROTTLED,
    },
)
async def register(
    body: RegisterIn, request: Request, response: Response, auth: AuthDep, db: DbDep
) -> AuthOut:
    user, issued = await auth.register(
        db, email=str(body.email), password=body.password, name=body.name, client=_client(request)
    )
    return _auth_out(user, issued, auth.tokens, request, response)


@router.post(
    "/login",
    response_model=AuthOut,
    responses={
        **error_responses({401: "`invalid_credentials`: email or password is incorrect"}),
        **_THROTTLED,
    },
)
async def login(
    body: LoginIn, request: Request, response: Response, auth: AuthDep, db: DbDep
) -> AuthOut:
    user, issued = await auth.login(
        db, email=str(body.email), password=body.password, client=_client(request)
    )
    return _auth_out(user, issued, auth.tokens, request, response)


@router.post(
    "/refresh",
    response_model=AuthOut,
    responses=error_responses(
        {
            401: "`invalid_token`, `token_expired`, `token_reused` or `session_revoked`: "
            "the refresh token cannot be used"
        }
    ),
)
async def refresh(
    body: RefreshIn, request: Request, response: Response, auth: AuthDep, db: DbDep
) -> AuthOut:
    user, issued = await auth.refresh(db, refresh_token=body.refresh_token, client=_client(request))
    return _auth_out(user, issued, auth.tokens, request, response)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    auth: AuthDep, db: DbDep, current: UserDep, user: AccountDep, body: LogoutIn | None = None
) -> Response:
    await auth.logout(db, user, current.session_id, body.refresh_token if body else None)
    done = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_files_cookie(done)
    return done


@router.get("/me", response_model=UserOut)
async def me(user: AccountDep) -> UserOut:
    return UserOut.model_validate(user)


@router.patch("/me", response_model=UserOut)
async def update_me(body: UpdateMeIn, db: DbDep, user: AccountDep) -> UserOut:
    if body.name is not None:
        user.name = body.name.strip()
    if body.timezone is not None:
        user.timezone = body.timezone
    if body.preferences is not None:
        user.preferences = body.preferences
    await db.commit()
    return UserOut.model_validate(user)


@router.post(
    "/change-password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **error_responses(
            {401: "`invalid_credentials`: the current password is incorrect", 422: _WEAK}
        ),
        **_THROTTLED,
    },
)
async def change_password(
    body: ChangePasswordIn,
    request: Request,
    auth: AuthDep,
    db: DbDep,
    current: UserDep,
    user: AccountDep,
) -> Response:
    await auth.change_password(
        db,
        user,
        current.session_id,
        current_password=body.current_password,
        new_password=body.new_password,
        client=_client(request),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
