"""Gallery and feedback shapes: query parameters, request bodies and responses."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic import model_validator as _model_validator

from designer_bff.core.pagination import MAX_LIMIT

ImageType = Literal["generated", "portfolio", "enhanced"]
FeedbackFilter = Literal["favorite", "liked", "disliked", "unrated"]
SortOrder = Literal["newest", "oldest", "rating"]
FeedbackType = Literal["outlier", "favorite", "like", "dislike"]

# Gallery filter name -> tag family prefix in images.attribute_tags (gallery.models).
ATTRIBUTE_FILTERS: tuple[str, ...] = (
    "style",
    "color",
    "pattern",
    "fabric",
    "silhouette",
    "length",
    "neckline",
    "sleeve",
    "occasion",
    "season",
)

Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


def _split(value: Any) -> Any:
    # ?color=red&color=blue and ?color=red,blue both mean "red or blue".
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.extend(p.strip().lower() for p in item.split(",") if p.strip())
        else:
            out.append(item)
    return out or None


def parse_when(value: str, *, end: bool) -> datetime:
    """An ISO date or datetime as an aware UTC bound. A date as the end of a range
    includes that whole day (the bound returned is the next midnight, exclusive)."""
    text = value.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        if end:
            day += timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=UTC)
    if "T" in text and " " in text:  # an unencoded "+02:00" arrives as " 02:00"
        text = text.replace(" ", "+")
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


class GalleryFilters(BaseModel):
    """What to show. Within one filter, several values mean any of them (?color=red,blue);
    different filters must all hold."""

    model_config = ConfigDict(extra="forbid")

    type: list[ImageType] | None = Field(default=None, description="generated, portfolio...")
    job_id: uuid.UUID | None = None
    collection_id: uuid.UUID | None = None
    is_outlier: bool | None = None
    feedback: FeedbackFilter | None = Field(
        default=None, description="My feedback: favorite, liked, disliked or unrated."
    )
    min_rating: int | None = Field(default=None, ge=1, le=5, description="My rating at least.")
    garment_type: list[Word] | None = None
    style: list[Word] | None = None
    color: list[Word] | None = None
    pattern: list[Word] | None = None
    fabric: list[Word] | None = None
    silhouette: list[Word] | None = None
    length: list[Word] | None = None
    neckline: list[Word] | None = None
    sleeve: list[Word] | None = None
    occasion: list[Word] | None = None
    season: list[Word] | None = None
    provider: list[Word] | None = None
    date_from: str | None = Field(
        default=None, max_length=40, description="Created at or after (ISO date or datetime)."
    )
    date_to: str | None = Field(
        default=None,
        max_length=40,
        description="Created at or before (ISO datetime; an ISO date includes that day).",
    )
    q: str | None = Field(default=None, max_length=200, description="Text in the prompt.")
    trash: bool = Field(default=False, description="My deleted designs, still restorable.")

    @field_validator(
        "type",
        "garment_type",
        "provider",
        *ATTRIBUTE_FILTERS,
        mode="before",
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("date_from", "date_to")
    @classmethod
    def _when(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_when(value, end=False)
            except ValueError as exc:
                raise ValueError("expected an ISO date (2025-06-01) or datetime") from exc
        return value

    @field_validator("q")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    def bounds(self) -> tuple[datetime | None, datetime | None, bool]:
        """(from inclusive, to, to_exclusive)."""
        start = parse_when(self.date_from, end=False) if self.date_from else None
        if not self.date_to:
            return start, None, False
        return start, parse_when(self.date_to, end=True), len(self.date_to.strip()) == 10

    def query_dict(self) -> dict[str, Any]:
        """The filters that are set, as query parameters (lists joined with commas)."""
        out: dict[str, Any] = {}
        for name, value in self.model_dump(exclude_defaults=True).items():
            if isinstance(value, list):
                out[name] = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                out[name] = "true" if value else "false"
            else:
                out[name] = str(value)
        return out

    def url(self, path: str = "/api/images") -> str:
        query = self.query_dict()
        return f"{path}?{urlencode(query)}" if query else path


class GalleryParams(GalleryFilters):
    sort: SortOrder = "newest"
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=500)
    layout: Literal["items", "columns"] = Field(
        default="items", description="columns: parallel arrays for a masonry layout."
    )


class CollectionImagesParams(GalleryFilters):
    sort: Literal["position", "newest", "oldest", "rating"] = "position"
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=500)
    layout: Literal["items", "columns"] = "items"


class MyFeedback(BaseModel):
    is_outlier: bool
    is_favorite: bool
    reaction: Literal["like", "dislike"] | None
    rating: int | None
    comment: str | None
    tags: list[str]
    updated_at: datetime | None


class GalleryItem(BaseModel):
    id: uuid.UUID
    type: str
    title: str | None
    width: int | None
    height: int | None
    ratio: float | None = Field(description="width / height")
    thumbhash: str | None
    dominant_color: str | None
    urls: dict[str, str]
    spec: dict[str, Any] = Field(description="Summary: garment type and main attributes.")
    provider: str | None
    is_outlier: bool
    my_feedback: MyFeedback | None
    job_id: uuid.UUID | None
    cost_usd: str
    created_at: datetime
    deleted_at: datetime | None = None
    purge_after: datetime | None = None


class GalleryPage(BaseModel):
    items: list[GalleryItem]
    next_cursor: str | None


class GalleryColumns(BaseModel):
    """One page as parallel arrays: index i of every list describes the same design."""

    count: int
    ids: list[uuid.UUID]
    types: list[str]
    widths: list[int | None]
    heights: list[int | None]
    ratios: list[float | None]
    thumbhashes: list[str | None]
    dominant_colors: list[str | None]
    thumb_urls: list[str]
    preview_urls: list[str]
    is_outlier: list[bool]
    ratings: list[int | None]
    created_at: list[datetime]
    next_cursor: str | None


class CollectionRef(BaseModel):
    id: uuid.UUID
    name: str


class ImageDetail(BaseModel):
    id: uuid.UUID
    type: str
    status: str
    title: str | None
    source_filename: str | None
    prompt: str | None
    negative_prompt: str | None
    spec: dict[str, Any] | None
    garment_type: str | None
    provider: str | None
    model: str | None
    seed: int | None
    width: int | None
    height: int | None
    bytes: int | None
    format: str | None
    thumbhash: str | None
    dominant_color: str | None
    urls: dict[str, str]
    cost_usd: str
    costs: dict[str, Any] = Field(description="This design's cost and its job's total.")
    timings: dict[str, Any]
    job: dict[str, Any] | None
    vlt: dict[str, Any] | None = Field(description="The visual descriptor's analysis, if any.")
    collections: list[CollectionRef]
    is_outlier: bool
    outlier_marked_at: datetime | None
    my_feedback: MyFeedback | None
    created_at: datetime
    completed_at: datetime | None


class DeletedOut(BaseModel):
    id: uuid.UUID
    deleted_at: datetime
    purge_after: datetime
    restore_url: str


class RestoredOut(BaseModel):
    id: uuid.UUID
    restored: bool


class LegacyGalleryImage(BaseModel):
    id: str
    url: str
    thumbnailUrl: str
    width: int | None
    height: int | None
    thumbhash: str | None
    isOutlier: bool
    jobId: str | None
    prompt: str | None
    createdAt: datetime


class LegacyGalleryOut(BaseModel):
    success: bool
    images: list[LegacyGalleryImage]
    pagination: dict[str, int | bool]


# -- feedback ---------------------------------------------------------------------------

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class FeedbackIn(BaseModel):
    """Set feedback: a verdict (`type`), a rating, a comment and/or tags. Fields left out
    keep their value; an empty comment clears it."""

    model_config = ConfigDict(extra="forbid")

    type: FeedbackType | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=4000)
    tags: list[Tag] | None = Field(default=None, max_length=20)

    @_model_validator(mode="after")
    def _something(self) -> FeedbackIn:
        if not self.model_fields_set & {"type", "rating", "comment", "tags"}:
            raise ValueError("give at least one of type, rating, comment or tags")
        return self


class BulkFeedbackIn(BaseModel):
    """The same feedback on many designs at once; `clear` removes `type` (or all feedback
    when no type is given) instead of setting it. All or nothing."""

    model_config = ConfigDict(extra="forbid")

    image_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    type: FeedbackType | None = None
    rating: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=4000)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    clear: bool = False

    @_model_validator(mode="after")
    def _something(self) -> BulkFeedbackIn:
        given = self.model_fields_set & {"type", "rating", "comment", "tags"}
        if self.clear and given - {"type"}:
            raise ValueError("clear takes only a type (or nothing, to clear all feedback)")
        if not self.clear and not given:
            raise ValueError("give at least one of type, rating, comment or tags")
        return self


class FeedbackOut(MyFeedback):
    image_id: uuid.UUID
    outlier_marked_at: datetime | None


class BulkFeedbackOut(BaseModel):
    updated: int = Field(description="Designs whose feedback changed.")
    items: list[FeedbackOut]


class LegacyOutlierIn(BaseModel):
    imageId: uuid.UUID
    isOutlier: bool = True


class LegacyCommentIn(BaseModel):
    imageId: uuid.UUID
    comment: str = Field(max_length=4000)
