"""Validators and patterns request schemas share."""

from __future__ import annotations

from typing import Any

from pydantic import field_validator


def _whole(cls: type, value: object) -> object:
    # JSON Schema's `integer` includes 1.0, so a whole float is that number; a fraction,
    # "5" or true stays refused by the strict int field, as a client bug.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def whole_floats(*fields: str) -> Any:
    """A before-validator for strict int fields: a float with no fraction is that integer.
    (A validator, not an annotated type: pydantic would then document `ge` for `minimum`.)"""
    return field_validator(*fields, mode="before")(_whole)


# Text that is more than blanks: a character Python's str.strip() keeps (its whitespace set
# spelled out, as JSON Schema's \s is ECMAScript's and differs from it).
NOT_BLANK = (
    "[^\t\n\u000b\f\r \u001c-\u001f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
