"""What spoken/typed commands do in the gallery: `show` becomes a gallery query."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.collections.models import Collection
from designer_bff.collections.service import name_key
from designer_bff.commands.parser import ParseResult, Target
from designer_bff.commands.service import ActionOutcome, CommandService, count_designs
from designer_bff.gallery.schemas import GalleryFilters
from designer_bff.gallery.service import GalleryService
from designer_bff.garments.spec import TAG_FILTERS

# Parser filter (spec field) -> gallery filter.
_FILTERS = {"garment_type": "garment_type", **{f: tag for tag, f in TAG_FILTERS.items()}}


def filters_from_target(target: Target) -> GalleryFilters:
    """The gallery filters a parsed command's target describes (exclusions and palettes
    have no gallery filter and are left out)."""
    given = target.filters
    values: dict[str, Any] = {}
    if given.get("is_outlier"):
        values["is_outlier"] = True
    if given.get("is_favorite"):
        values["feedback"] = "favorite"
    for name, param in _FILTERS.items():
        value = given.get(name)
        if value:
            values[param] = value if isinstance(value, list) else [value]
    time_range = target.time_range
    if time_range is not None and time_range.start:
        values["date_from"] = date.fromisoformat(time_range.start).isoformat()
    if time_range is not None and time_range.end:
        values["date_to"] = date.fromisoformat(time_range.end).isoformat()
    return GalleryFilters.model_validate(values)


def register_gallery_actions(commands: CommandService, gallery: GalleryService) -> None:
    async def show(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: ParseResult
    ) -> ActionOutcome:
        target = parsed.target
        filters = filters_from_target(target)
        name = target.collection_name
        if name:
            collection = await db.scalar(
                select(Collection).where(
                    Collection.user_id == user_id, Collection.name_key == name_key(name)
                )
            )
            if collection is None:
                return ActionOutcome(
                    reply=f"You have no collection called “{name}”.",
                    result={"gallery_query": None, "collection_name": name},
                )
            filters = filters.model_copy(update={"collection_id": collection.id})
        count = await gallery.count(db, user_id, filters)
        reply = parsed.reply.rstrip(". ") + f" ({count_designs(count)})."
        return ActionOutcome(
            reply=reply,
            result={"gallery_query": filters.query_dict(), "url": filters.url(), "count": count},
        )

    commands.register_action("show", show)
