"""The gallery: my ready designs, filtered and sorted, a page at a time (keyset cursors);
one design in full; soft delete, restore and the purge after the grace period."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from designer_bff.collections.models import Collection, CollectionImage
from designer_bff.core.errors import AppError, NotFound
from designer_bff.db.base import utcnow
from designer_bff.db.fastread import Record, fetch_rows
from designer_bff.designs.models import DesignStatus, DesignType, Image
from designer_bff.designs.representation import aspect_ratio, image_urls, spec_summary
from designer_bff.designs.service import get_design
from designer_bff.gallery.models import ImageFeedback, Reaction
from designer_bff.gallery.schemas import (
    ATTRIBUTE_FILTERS,
    COLLECTION_CURSOR,
    GALLERY_CURSOR,
    GalleryFilters,
)
from designer_bff.generation.models import GenerationJob
from designer_bff.storage import ObjectStore
from designer_bff.styles.models import VltSpecification

log = structlog.get_logger("designer_bff.gallery")

# Columns a gallery page needs (no spec, prompt or timings: a page must stay small and fast).
_PAGE_COLUMNS = (
    Image.id,
    Image.type,
    Image.title,
    Image.width,
    Image.height,
    Image.thumbhash,
    Image.dominant_color,
    Image.garment_type,
    Image.attribute_tags,
    Image.provider,
    Image.is_outlier,
    Image.rating,
    Image.job_id,
    Image.generation_cost,
    Image.enhancement_cost,
    Image.created_at,
    Image.deleted_at,
    Image.purge_after,
    ImageFeedback.id.label("fb_id"),
    ImageFeedback.is_outlier.label("fb_outlier"),
    ImageFeedback.is_favorite.label("fb_favorite"),
    ImageFeedback.reaction.label("fb_reaction"),
    ImageFeedback.rating.label("fb_rating"),
    ImageFeedback.comment.label("fb_comment"),
    ImageFeedback.tags.label("fb_tags"),
    ImageFeedback.updated_at.label("fb_updated_at"),
)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def feedback_state(row: Any) -> dict[str, Any] | None:
    """My feedback from a page row (fb_* columns) or an ImageFeedback object."""
    if isinstance(row, ImageFeedback):
        return {**row.verdict(), "updated_at": row.updated_at}
    if row is None:
        return None
    return _feedback_of(_columns(row))


def _columns(row: Any) -> Any:
    """A page row's columns by name: SQLAlchemy rows through their mapping, asyncpg
    records (db/fastread.py) as they are."""
    return row if isinstance(row, Record) else row._mapping


def _feedback_of(r: Any) -> dict[str, Any] | None:
    if r["fb_id"] is None:
        return None
    return {
        "is_outlier": bool(r["fb_outlier"]),
        "is_favorite": bool(r["fb_favorite"]),
        "reaction": r["fb_reaction"],
        "rating": r["fb_rating"],
        "comment": r["fb_comment"],
        "tags": list(r["fb_tags"] or ()),
        "updated_at": r["fb_updated_at"],
    }


@lru_cache(maxsize=4096)
def _summary(garment_type: str | None, tags: tuple[str, ...]) -> dict[str, Any]:
    # Pages repeat the same few hundred tag sets; the result is only ever serialised.
    return spec_summary(garment_type, tags)


def item_out(row: Any) -> dict[str, Any]:
    """One card of a gallery page. The hottest code of the API (50 per page): columns
    by key, the spec summary cached."""
    r = _columns(row)
    image_id = r["id"]
    width, height = r["width"], r["height"]
    base = f"/api/images/{image_id}/file?variant="
    return {
        "id": image_id,
        "type": r["type"],
        "title": r["title"],
        "width": width,
        "height": height,
        "ratio": aspect_ratio(width, height),
        "thumbhash": r["thumbhash"],
        "dominant_color": r["dominant_color"],
        "urls": {
            "thumb": base + "thumb",
            "preview": base + "preview",
            "original": base + "original",
        },
        "spec": _summary(r["garment_type"], tuple(r["attribute_tags"] or ())),
        "provider": r["provider"],
        "is_outlier": bool(r["is_outlier"]),
        "my_feedback": _feedback_of(r),
        "job_id": r["job_id"],
        "cost_usd": str(r["generation_cost"] + r["enhancement_cost"]),
        "created_at": r["created_at"],
        "deleted_at": r["deleted_at"],
        "purge_after": r["purge_after"],
    }


def columns_out(rows: Sequence[Any], next_cursor: str | None) -> dict[str, Any]:
    urls = [image_urls(r.id) for r in rows]
    return {
        "count": len(rows),
        "ids": [r.id for r in rows],
        "types": [r.type for r in rows],
        "widths": [r.width for r in rows],
        "heights": [r.height for r in rows],
        "ratios": [aspect_ratio(r.width, r.height) for r in rows],
        "thumbhashes": [r.thumbhash for r in rows],
        "dominant_colors": [r.dominant_color for r in rows],
        "thumb_urls": [u["thumb"] for u in urls],
        "preview_urls": [u["preview"] for u in urls],
        "is_outlier": [bool(r.is_outlier) for r in rows],
        "ratings": [r.fb_rating for r in rows],
        "created_at": [r.created_at for r in rows],
        "next_cursor": next_cursor,
    }


@dataclass(frozen=True)
class _Sort:
    columns: tuple[Any, ...]
    key: tuple[str, ...]  # the cursor fields those columns are compared with
    descending: bool


_SORTS: dict[str, _Sort] = {
    "newest": _Sort((Image.created_at, Image.id), ("created_at", "id"), True),
    "oldest": _Sort((Image.created_at, Image.id), ("created_at", "id"), False),
    "rating": _Sort(
        (Image.rating, Image.created_at, Image.id), ("rating", "created_at", "id"), True
    ),
    "position": _Sort((CollectionImage.position, Image.id), ("position", "id"), False),
}

# The fields of GALLERY_CURSOR and COLLECTION_CURSOR, by name.
_GALLERY_FIELDS = ("rating", "created_at", "id")
_COLLECTION_FIELDS = ("position", "rating", "created_at", "id")


# Told, in the same transaction, when a portfolio design is hidden (True) or shown again
# (False): the style profile counts only what is visible (wired from the styles feature).
PortfolioVisibility = Callable[[AsyncSession, Image, bool], Awaitable[object]]


class GalleryService:
    def __init__(
        self,
        storage: ObjectStore,
        *,
        grace: timedelta,
        portfolio_visibility: PortfolioVisibility | None = None,
    ) -> None:
        self.storage = storage
        self.grace = grace
        self.portfolio_visibility = portfolio_visibility

    # -- listing -----------------------------------------------------------------------
    async def _conditions(
        self, db: AsyncSession, user_id: uuid.UUID, f: GalleryFilters
    ) -> list[ColumnElement[bool]]:
        postgres = db.get_bind().dialect.name == "postgresql"
        where: list[ColumnElement[bool]] = [
            Image.user_id == user_id,
            Image.status == DesignStatus.READY,
        ]
        where.append(Image.deleted_at.is_not(None) if f.trash else Image.deleted_at.is_(None))
        if f.type:
            where.append(Image.type.in_(f.type))
        if f.job_id is not None:
            where.append(Image.job_id == f.job_id)
        if f.is_outlier is not None:
            where.append(Image.is_outlier == f.is_outlier)  # '=' (not IS) can use the index
        if f.garment_type:
            where.append(Image.garment_type.in_(f.garment_type))
        if f.provider:
            where.append(Image.provider.in_(f.provider))
        start, end, end_exclusive = f.bounds()
        if start is not None:
            where.append(Image.created_at >= start)
        if end is not None:
            where.append(Image.created_at < end if end_exclusive else Image.created_at <= end)
        if f.q:
            where.append(Image.prompt.ilike(f"%{_escape_like(f.q)}%", escape="\\"))
        if f.min_rating is not None:
            where.append(Image.rating >= f.min_rating)
        if f.feedback == "favorite":
            where.append(ImageFeedback.is_favorite == True)  # noqa: E712
        elif f.feedback == "liked":
            where.append(ImageFeedback.reaction == Reaction.LIKE)
        elif f.feedback == "disliked":
            where.append(ImageFeedback.reaction == Reaction.DISLIKE)
        elif f.feedback == "unrated":
            where.append(
                or_(
                    ImageFeedback.id.is_(None),
                    and_(
                        ImageFeedback.is_outlier == False,  # noqa: E712
                        ImageFeedback.is_favorite == False,  # noqa: E712
                        ImageFeedback.reaction.is_(None),
                        ImageFeedback.rating.is_(None),
                    ),
                )
            )
        for name in ATTRIBUTE_FILTERS:
            values = getattr(f, name)
            if values:
                where.append(_has_any_tag([f"{name}:{v}" for v in values], postgres=postgres))
        return where

    async def _check_collection(
        self, db: AsyncSession, user_id: uuid.UUID, collection_id: uuid.UUID
    ) -> None:
        found = await db.scalar(
            select(Collection.id).where(
                Collection.id == collection_id, Collection.user_id == user_id
            )
        )
        if found is None:
            raise NotFound("No such collection.", code="collection_not_found")

    async def _base(
        self, db: AsyncSession, user_id: uuid.UUID, f: GalleryFilters, *columns: Any
    ) -> Select[Any]:
        stmt = (
            select(*columns)
            .select_from(Image)
            .outerjoin(
                ImageFeedback,
                and_(ImageFeedback.image_id == Image.id, ImageFeedback.user_id == user_id),
            )
        )
        if f.collection_id is not None:
            await self._check_collection(db, user_id, f.collection_id)
            stmt = stmt.join(
                CollectionImage,
                and_(
                    CollectionImage.image_id == Image.id,
                    CollectionImage.collection_id == f.collection_id,
                ),
            )
        return stmt.where(*await self._conditions(db, user_id, f))

    async def page(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        f: GalleryFilters,
        *,
        sort: str = "newest",
        limit: int = 50,
        cursor: str | None = None,
        collection_listing: bool = False,
    ) -> tuple[list[Any], str | None]:
        """One page of my designs and the cursor of the next (None at the end). Keyset
        pagination: a page starts strictly after the last row of the previous one, so
        designs added meanwhile never shift, repeat or hide what is still to come."""
        if sort == "position" and not (collection_listing and f.collection_id is not None):
            raise AppError(
                "sort=position needs a collection.", code="invalid_sort", status_code=422
            )
        order = _SORTS[sort]
        # The listing, not the filters, decides the cursor: /api/images filtered to a
        # collection still pages with gallery cursors.
        in_collection = collection_listing
        fmt, names = (
            (COLLECTION_CURSOR, _COLLECTION_FIELDS)
            if in_collection
            else (GALLERY_CURSOR, _GALLERY_FIELDS)
        )
        stmt = await self._base(db, user_id, f, *_PAGE_COLUMNS)
        if in_collection:
            stmt = stmt.add_columns(CollectionImage.position)
        if cursor is not None:  # "" is not a cursor either
            position = dict(zip(names, fmt.decode(cursor), strict=True))
            after = [position[name] for name in order.key]
            key = tuple_(*order.columns)
            stmt = stmt.where(key < tuple(after) if order.descending else key > tuple(after))
        stmt = stmt.order_by(
            *(c.desc() if order.descending else c.asc() for c in order.columns)
        ).limit(limit + 1)
        rows = list(await fetch_rows(db, stmt))
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            values: tuple[Any, ...] = (int(last.rating), last.created_at, last.id)
            if in_collection:
                values = (int(last.position), *values)
            next_cursor = fmt.encode(*values)
        return rows, next_cursor

    async def count(self, db: AsyncSession, user_id: uuid.UUID, f: GalleryFilters) -> int:
        stmt = await self._base(db, user_id, f, func.count())
        return int(await db.scalar(stmt) or 0)

    async def legacy_page(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        *,
        page: int,
        limit: int,
        is_outlier: bool | None,
        job_id: uuid.UUID | None,
    ) -> tuple[list[Image], int]:
        """The original's offset pages (newest first) with the total."""
        where = [
            Image.user_id == user_id,
            Image.status == DesignStatus.READY,
            Image.deleted_at.is_(None),
        ]
        if is_outlier is not None:
            where.append(Image.is_outlier == is_outlier)
        if job_id is not None:
            where.append(Image.job_id == job_id)
        total = int(await db.scalar(select(func.count()).select_from(Image).where(*where)) or 0)
        rows = list(
            (
                await db.scalars(
                    select(Image)
                    .where(*where)
                    .order_by(Image.created_at.desc(), Image.id.desc())
                    .offset((page - 1) * limit)
                    .limit(limit)
                )
            ).all()
        )
        return rows, total

    async def detail(self, db: AsyncSession, user_id: uuid.UUID, image_id: uuid.UUID) -> dict:
        image = await get_design(db, user_id, image_id)
        feedback = await db.scalar(
            select(ImageFeedback).where(
                ImageFeedback.image_id == image.id, ImageFeedback.user_id == user_id
            )
        )
        collections = (
            await db.execute(
                select(Collection.id, Collection.name)
                .join(CollectionImage, CollectionImage.collection_id == Collection.id)
                .where(CollectionImage.image_id == image.id, Collection.user_id == user_id)
                .order_by(Collection.name_key)
            )
        ).all()
        vlt = await db.scalar(
            select(VltSpecification)
            .where(VltSpecification.image_id == image.id, VltSpecification.user_id == user_id)
            .order_by(VltSpecification.updated_at.desc())
            .limit(1)
        )
        job = (
            await db.scalar(
                select(GenerationJob).where(
                    GenerationJob.id == image.job_id, GenerationJob.user_id == user_id
                )
            )
            if image.job_id
            else None
        )
        return {
            "id": image.id,
            "type": image.type,
            "status": image.status,
            "source_image_id": image.source_image_id,
            "title": image.title,
            "source_filename": image.source_filename,
            "prompt": image.prompt,
            "negative_prompt": image.negative_prompt,
            "spec": image.spec,
            "garment_type": image.garment_type,
            "provider": image.provider,
            "model": image.model,
            "seed": image.seed,
            "width": image.width,
            "height": image.height,
            "bytes": image.bytes,
            "format": image.format,
            "thumbhash": image.thumbhash,
            "dominant_color": image.dominant_color,
            "urls": image_urls(image.id),
            "cost_usd": str(image.cost_usd),
            "costs": {
                "image_usd": str(image.cost_usd),
                "job_usd": str(job.cost_usd) if job else None,
            },
            "timings": image.timings or {},
            "job": None
            if job is None
            else {
                "id": job.id,
                "status": job.status,
                "source": job.source,
                "quantity": job.quantity,
                "seq": image.seq,
                "cost_usd": str(job.cost_usd),
                "created_at": job.created_at,
            },
            "vlt": None
            if vlt is None
            else {
                "id": vlt.id,
                "status": vlt.status,
                "provider": vlt.provider,
                "model": vlt.model,
                "record": vlt.record,
                "spec": vlt.spec,
                "confidence": vlt.confidence,
                "prompt_text": vlt.prompt_text,
                "error": vlt.error_message,
                "updated_at": vlt.updated_at,
            },
            "collections": [{"id": c.id, "name": c.name} for c in collections],
            "is_outlier": image.is_outlier,
            "outlier_marked_at": image.outlier_marked_at,
            "my_feedback": feedback_state(feedback) if feedback else None,
            "created_at": image.created_at,
            "completed_at": image.completed_at,
        }

    # -- delete, restore, purge --------------------------------------------------------
    async def delete(self, db: AsyncSession, user_id: uuid.UUID, image_id: uuid.UUID) -> Image:
        """Soft delete: hidden everywhere at once, restorable until purge_after."""
        image = await get_design(db, user_id, image_id, for_update=True)
        now = utcnow()
        image.deleted_at = now
        image.purge_after = now + self.grace
        if image.type == DesignType.PORTFOLIO and self.portfolio_visibility is not None:
            await self.portfolio_visibility(db, image, True)
        await db.commit()
        log.info("image_deleted", image_id=str(image.id), purge_after=image.purge_after)
        return image

    async def restore(self, db: AsyncSession, user_id: uuid.UUID, image_id: uuid.UUID) -> Image:
        image = await get_design(db, user_id, image_id, deleted=True, for_update=True)
        image.deleted_at = None
        image.purge_after = None
        if image.type == DesignType.PORTFOLIO and self.portfolio_visibility is not None:
            await self.portfolio_visibility(db, image, False)
        await db.commit()
        log.info("image_restored", image_id=str(image.id))
        return image

    async def purge_due(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, batch: int = 200
    ) -> int:
        """Remove deleted designs whose grace period has passed: the row first (so a
        restore can no longer win), then its objects. Returns the designs purged."""
        purged = 0
        while True:
            now = utcnow()
            async with sessionmaker() as db:
                rows = (
                    await db.execute(
                        delete(Image)
                        .where(
                            Image.id.in_(
                                select(Image.id)
                                .where(
                                    Image.purge_after < now,
                                    Image.deleted_at.is_not(None),
                                )
                                .limit(batch)
                                .scalar_subquery()
                            ),
                            Image.purge_after < now,
                            Image.deleted_at.is_not(None),
                        )
                        .returning(Image.id, Image.variants)
                    )
                ).all()
                await db.commit()
            if not rows:
                return purged
            keys = [k for r in rows for k in (r.variants or {}).values() if isinstance(k, str)]
            try:
                await self.storage.delete_many(keys)
            except Exception:
                log.exception("purge_objects_failed", keys=len(keys))
            purged += len(rows)
            log.info("images_purged", count=len(rows), objects=len(keys))
            if len(rows) < batch:
                return purged


def _has_any_tag(tags: list[str], *, postgres: bool) -> ColumnElement[bool]:
    """The design carries at least one of these attribute tags. PostgreSQL: JSONB
    containment (GIN index); SQLite: json_each over the array."""
    if postgres:
        return or_(
            *(
                Image.attribute_tags.op("@>", return_type=Boolean)(
                    bindparam(None, [tag], type_=JSONB)
                )
                for tag in tags
            )
        )
    each = func.json_each(Image.attribute_tags).table_valued("value")
    return select(literal(1)).select_from(each).where(each.c.value.in_(tags)).exists()
