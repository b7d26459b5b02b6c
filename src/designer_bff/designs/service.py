"""Reading my designs: the ownership-checked lookups every feature that acts on designs
shares (gallery, collections, feedback, commands). Another user's id is simply absent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.core.errors import NotFound
from designer_bff.designs.models import DesignStatus, Image


def visible() -> Any:
    """A design the gallery shows: made, and not in the trash."""
    return and_(Image.status == DesignStatus.READY, Image.deleted_at.is_(None))


async def get_design(
    db: AsyncSession,
    user_id: uuid.UUID,
    image_id: uuid.UUID,
    *,
    deleted: bool = False,
    for_update: bool = False,
) -> Image:
    """My ready design (or, with deleted=True, my deleted one); 404 otherwise."""
    stmt = select(Image).where(
        Image.id == image_id,
        Image.user_id == user_id,
        Image.status == DesignStatus.READY,
        Image.deleted_at.is_not(None) if deleted else Image.deleted_at.is_(None),
    )
    if for_update:
        stmt = stmt.with_for_update()
    image = await db.scalar(stmt)
    if image is None:
        raise NotFound("No such deleted image." if deleted else "No such image.")
    return image


async def get_designs(
    db: AsyncSession,
    user_id: uuid.UUID,
    image_ids: Sequence[uuid.UUID],
    *,
    for_update: bool = False,
) -> list[Image]:
    """My ready designs with these ids, in the order given; 404 (listing the ids not
    found) unless every one is mine."""
    wanted = list(dict.fromkeys(image_ids))
    stmt = select(Image).where(Image.id.in_(wanted), Image.user_id == user_id, visible())
    if for_update:
        stmt = stmt.order_by(Image.id).with_for_update()
    found = {i.id: i for i in (await db.scalars(stmt)).all()}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise NotFound("Some of these images do not exist.", details={"missing": missing})
    return [found[i] for i in wanted]


async def newest_designs(
    db: AsyncSession, user_id: uuid.UUID, count: int, *, outliers: bool = False
) -> list[Image]:
    """My `count` newest ready designs (newest first), or my newest outliers."""
    stmt = select(Image).where(Image.user_id == user_id, visible())
    if outliers:
        stmt = stmt.where(Image.is_outlier == True).order_by(  # noqa: E712
            Image.outlier_marked_at.desc().nullslast(), Image.created_at.desc()
        )
    else:
        stmt = stmt.order_by(Image.created_at.desc(), Image.seq.desc(), Image.id.desc())
    return list((await db.scalars(stmt.limit(count))).all())


def credited_attributes(image: Image) -> dict[str, Any]:
    """The spec attributes a verdict on this design credits: the resolved spec (what was
    really drawn) when there is one."""
    spec = image.drawn_spec
    if spec.garment_type is None and image.garment_type:
        spec.garment_type = image.garment_type
    return spec.credited()
