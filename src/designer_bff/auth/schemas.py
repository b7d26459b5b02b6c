from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator
from pydantic_core import PydanticCustomError

from designer_bff.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

_TIMEZONES = frozenset(available_timezones())

# Scripts that may share one label (Unicode TR39 "highly restrictive"): Latin with the
# scripts of Japanese, Chinese or Korean writing. Any other mix (Latin + Cyrillic,
# Latin + Greek ...) is how look-alike addresses are made.
_SCRIPT_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_SCRIPT_ALIASES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN", "KATAKANA-HIRAGANA": "KATAKANA"}


def normalise_email(value: str) -> str:
    """The one spelling an address is stored and looked up under: trimmed, NFKC (full-width
    and other compatibility forms become their plain letters) and case-folded."""
    folded = unicodedata.normalize("NFKC", value.strip()).casefold()
    return unicodedata.normalize("NFKC", folded)


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name; None for digits, punctuation and
    modifier letters, which belong to every script."""
    if not unicodedata.category(char).startswith("L"):
        return None
    first = unicodedata.name(char, "").split(" ", 1)[0]
    if not first or first == "MODIFIER":
        return None
    return _SCRIPT_ALIASES.get(first, first)


def mixes_scripts(text: str) -> bool:
    scripts = {s for s in map(_script, text) if s is not None}
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPT_SETS)


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else c for c in word)


# `format: email` admits domains that email-validator refuses as special-use (RFC 6761:
# .test, .local, .localhost ...); the document says so, so a generated client knows.
SPECIAL_USE_DOMAIN = "[.@](" + "|".join(_any_case(d) for d in SPECIAL_USE_DOMAIN_NAMES) + r")\.?$"


class EmailIn(BaseModel):
    email: EmailStr = Field(
        description="An email address; special-use domains (.test, .local, .localhost, "
        ".invalid, .onion, .arpa) are refused.",
        json_schema_extra={"not": {"pattern": SPECIAL_USE_DOMAIN}},
    )

    @field_validator("email", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        # Emails are compared in one normal form everywhere, so "ｐａｕｌ@" is "paul@".
        return normalise_email(value) if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _one_script(cls, value: str) -> str:
        # Runs on the validated address, whose domain is Unicode even if sent as xn--.
        local, _, domain = value.rpartition("@")
        if any(mixes_scripts(label) for label in domain.split(".")):
            raise PydanticCustomError(
                "email_mixed_scripts",
                "The email domain mixes alphabets in one name (such as Latin and "
                "Cyrillic letters); type it in one alphabet",
            )
        if mixes_scripts(local):
            raise PydanticCustomError(
                "email_mixed_scripts",
                "The part before @ mixes alphabets (such as Latin and Cyrillic letters); "
                "type it in one alphabet",
            )
        return value


def password_being_set() -> Any:
    """A password being set: its length is stated in the document, but the service checks
    it (as `weak_password`, with the rule that it is not the email), not the schema."""
    return Field(
        min_length=1,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, not the email.",
        json_schema_extra={"minLength": MIN_PASSWORD_LENGTH},
    )


class RegisterIn(EmailIn):
    password: str = password_being_set()
    name: str = Field(default="", max_length=200)


class LoginIn(EmailIn):
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutIn(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=512)


class ChangePasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    new_password: str = password_being_set()


class UpdateMeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(
        default=None,
        description="An IANA time zone name.",
        json_schema_extra={"enum": [*sorted(_TIMEZONES), None]},
    )
    preferences: dict[str, Any] | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in _TIMEZONES:
            raise ValueError("unknown time zone (use an IANA name such as Europe/Paris)")
        return value

    @field_validator("preferences")
    @classmethod
    def _small_preferences(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(repr(value)) > 16_000:
            raise ValueError("preferences are limited to 16 kB")
        return value


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    role: str
    timezone: str
    preferences: dict[str, Any]
    created_at: datetime


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    # The original guide's clients read `token`; it is the access token.
    token: str


class AuthOut(TokenPair):
    user: UserOut
