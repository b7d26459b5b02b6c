"""What spoken/typed commands do in generation: generate, variations, cancel."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.commands.parser import ParseResult
from designer_bff.commands.service import ActionOutcome, CommandService
from designer_bff.designs.models import DesignStatus, Image
from designer_bff.garments.spec import LIST_FIELDS, SCALAR_FIELDS, GarmentSpec
from designer_bff.generation.models import JobSource
from designer_bff.generation.service import GenerationService, canonical_spec, parsed_specs


def apply_changes(base: GarmentSpec, changes: GarmentSpec) -> GarmentSpec:
    """The reference design's spec with the attributes the designer changed replaced; a
    value the change excludes cannot stay in the design."""
    merged = base.without_quantity().model_copy(deep=True)
    for name in SCALAR_FIELDS:
        if getattr(changes, name):
            setattr(merged, name, getattr(changes, name))
    for name in LIST_FIELDS:
        if getattr(changes, name):
            setattr(merged, name, list(getattr(changes, name)))
    for key, values in changes.exclude.non_empty().items():
        kept: list[str] = getattr(merged.exclude, key)
        setattr(merged.exclude, key, list(dict.fromkeys([*kept, *values])))
        if key in ("colors", "patterns", "fabrics", "styles"):
            setattr(merged, key, [v for v in getattr(merged, key) if v not in values])
    return merged


async def find_reference(db: AsyncSession, user_id: uuid.UUID, ref: str | None) -> Image | None:
    stmt = select(Image).where(
        Image.user_id == user_id, Image.status == DesignStatus.READY, Image.deleted_at.is_(None)
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
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: ParseResult
    ) -> ActionOutcome:
        job = await generation.create(
            db,
            user_id,
            specs=parsed_specs(parsed),
            source=JobSource.COMMAND,
            command_id=command_id,
        )
        return ActionOutcome(
            job_id=job.id, result={"job_id": str(job.id), "quantity": job.quantity}
        )

    async def variations(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: ParseResult
    ) -> ActionOutcome:
        target = parsed.target
        reference = await find_reference(db, user_id, target.image_ref)
        if reference is None:
            what = "outlier" if target.image_ref == "last_outlier" else "design"
            return ActionOutcome(
                reply=f"I couldn't find a {what} to base variations on yet. "
                "Make some designs first."
            )
        spec = canonical_spec(apply_changes(reference.drawn_spec, parsed.spec))
        count = target.count or parsed.spec.quantity or 1
        job = await generation.create(
            db,
            user_id,
            specs=[(spec, count)],
            source=JobSource.IMAGE,
            command_id=command_id,
            reference_image_id=reference.id,
        )
        return ActionOutcome(
            job_id=job.id, result={"job_id": str(job.id), "reference_image_id": str(reference.id)}
        )

    async def cancel(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: ParseResult
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
