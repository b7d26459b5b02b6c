from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

_TIMEZONES = frozenset(available_timezones())


class _EmailIn(BaseModel):
    email: EmailStr

    @field_validator("email", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        # Emails are trimmed and compared case-insensitively everywhere.
        return value.strip().lower() if isinstance(value, str) else value


class RegisterIn(_EmailIn):
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=200)


class LoginIn(_EmailIn):
    password: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutIn(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=512)


class ChangePasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class UpdateMeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    timezone: str | None = None
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
