"""What spoken/typed commands do in generation: generate, variations, cancel."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.commands.service import ActionOutcome, CommandService
from designer_bff.commands.spec import LIST_FIELDS, SCALAR_FIELDS
from designer_bff.gallery.models import Image
from designer_bff.generation.service import GenerationService, canonical_spec


def _clean(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != "quantity"}


def apply_changes(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The reference design's spec with the attributes the designer changed replaced."""
    merged = {k: v for k, v in base.items() if k in (*SCALAR_FIELDS, *LIST_FIELDS, "exclude")}
    for name in SCALAR_FIELDS:
        if changes.get(name):
            merged[name] = changes[name]
    for name in LIST_FIELDS:
        if changes.get(name):
            merged[name] = list(changes[name])
    exclude = {k: list(v) for k, v in (merged.get("exclude") or {}).items()}
    for key, values in (changes.get("exclude") or {}).items():
        if values:
            exclude[key] = list(dict.fromkeys([*exclude.get(key, []), *values]))
            # An excluded value cannot stay in the design.
            family = {
                "colors": "colors",
                "patterns": "patterns",
                "fabrics": "fabrics",
                "styles": "styles",
            }.get(key)
            if family and merged.get(family):
                merged[family] = [v for v in merged[family] if v not in values]
    merged["exclude"] = exclude
    return merged


async def find_reference(db: AsyncSession, user_id: uuid.UUID, ref: str | None) -> Image | None:
    stmt = select(Image).where(
        Image.user_id == user_id, Image.status == "ready", Image.deleted_at.is_(None)
    )
    if ref == "last_outlier":
        stmt = stmt.where(Image.is_outlier.is_(True)).order_by(
            Image.outlier_marked_at.desc().nullslast(), Image.created_at.desc()
        )
    elif ref and ref not in ("last", "this"):
        try:
            return await db.scalar(stmt.where(Image.id == uuid.UUID(str(ref))))
        except ValueError:
            return None
    else:
        stmt = stmt.order_by(Image.created_at.desc(), Image.seq.desc())
    return await db.scalar(stmt.limit(1))


def register_generation_actions(commands: CommandService, generation: GenerationService) -> None:
    async def generate(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: dict[str, Any]
    ) -> ActionOutcome:
        specs = parsed.get("specs") or [parsed["spec"]]
        pairs = [(canonical_spec(_clean(s)), int(s.get("quantity") or 1)) for s in specs]
        job = await generation.create(
            db, user_id, specs=pairs, source="command", command_id=command_id
        )
        return ActionOutcome(
            job_id=job.id, result={"job_id": str(job.id), "quantity": job.quantity}
        )

    async def variations(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: dict[str, Any]
    ) -> ActionOutcome:
        target = parsed.get("target") or {}
        reference = await find_reference(db, user_id, target.get("image_ref"))
        if reference is None:
            what = "outlier" if target.get("image_ref") == "last_outlier" else "design"
            return ActionOutcome(
                reply=f"I couldn't find a {what} to base variations on yet. "
                "Make some designs first."
            )
        base = (reference.spec or {}).get("resolved") or reference.spec or {}
        spec = canonical_spec(apply_changes(base, _clean(parsed.get("spec") or {})))
        count = int(target.get("count") or (parsed.get("spec") or {}).get("quantity") or 1)
        job = await generation.create(
            db,
            user_id,
            specs=[(spec, count)],
            source="image",
            command_id=command_id,
            reference_image_id=reference.id,
        )
        return ActionOutcome(
            job_id=job.id, result={"job_id": str(job.id), "reference_image_id": str(reference.id)}
        )

    async def cancel(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: dict[str, Any]
    ) -> ActionOutcome:
        job = await generation.cancel_newest(db, user_id)
        if job is None:
            return ActionOutcome(reply="Nothing is generating right now.")
        return ActionOutcome(
            job_id=job.id,
            reply=f"Stopped. {job.done_count} of {job.quantity} designs were made.",
            result={"cancelled_job_id": str(job.id)},
        )

    commands.register_action("generate", generate)
    commands.register_action("variations", variations)
    commands.register_action("cancel", cancel)
