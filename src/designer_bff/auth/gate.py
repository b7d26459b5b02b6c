"""Which login sessions still stand, answered from memory on the hot path.

Every authenticated request used to cost a database round trip to check that its
session was not revoked. The gate keeps the answer for a short while instead: a
revocation made through the service is forgotten here at once and announced on the
"sessions ended" signal (Redis pub/sub between API processes), so every process drops
it within milliseconds. What the signal cannot carry (an operator's SQL that
deactivates an account, messages missed while Redis was away) is bounded by the
time-to-live; the listener also clears the gate whenever it re-subscribes.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.auth.models import RefreshSession, Role, User
from designer_bff.core.errors import Unauthorized


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling, as far as authorisation needs to know."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    role: Role


class SessionGate:
    def __init__(
        self,
        ttl_s: float,
        *,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        # session id -> (identity, monotonic expiry); oldest first, for eviction.
        self._alive: OrderedDict[uuid.UUID, tuple[Identity, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._alive)

    async def check(self, db: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> Identity:
        """The identity of a standing session; 401 when it ended or never existed."""
        if self.ttl_s > 0:
            hit = self._alive.get(session_id)
            if hit is not None:
                identity, expires = hit
                if expires > self._clock() and identity.user_id == user_id:
                    return identity
                del self._alive[session_id]
        row = (
            await db.execute(
                select(User.role, User.is_active, RefreshSession.revoked_at)
                .join(RefreshSession, RefreshSession.user_id == User.id)
                .where(User.id == user_id, RefreshSession.id == session_id)
            )
        ).first()
        if row is None:
            raise Unauthorized("The access token is invalid.", code="invalid_token")
        role, active, revoked_at = row
        if revoked_at is not None:
            raise Unauthorized("This session has ended; log in again.", code="session_revoked")
        if not active:
            raise Unauthorized("The account is not active.", code="invalid_token")
        identity = Identity(user_id, session_id, Role(role))
        if self.ttl_s > 0:
            self._alive[session_id] = (identity, self._clock() + self.ttl_s)
            if len(self._alive) > self.max_entries:
                self._alive.popitem(last=False)
        return identity

    def forget(self, session_ids: Iterable[uuid.UUID | str]) -> None:
        for sid in session_ids:
            key = sid if isinstance(sid, uuid.UUID) else uuid.UUID(sid)
            self._alive.pop(key, None)

    def clear(self) -> None:
        self._alive.clear()
