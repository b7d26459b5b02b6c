"""Keyset cursors: the sort key of the last row seen, so pages stay stable while new rows
arrive (no offsets that shift). One codec for every listing.

A cursor is text of a shape its listing's pattern states exactly (the OpenAPI document
carries the pattern), so that every string the pattern admits is a position in that listing:
`{listing}.{field}.{field}...`, with times as microseconds since 1970 UTC, ids as 32 hex
digits and whole numbers as bounded digits. A cursor of another listing, or anything else,
does not match and is refused (400 invalid_cursor); nothing in one can overflow a column or
a date, because the pattern bounds every field."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.core.errors import AppError

T = TypeVar("T")

MAX_LIMIT = 200
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidCursor(AppError):
    status_code = 400
    code = "invalid_cursor"


KeyValue = datetime | uuid.UUID | int

# The fields of a cursor, by the pattern each is written in. Every match is a value the
# column can hold: 16 digits of microseconds reach year 2286, positions stay below 2**31.
TIME = "[0-9]{1,16}"  # microseconds since 1970 UTC
ID = "[0-9a-f]{32}"  # a UUID's hex digits
RATING = "[0-5]"  # 0 (none) to 5
POSITION = "[0-9]{1,9}"  # a place in a collection


@dataclass(frozen=True)
class CursorFormat:
    """One listing's cursor: `listing` names it, `fields` are its sort key's parts."""

    listing: str
    fields: tuple[str, ...]

    @property
    def pattern(self) -> str:
        parts = [re.escape(self.listing), *self.fields]
        return "^" + r"\.".join(parts) + "$"

    def encode(self, *values: KeyValue) -> str:
        out = [self.listing]
        for kind, value in zip(self.fields, values, strict=True):
            if kind == TIME:
                assert isinstance(value, datetime)
                out.append(str((value.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)))
            elif kind == ID:
                assert isinstance(value, uuid.UUID)
                out.append(value.hex)
            else:
                out.append(str(int(value)))  # type: ignore[arg-type]
        return ".".join(out)

    def decode(self, cursor: str) -> list[KeyValue]:
        if not re.fullmatch(self.pattern[1:-1], cursor):
            raise InvalidCursor("The cursor is not valid; start again without one.")
        values: list[KeyValue] = []
        for kind, text in zip(self.fields, cursor.split(".")[1:], strict=True):
            if kind == TIME:
                values.append(_EPOCH + timedelta(microseconds=int(text)))
            elif kind == ID:
                values.append(uuid.UUID(hex=text))
            else:
                values.append(int(text))
        return values


def cursor_field(fmt: CursorFormat, **kwargs: Any) -> Any:
    """The `cursor` parameter of a listing, its exact shape stated in the document."""
    return Query(
        max_length=500,
        description="`next_cursor` of the page before; the pattern is exact, anything "
        "else is refused as `invalid_cursor`.",
        json_schema_extra={"pattern": fmt.pattern},
        **kwargs,
    )


@dataclass(frozen=True)
class PageParams:
    """A listing's `limit` and `cursor` query parameters."""

    limit: int
    cursor: str | None


def page_params(fmt: CursorFormat, default_limit: int) -> Any:
    """`limit` and `cursor` of a listing whose cursors are `fmt`, as one dependency."""

    # Defaults, not Annotated: the annotations are strings (PEP 563), and FastAPI could
    # not resolve a closure's `fmt` in them.
    async def params(
        limit: int = Query(default_limit, ge=1, le=MAX_LIMIT),
        cursor: str | None = cursor_field(fmt, default=None),
    ) -> PageParams:
        return PageParams(limit, cursor)

    return Depends(params)


def newest_first_format(model: Any) -> CursorFormat:
    """The cursor of a listing of `model`'s rows newest first: its table names it."""
    return CursorFormat(model.__tablename__, (TIME, ID))


async def newest_first_page(
    db: AsyncSession, stmt: Select[T], model: Any, *, limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """One page of `stmt`'s rows (`select(Model)`), newest first by (created_at, id),
    after `cursor`. Its cursors name the table, so one listing's cursor is refused by
    another."""
    fmt = newest_first_format(model)
    if cursor is not None:  # "" is not a cursor either
        created_at, row_id = fmt.decode(cursor)
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
    return rows, fmt.encode(last.created_at, last.id)
