"""What spoken/typed commands do with collections: create one, add designs to one.

"add the last 3 to Summer Capsule" adds my 3 newest ready designs; "this one" is the
newest; "these" is the newest job's designs; "my last outlier" the newest outlier. A
collection that does not exist yet is created on the way (and the reply says so), so
the designer never has to repeat the command."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.collections.models import Collection
from designer_bff.collections.service import CollectionService
from designer_bff.commands.parser import ParseResult, Target
from designer_bff.commands.service import ActionOutcome, CommandService, count_designs
from designer_bff.designs.models import Image
from designer_bff.designs.service import newest_designs, visible

MAX_ADD = 500


async def _newest_batch(db: AsyncSession, user_id: uuid.UUID) -> list[Image]:
    job_id = await db.scalar(
        select(Image.job_id)
        .where(
            Image.user_id == user_id,
            visible(),
            Image.job_id.is_not(None),
        )
        .order_by(Image.created_at.desc(), Image.seq.desc())
        .limit(1)
    )
    if job_id is None:
        return []
    return list(
        (
            await db.scalars(
                select(Image)
                .where(
                    Image.job_id == job_id,
                    Image.user_id == user_id,
                    visible(),
                )
                .order_by(Image.seq.desc())
                .limit(MAX_ADD)
            )
        ).all()
    )


async def pick_designs(db: AsyncSession, user_id: uuid.UUID, target: Target) -> list[Image]:
    """The designs a command points at, newest first."""
    ref = target.image_ref or "last"
    count = max(1, min(target.count or 1, MAX_ADD))
    if ref == "last_batch":
        return await _newest_batch(db, user_id)
    if ref == "last_outlier":
        return await newest_designs(db, user_id, count, outliers=True)
    if ref not in ("last", "this"):
        try:
            image_id = uuid.UUID(str(ref))
        except ValueError:
            return []
        return list(
            (
                await db.scalars(
                    select(Image).where(
                        Image.id == image_id,
                        Image.user_id == user_id,
                        visible(),
                    )
                )
            ).all()
        )
    return await newest_designs(db, user_id, count)


def register_collection_actions(commands: CommandService, collections: CollectionService) -> None:
    async def collection_create(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: ParseResult
    ) -> ActionOutcome:
        name = (parsed.target.collection_name or "").strip()
        if not name:
            return ActionOutcome()  # the parser's reply already asks for a name
        existing = await collections.find_by_name(db, user_id, name)
        if existing is not None:
            return ActionOutcome(
                reply=f"You already have a collection called “{existing.name}”.",
                result={"collection_id": str(existing.id), "created": False},
            )
        collection = await collections.create(db, user_id, name=name)
        return ActionOutcome(
            reply=f"Created the collection “{collection.name}”.",
            result={"collection_id": str(collection.id), "created": True},
        )

    async def collection_add(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: ParseResult
    ) -> ActionOutcome:
        target = parsed.target
        name = (target.collection_name or "").strip()
        if not name:
            return ActionOutcome(reply="Which collection should I add them to?")
        designs = await pick_designs(db, user_id, target)
        if not designs:
            what = "outliers" if target.image_ref == "last_outlier" else "designs"
            return ActionOutcome(
                reply=f"You have no {what} to add yet, so nothing was added to “{name}”.",
                result={"added": 0},
            )
        ids = [d.id for d in reversed(designs)]  # in the order they were made
        collection = await collections.find_by_name(db, user_id, name)
        created = collection is None
        if collection is None:
            collection = await collections.create(db, user_id, name=name)
        collection, added, present = await collections.add_images(db, user_id, collection.id, ids)
        if created:
            reply = f"Created “{collection.name}” and added {count_designs(added)}."
        elif added:
            reply = f"Added {count_designs(added)} to “{collection.name}”."
        else:
            which = "That design is" if present == 1 else "Those designs are"
            reply = f"{which} already in “{collection.name}”."
        if added and present:
            reply = reply[:-1] + f" ({present} already there)."
        return ActionOutcome(
            reply=reply,
            result={
                "collection_id": str(collection.id),
                "created": created,
                "added": added,
                "already_present": present,
                "image_ids": [str(i) for i in ids],
            },
        )

    async def collection_names(db: AsyncSession, user_id: uuid.UUID) -> list[str]:
        # Most recently touched first: recognition hints are cut to fit a prompt.
        rows = await db.scalars(
            select(Collection.name)
            .where(Collection.user_id == user_id)
            .order_by(Collection.updated_at.desc())
            .limit(200)
        )
        return list(rows)

    commands.register_action("collection_create", collection_create)
    commands.register_action("collection_add", collection_add)
    commands.register_names(collection_names)
