"""Opaque keyset cursors: (timestamp, id) of the last row seen, so pages stay stable
while new rows arrive (no offsets that shift)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.core.errors import AppError

T = TypeVar("T")

MAX_LIMIT = 200


class InvalidCursor(AppError):
    status_code = 400
    code = "invalid_cursor"


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return created_at, uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise InvalidCursor("The cursor is not valid; start again without one.") from exc


# -- keysets of any shape ------------------------------------------------------------------
# A cursor names the ordering it belongs to, so a cursor from one sort is refused by another
# instead of silently skipping rows. Values: datetimes (aware), UUIDs, ints and strings.

KeyValue = datetime | uuid.UUID | int | str


def encode_keyset(kind: str, *values: KeyValue) -> str:
    parts: list[object] = [kind]
    for value in values:
        if isinstance(value, datetime):
            parts.append({"t": value.isoformat()})
        elif isinstance(value, uuid.UUID):
            parts.append({"u": str(value)})
        else:
            parts.append(value)
    raw = json.dumps(parts, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset(cursor: str, kind: str, shape: tuple[type, ...]) -> list[KeyValue]:
    """The values of a cursor made by encode_keyset(kind, ...) with types `shape`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        parts = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(parts, list) or parts[:1] != [kind] or len(parts) != len(shape) + 1:
            raise ValueError("cursor of another listing")
        values: list[KeyValue] = []
        for want, part in zip(shape, parts[1:], strict=True):
            if want is datetime:
                stamp = datetime.fromisoformat(part["t"])
                if stamp.tzinfo is None:
                    raise ValueError("naive timestamp")
                values.append(stamp)
            elif want is uuid.UUID:
                values.append(uuid.UUID(part["u"]))
            elif want is int and isinstance(part, int) and not isinstance(part, bool):
                values.append(part)
            elif want is str and isinstance(part, str):
                values.append(part)
            else:
                raise ValueError("bad cursor value")
        return values
    except (
        ValueError,
        TypeError,
        KeyError,
        binascii.Error,
        json.JSONDecodeError,
        UnicodeDecodeError,
    ) as exc:
        raise InvalidCursor("The cursor is not valid; start again without one.") from exc


async def newest_first_page(
    db: AsyncSession, stmt: Select[tuple[T]], model: Any, *, limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """One page of `stmt`'s rows, newest first by (created_at, id), after `cursor`."""
    if cursor:
        created_at, row_id = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                model.created_at < created_at,
                and_(model.created_at == created_at, model.id < row_id),
            )
        )
    ordered = stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    rows = list((await db.scalars(ordered)).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last: Any = rows[-1]
    return rows, encode_cursor(last.created_at, last.id)
