"""Opaque keyset cursors: (timestamp, id) of the last row seen, so pages stay stable
while new rows arrive (no offsets that shift)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from designer_bff.core.errors import AppError

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
