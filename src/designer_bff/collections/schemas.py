from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from designer_bff.core.fields import NOT_BLANK

# Trimmed; blank is refused, and the document says so.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK}),
]


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: str | None = Field(default=None, max_length=4000)
    cover_image_id: uuid.UUID | None = None
    image_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class CollectionPatch(BaseModel):
    """Only the fields given change; `cover_image_id: null` clears the cover."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: str | None = Field(default=None, max_length=4000)
    cover_image_id: uuid.UUID | None = None


class ImageIdsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class CollectionOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    cover_image_id: uuid.UUID | None = Field(description="Chosen cover, if any.")
    cover: dict[str, Any] | None = Field(
        description="URLs and placeholder of the cover (the chosen one, else the first design)."
    )
    image_count: int
    shared: bool
    share_url: str | None
    created_at: datetime
    updated_at: datetime


class CollectionPage(BaseModel):
    items: list[CollectionOut]
    next_cursor: str | None


class AddImagesOut(BaseModel):
    added: int
    already_present: int
    collection: CollectionOut


class RemoveImagesOut(BaseModel):
    removed: int
    collection: CollectionOut


class OrderOut(BaseModel):
    image_ids: list[uuid.UUID] = Field(description="Every design of the collection, in order.")


class ShareOut(BaseModel):
    url: str
    token: str
    shared_at: datetime


class SharedItem(BaseModel):
    id: uuid.UUID
    title: str | None
    width: int | None
    height: int | None
    ratio: float | None
    thumbhash: str | None
    dominant_color: str | None
    garment_type: str | None
    urls: dict[str, str] = Field(description="thumb and preview only.")


class SharedCollectionOut(BaseModel):
    name: str
    description: str | None
    image_count: int
    items: list[SharedItem]
    next_cursor: str | None
