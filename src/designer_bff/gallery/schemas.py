"""Gallery and feedback shapes: query parameters, request bodies and responses."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic import model_validator as _model_validator

from designer_bff.core.errors import AppError
from designer_bff.core.fields import NOT_BLANK, whole_floats
from designer_bff.core.pagination import ID, MAX_LIMIT, POSITION, RATING, TIME, CursorFormat
from designer_bff.designs.models import DesignType
from designer_bff.garments.spec import TAG_FILTERS

FeedbackFilter = Literal["favorite", "liked", "disliked", "unrated"]
SortOrder = Literal["newest", "oldest", "rating"]
FeedbackType = Literal["outlier", "favorite", "like", "dislike"]

# Gallery filters that read a design's attribute tags (one per tag family).
ATTRIBUTE_FILTERS: tuple[str, ...] = tuple(TAG_FILTERS)

Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


def _split(value: Any) -> Any:
    # ?color=red&color=blue and ?color=red,blue both mean "red or blue".
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if item == "":
            out.append(item)  # an empty value is refused (minLength 1), not skipped
        elif isinstance(item, str):
            out.extend(p.strip().lower() for p in item.split(",") if p.strip())
        else:
            out.append(item)
    return out or None


class InvalidDate(AppError):
    status_code = 400
    code = "invalid_date"


# RFC 3339, exactly what the document's `date` and `date-time` formats admit.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STAMP = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# A time on the calendar's first day ahead of UTC, or on its last day behind UTC, may fall
# outside years 1..9999 once in UTC; such offsets are refused there (invalid_date), whatever
# the time, so the rule fits a pattern the document states.
_AHEAD = r"\+(?:(?:0[1-9]|1[0-9]|2[0-3]):[0-5][0-9]|00:(?:0[1-9]|[1-5][0-9]))$"
_BEHIND = _AHEAD.replace("\\+", "-")
_EDGES = [{"pattern": "^0001-01-01[Tt].*" + _AHEAD}, {"pattern": "^9999-12-31[Tt].*" + _BEHIND}]


def _bound_schema(*, end: bool) -> dict[str, Any]:
    day: dict[str, Any] = {"type": "string", "format": "date"}
    if end:  # the day after 9999-12-31 does not exist
        day["not"] = {"const": "9999-12-31"}
    stamp = {"type": "string", "format": "date-time", "not": {"anyOf": _EDGES}}
    return {"anyOf": [day, stamp, {"type": "null"}]}


def parse_when(value: str, *, end: bool, field: str = "date") -> datetime:
    """An RFC 3339 date or date-time as an aware UTC bound. A date as the end of a range
    includes that whole day (the bound returned is the next midnight, exclusive).

    ValueError when it is not one; InvalidDate when the bound may fall outside years
    1..9999 in UTC (9999-12-31 as an end, 0001-01-01T00:00+14:00), which Python's
    datetime cannot hold: that overflow was an uncaught 500."""
    out_of_range = InvalidDate(
        f"{field}: the date {value!r} is outside the supported range (years 1 to 9999, in UTC).",
        details=[{"field": field, "message": "date out of range"}],
    )
    if _DATE.fullmatch(value):
        day = date.fromisoformat(value)
        try:
            if end:
                day += timedelta(days=1)
        except OverflowError as exc:
            raise out_of_range from exc
        return datetime.combine(day, time(0), tzinfo=UTC)
    text = value.replace(" ", "+")  # an unencoded "+02:00" arrives as " 02:00"
    match = _STAMP.fullmatch(text)
    if match is None:
        raise ValueError("not an RFC 3339 date or date-time")
    day_text, clock, fraction, offset = match.groups()
    offset = "+00:00" if offset in ("Z", "z") else offset
    micros = (fraction or ".")[1:7].ljust(6, "0")
    stamp = datetime.fromisoformat(f"{day_text}T{clock}.{micros}{offset}")
    zero = offset[1:] == "00:00"
    if (day_text == "0001-01-01" and offset[0] == "+" and not zero) or (
        day_text == "9999-12-31" and offset[0] == "-" and not zero
    ):
        raise out_of_range
    return stamp.astimezone(UTC)


class GalleryFilters(BaseModel):
    """What to show. Within one filter, several values mean any of them (?color=red,blue);
    different filters must all hold."""

    model_config = ConfigDict(extra="forbid")

    type: list[DesignType] | None = Field(default=None, description="generated, portfolio...")
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
        default=None,
        max_length=40,
        description="Created at or after (RFC 3339 date or date-time).",
        json_schema_extra=_bound_schema(end=False),
    )
    date_to: str | None = Field(
        default=None,
        max_length=40,
        description="Created at or before (RFC 3339 date-time; a date includes that day).",
        json_schema_extra=_bound_schema(end=True),
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
    def _when(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Parsed as bounds() will use it, so a bound that cannot exist is refused here
        # (InvalidDate is not a ValueError: it passes through pydantic as a 400).
        if value is not None:
            try:
                field = info.field_name or "date"
                parse_when(value, end=field == "date_to", field=field)
            except ValueError as exc:
                raise ValueError(
                    "expected an RFC 3339 date (2025-06-01) or date-time (2025-06-01T09:30:00Z)"
                ) from exc
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


# A cursor is the whole position of the last design seen, whatever the sort: any sort can
# go on after it, so a cursor never depends on the `sort` it is sent with.
GALLERY_CURSOR = CursorFormat("images", (RATING, TIME, ID))
COLLECTION_CURSOR = CursorFormat("collection_images", (POSITION, RATING, TIME, ID))
_CURSOR_HELP = "`next_cursor` of the page before (any sort may follow it)."


class GalleryParams(GalleryFilters):
    sort: SortOrder = "newest"
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(
        default=None,
        max_length=500,
        description=_CURSOR_HELP,
        json_schema_extra={"pattern": GALLERY_CURSOR.pattern},
    )
    layout: Literal["items", "columns"] = Field(
        default="items", description="columns: parallel arrays for a masonry layout."
    )


class CollectionImagesParams(GalleryFilters):
    sort: Literal["position", "newest", "oldest", "rating"] = "position"
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(
        default=None,
        max_length=500,
        description=_CURSOR_HELP,
        json_schema_extra={"pattern": COLLECTION_CURSOR.pattern},
    )
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
    source_image_id: uuid.UUID | None = Field(
        default=None, description="An enhanced design's source design."
    )
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

Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 40, "pattern": NOT_BLANK}),
]


_VALUES = ("type", "rating", "comment", "tags")
_SOME_VALUE: list[JsonValue] = [{"required": [name]} for name in _VALUES]


class FeedbackIn(BaseModel):
    """Set feedback: a verdict (`type`), a rating, a comment and/or tags. Fields left out
    keep their value; an empty comment clears it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": _SOME_VALUE})

    type: FeedbackType | None = None
    # Strict: true is not a rating of 1, nor "5" one of 5.
    rating: int | None = Field(default=None, strict=True, ge=1, le=5)
    _whole = whole_floats("rating")
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

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["clear"],
                    "properties": {"clear": {"const": True}},
                    "not": {"anyOf": _SOME_VALUE[1:]},
                },
                {"properties": {"clear": {"const": False}}, "anyOf": _SOME_VALUE},
            ]
        },
    )

    image_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    type: FeedbackType | None = None
    rating: int | None = Field(default=None, strict=True, ge=1, le=5)
    _whole = whole_floats("rating")
    comment: str | None = Field(default=None, max_length=4000)
    tags: list[Tag] | None = Field(default=None, max_length=20)
    clear: bool = Field(default=False, strict=True)  # 0 or "yes" must not wipe feedback

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
    isOutlier: bool = Field(default=True, strict=True)


class LegacyCommentIn(BaseModel):
    imageId: uuid.UUID
    comment: str = Field(max_length=4000)
