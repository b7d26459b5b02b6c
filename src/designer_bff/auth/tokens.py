"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from designer_bff.core.errors import Unauthorized
from designer_bff.db.base import utcnow

ISSUER = "designer-bff"


# Token kinds: API access (Bearer), and file viewing (the files cookie).
ACCESS = "access"
FILES = "files"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    role: str
    expires_at: datetime


class TokenService:
    def __init__(self, secret: str, *, algorithm: str, access_ttl_s: int, refresh_ttl_s: int):
        self._secret = secret
        self.algorithm = algorithm
        self.access_ttl = timedelta(seconds=access_ttl_s)
        self.refresh_ttl = timedelta(seconds=refresh_ttl_s)

    def issue_access(
        self, user_id: uuid.UUID, session_id: uuid.UUID, role: str, *, kind: str = ACCESS
    ) -> str:
        """A signed token of the session. `kind` FILES makes one that only the file routes
        accept (it travels in a cookie that browsers send with <img> requests)."""
        now = utcnow()
        payload = {
            "iss": ISSUER,
            "sub": str(user_id),
            "sid": str(session_id),
            "role": role,
            "typ": kind,
            "iat": int(now.timestamp()),
            "exp": int((now + self.access_ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._secret, algorithm=self.algorithm)

    def decode_access(self, token: str, *, kind: str = ACCESS) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[self.algorithm],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "sid", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized(
                "The access token has expired; refresh it or log in again.", code="token_expired"
            ) from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is invalid.", code="invalid_token") from exc
        if payload.get("typ") != kind:
            raise Unauthorized("The access token is invalid.", code="invalid_token")
        try:
            return AccessClaims(
                user_id=uuid.UUID(payload["sub"]),
                session_id=uuid.UUID(payload["sid"]),
                role=str(payload.get("role", "user")),
                expires_at=datetime.fromtimestamp(payload["exp"]).astimezone(),
            )
        except (ValueError, TypeError) as exc:
            raise Unauthorized("The access token is invalid.", code="invalid_token") from exc

    @staticmethod
    def new_refresh_token() -> str:
        return "rt_" + secrets.token_urlsafe(32)

    @staticmethod
    def hash_refresh(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
