"""Feedback on designs: one row per designer and design (upserted), the outlier flag and
rating mirrored on the image, and a learning event for every change, crediting the
attributes of the spec the design was actually drawn from."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.db.base import utcnow
from designer_bff.db.retry import retry_on_conflict
from designer_bff.designs.models import Image
from designer_bff.designs.service import credited_attributes, get_designs
from designer_bff.gallery.models import ImageFeedback, Reaction
from designer_bff.learning.models import LearningEvent

log = structlog.get_logger("designer_bff.feedback")

_EMPTY: dict[str, Any] = {
    "is_outlier": False,
    "is_favorite": False,
    "reaction": None,
    "rating": None,
    "comment": None,
    "tags": [],
}


@dataclass(frozen=True)
class FeedbackChange:
    """What to do: set `type` and/or the `values` given (rating, comment, tags), or clear
    `type` (everything when type is None)."""

    type: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    clear: bool = False


def _state(row: ImageFeedback | None) -> dict[str, Any]:
    return dict(_EMPTY, tags=[]) if row is None else row.verdict()


def _next_state(before: dict[str, Any], change: FeedbackChange) -> dict[str, Any]:
    after = dict(before, tags=list(before["tags"]))
    kind = change.type
    if change.clear:
        if kind is None:
            return dict(_EMPTY, tags=[])
        if kind == "outlier":
            after["is_outlier"] = False
        elif kind == "favorite":
            after["is_favorite"] = False
        elif after["reaction"] == kind:  # like / dislike
            after["reaction"] = None
        return after
    if kind == "outlier":
        after["is_outlier"] = True
    elif kind == "favorite":
        after["is_favorite"] = True
    elif kind in (Reaction.LIKE, Reaction.DISLIKE):
        after["reaction"] = kind
    if "rating" in change.values:
        after["rating"] = change.values["rating"]
    if "comment" in change.values:
        comment = change.values["comment"]
        after["comment"] = comment.strip() or None if isinstance(comment, str) else None
    if "tags" in change.values:
        after["tags"] = list(dict.fromkeys(t.lower() for t in change.values["tags"] or []))
    return after


def _events(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, float]]:
    """(kind, value) per change: verdicts 1.0 when given and 0.0 when taken back; the
    rating itself (0 when removed); comment 1/0; tags their count."""
    events: list[tuple[str, float]] = []
    for key, kind in (("is_outlier", "outlier"), ("is_favorite", "favorite")):
        if before[key] != after[key]:
            events.append((kind, 1.0 if after[key] else 0.0))
    if before["reaction"] != after["reaction"]:
        if before["reaction"]:
            events.append((before["reaction"], 0.0))
        if after["reaction"]:
            events.append((after["reaction"], 1.0))
    if before["rating"] != after["rating"]:
        events.append(("rating", float(after["rating"] or 0)))
    if before["comment"] != after["comment"]:
        events.append(("comment", 1.0 if after["comment"] else 0.0))
    if before["tags"] != after["tags"]:
        events.append(("tags", float(len(after["tags"]))))
    return events


def feedback_out(image: Image, state: dict[str, Any], updated_at: datetime | None) -> dict:
    return {
        "image_id": image.id,
        **state,
        "outlier_marked_at": image.outlier_marked_at,
        "updated_at": updated_at,
    }


class FeedbackService:
    def __init__(self, on_change: Callable[[uuid.UUID], Awaitable[None]] | None = None) -> None:
        # Told after a designer's feedback changed (the learner drops what it cached).
        self.on_change = on_change

    async def apply(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        image_ids: Sequence[uuid.UUID],
        change: FeedbackChange,
    ) -> tuple[int, list[dict[str, Any]]]:
        """Apply one change to each design (all mine, or 404 and nothing changes).
        Returns (designs whose feedback changed, the feedback of each)."""
        # Another request may create the same (user, image) row first: then read it again.
        return await retry_on_conflict(db, lambda: self._apply(db, user_id, image_ids, change))

    async def _apply(
        self, db: AsyncSession, user_id: uuid.UUID, ids: Sequence[uuid.UUID], change: FeedbackChange
    ) -> tuple[int, list[dict[str, Any]]]:
        images = await get_designs(db, user_id, ids, for_update=True)
        rows = {
            r.image_id: r
            for r in (
                await db.scalars(
                    select(ImageFeedback).where(
                        ImageFeedback.user_id == user_id,
                        ImageFeedback.image_id.in_([i.id for i in images]),
                    )
                )
            ).all()
        }
        now = utcnow()
        changed = 0
        out: list[dict[str, Any]] = []
        for image in images:
            row = rows.get(image.id)
            before = _state(row)
            after = _next_state(before, change)
            events = _events(before, after)
            if events:
                changed += 1
                row = await self._store(db, user_id, image, row, after, now)
                attributes = credited_attributes(image)
                for kind, value in events:
                    db.add(
                        LearningEvent(
                            user_id=user_id,
                            image_id=image.id,
                            kind=kind,
                            value=value,
                            attributes=attributes,
                            created_at=now,
                        )
                    )
            out.append(feedback_out(image, after, row.updated_at if row is not None else None))
        await db.flush()
        await db.commit()
        if changed:
            log.info("feedback_changed", designs=changed, type=change.type, clear=change.clear)
            if self.on_change is not None:
                await self.on_change(user_id)
        return changed, out

    @staticmethod
    async def _store(
        db: AsyncSession,
        user_id: uuid.UUID,
        image: Image,
        row: ImageFeedback | None,
        after: dict[str, Any],
        now: datetime,
    ) -> ImageFeedback | None:
        if not image.is_outlier and after["is_outlier"]:
            image.outlier_marked_at = now
        elif not after["is_outlier"]:
            image.outlier_marked_at = None
        image.is_outlier = after["is_outlier"]
        image.rating = after["rating"] or 0
        image.updated_at = now
        if after == _EMPTY:
            if row is not None:
                await db.delete(row)
            return None
        if row is None:
            row = ImageFeedback(user_id=user_id, image_id=image.id, created_at=now)
            db.add(row)
        row.is_outlier = after["is_outlier"]
        row.is_favorite = after["is_favorite"]
        row.reaction = after["reaction"]
        row.rating = after["rating"]
        row.comment = after["comment"]
        row.tags = after["tags"]
        row.updated_at = now
        return row
