"""Accounts: registration, login with throttling, refresh-token rotation with reuse
detection, logout, password change. Business logic only; routes live in routes.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.auth.gate import Identity, SessionGate
from designer_bff.auth.models import AuthEvent, RefreshSession, RefreshToken, Role, User
from designer_bff.auth.passwords import hash_password, password_problem, verify_password
from designer_bff.auth.tokens import TokenService
from designer_bff.config import Settings
from designer_bff.core.errors import AppError, Conflict, TooManyRequests, Unauthorized
from designer_bff.db.base import affected_rows, utcnow
from designer_bff.ratelimit.base import Limit, Throttle
from designer_bff.realtime.sessions import SessionSignal

log = structlog.get_logger("designer_bff.auth")


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: uuid.UUID


class WeakPassword(AppError):
    status_code = 422
    code = "weak_password"


# Throttle limits, by name. Each attempt is reserved before the password is checked.
LOGIN = "login"  # one account from one address
LOGIN_ADDRESS = "login-address"  # failures across accounts from one address (spraying)
CREDENTIALS_CHANGE = "change-password"  # wrong current passwords, per account
REGISTER = "register"  # registrations from one address


def throttle_limits(settings: Settings) -> dict[str, Limit]:
    return {
        LOGIN: Limit(settings.login_max_failures, settings.login_window_s),
        LOGIN_ADDRESS: Limit(settings.login_address_max_failures, settings.login_address_window_s),
        CREDENTIALS_CHANGE: Limit(
            settings.change_password_max_failures, settings.change_password_window_s
        ),
        REGISTER: Limit(settings.register_max_per_address, settings.register_window_s),
    }


class AuthService:
    def __init__(
        self,
        tokens: TokenService,
        throttle: Throttle,
        sessions: SessionSignal,
        gate: SessionGate | None = None,
    ) -> None:
        self.tokens = tokens
        self.throttle = throttle
        # Told after a revocation is committed: open sockets of those sessions close, and
        # every API process's gate forgets them.
        self.sessions = sessions
        self.gate = gate if gate is not None else SessionGate(0)

    async def _ended(self, session_ids: list[uuid.UUID]) -> None:
        """After the commit of a revocation: this process forgets the sessions at once
        (before its next request), then every process hears it."""
        self.gate.forget(session_ids)
        await self.sessions.ended(session_ids)

    async def _reserve(self, *claims: tuple[str, str], message: str) -> None:
        retry = await self.throttle.reserve(*claims)
        if retry is not None:
            raise TooManyRequests(
                message,
                code="too_many_attempts",
                details={"retry_after": retry},
                headers={"Retry-After": str(retry)},
            )

    # -- sessions ----------------------------------------------------------------------
    async def _start_session(
        self, db: AsyncSession, user: User, client: ClientInfo
    ) -> IssuedTokens:
        now = utcnow()
        session = RefreshSession(
            user_id=user.id,
            created_at=now,
            last_used_at=now,
            expires_at=now + self.tokens.refresh_ttl,
            user_agent=(client.user_agent or "")[:400] or None,
            ip=client.ip,
        )
        db.add(session)
        await db.flush()
        return await self._issue(db, user, session.id, now)

    async def _issue(
        self, db: AsyncSession, user: User, session_id: uuid.UUID, now: datetime
    ) -> IssuedTokens:
        refresh = self.tokens.new_refresh_token()
        db.add(
            RefreshToken(
                session_id=session_id,
                token_hash=self.tokens.hash_refresh(refresh),
                issued_at=now,
                expires_at=now + self.tokens.refresh_ttl,
            )
        )
        access = self.tokens.issue_access(user.id, session_id, user.role)
        return IssuedTokens(
            access, refresh, int(self.tokens.access_ttl.total_seconds()), session_id
        )

    async def _revoke_sessions(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        reason: str,
        *,
        only: uuid.UUID | None = None,
        keep: uuid.UUID | None = None,
    ) -> list[uuid.UUID]:
        """Revoke; returns the sessions ended, to announce once the change is committed."""
        stmt = (
            update(RefreshSession)
            .where(RefreshSession.user_id == user_id, RefreshSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason)
            .returning(RefreshSession.id)
        )
        if only is not None:
            stmt = stmt.where(RefreshSession.id == only)
        if keep is not None:
            stmt = stmt.where(RefreshSession.id != keep)
        return list((await db.scalars(stmt)).all())

    # -- flows -------------------------------------------------------------------------
    async def register(
        self,
        db: AsyncSession,
        *,
        email: str,
        password: str,
        name: str,
        client: ClientInfo,
        role: str = Role.USER,
    ) -> tuple[User, IssuedTokens]:
        # Every attempt counts, refused or not: it also bounds probing for taken emails.
        await self._reserve(
            (REGISTER, client.ip or "-"),
            message="Too many accounts registered from this address. Try again later.",
        )
        problem = password_problem(password, email)
        if problem:
            raise WeakPassword(problem, details=[{"field": "password", "message": problem}])
        existing = await db.scalar(select(User.id).where(User.email == email))
        if existing is not None:
            raise Conflict("An account with this email already exists.", code="email_taken")
        user = User(
            email=email,
            password_hash=await hash_password(password),
            name=name.strip(),
            role=role,
            preferences={},
        )
        db.add(user)
        try:
            await db.flush()
        except IntegrityError as exc:  # a concurrent registration won the race
            await db.rollback()
            raise Conflict(
                "An account with this email already exists.", code="email_taken"
            ) from exc
        issued = await self._start_session(db, user, client)
        await db.commit()
        log.info("user_registered", user_id=str(user.id))
        return user, issued

    async def login(
        self, db: AsyncSession, *, email: str, password: str, client: ClientInfo
    ) -> tuple[User, IssuedTokens]:
        address = client.ip or "-"
        account = f"{email}|{address}"
        # Reserved before the check, so a parallel burst cannot run more checks than the
        # limit; while locked out even the right password is refused.
        await self._reserve(
            (LOGIN, account),
            (LOGIN_ADDRESS, address),
            message="Too many failed login attempts. Try again later.",
        )
        user = await db.scalar(select(User).where(User.email == email))
        ok = await verify_password(password, user.password_hash if user else None)
        if not ok or user is None or not user.is_active:
            log.info("login_failed", email_known=user is not None)
            raise Unauthorized("Email or password is incorrect.", code="invalid_credentials")
        await self.throttle.reset(LOGIN, account)
        # The address limit counts failures only: a success gives its attempt back (and
        # only its own, so logging in to one's own account does not reset a spray).
        await self.throttle.refund(LOGIN_ADDRESS, address)
        user.last_login_at = utcnow()
        issued = await self._start_session(db, user, client)
        await db.commit()
        return user, issued

    async def refresh(
        self, db: AsyncSession, *, refresh_token: str, client: ClientInfo
    ) -> tuple[User, IssuedTokens]:
        now = utcnow()
        token_hash = self.tokens.hash_refresh(refresh_token)
        row = (
            await db.execute(
                select(RefreshToken, RefreshSession)
                .join(RefreshSession, RefreshSession.id == RefreshToken.session_id)
                .where(RefreshToken.token_hash == token_hash)
            )
        ).first()
        if row is None:
            raise Unauthorized("The refresh token is invalid.", code="invalid_token")
        token, session = row
        if session.revoked_at is not None:
            raise Unauthorized("This session has ended; log in again.", code="session_revoked")
        # Atomic claim: of two concurrent refreshes with one token, only one wins.
        claimed = await db.execute(
            update(RefreshToken)
            .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        if affected_rows(claimed) != 1:
            # A rotated token came back: someone holds a copy. End the whole family.
            ended = await self._revoke_sessions(db, session.user_id, "token_reuse", only=session.id)
            db.add(
                AuthEvent(
                    user_id=session.user_id,
                    event="refresh_token_reuse",
                    ip=client.ip,
                    detail=f"session {session.id}",
                )
            )
            await db.commit()
            await self._ended(ended)
            log.warning(
                "refresh_token_reuse", user_id=str(session.user_id), session_id=str(session.id)
            )
            raise Unauthorized(
                "This refresh token was already used; the session has been ended for safety.",
                code="token_reused",
            )
        if token.expires_at <= now or session.expires_at <= now:
            await db.commit()
            raise Unauthorized("The refresh token has expired; log in again.", code="token_expired")
        user = await db.get(User, session.user_id)
        if user is None or not user.is_active:
            await db.commit()
            raise Unauthorized("The account is not active.", code="invalid_token")
        session.last_used_at = now
        issued = await self._issue(db, user, session.id, now)
        await db.commit()
        return user, issued

    async def logout(
        self, db: AsyncSession, user: User, session_id: uuid.UUID, refresh_token: str | None
    ) -> None:
        target = session_id
        if refresh_token:
            found = await db.scalar(
                select(RefreshToken.session_id).where(
                    RefreshToken.token_hash == self.tokens.hash_refresh(refresh_token)
                )
            )
            if found is not None:
                target = found
        ended = await self._revoke_sessions(db, user.id, "logout", only=target)
        await db.commit()
        await self._ended(ended)

    async def change_password(
        self,
        db: AsyncSession,
        user: User,
        session_id: uuid.UUID,
        *,
        current_password: str,
        new_password: str,
        client: ClientInfo,
    ) -> None:
        # Per account: whoever holds a stolen access token must not guess the password.
        key = str(user.id)
        await self._reserve(
            (CREDENTIALS_CHANGE, key),
            message="Too many wrong current passwords. Try again later.",
        )
        if not await verify_password(current_password, user.password_hash):
            raise Unauthorized(
                "The current password is incorrect.", code="invalid_credentials", headers={}
            )
        await self.throttle.reset(CREDENTIALS_CHANGE, key)
        problem = password_problem(new_password, user.email)
        if problem:
            raise WeakPassword(problem, details=[{"field": "new_password", "message": problem}])
        user.password_hash = await hash_password(new_password)
        user.password_changed_at = utcnow()
        ended = await self._revoke_sessions(db, user.id, "password_changed", keep=session_id)
        db.add(AuthEvent(user_id=user.id, event="password_changed", ip=client.ip))
        await db.commit()
        await self._ended(ended)

    async def authenticate(
        self, db: AsyncSession, access_token: str, *, kind: str | None = None
    ) -> Identity:
        """Who sends this access token: checked against the gate (memory), the database
        only when the gate does not know the session."""
        claims = (
            self.tokens.decode_access(access_token)
            if kind is None
            else self.tokens.decode_access(access_token, kind=kind)
        )
        return await self.gate.check(db, claims.user_id, claims.session_id)

    async def session_user(
        self, db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
    ) -> User:
        """The user of a session that still stands; 401 when it ended or the account is
        not active."""
        row = (
            await db.execute(
                select(User, RefreshSession.revoked_at)
                .join(RefreshSession, RefreshSession.user_id == User.id)
                .where(User.id == user_id, RefreshSession.id == session_id)
            )
        ).first()
        if row is None:
            raise Unauthorized("The access token is invalid.", code="invalid_token")
        user, revoked_at = row
        if revoked_at is not None:
            raise Unauthorized("This session has ended; log in again.", code="session_revoked")
        if not user.is_active:
            raise Unauthorized("The account is not active.", code="invalid_token")
        return user
