"""Collections: named (unique per designer, any case), ordered sets of my designs; an
image can be in many. A collection can be shared by an unguessable, revocable token that
shows only its own designs' previews and thumbnails."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.collections.models import Collection, CollectionImage
from designer_bff.core.errors import Conflict, NotFound
from designer_bff.core.pagination import newest_first_page
from designer_bff.db.base import utcnow
from designer_bff.db.retry import retry_on_conflict
from designer_bff.designs.models import Image
from designer_bff.designs.representation import image_urls
from designer_bff.designs.service import get_design, get_designs, visible

log = structlog.get_logger("designer_bff.collections")


class CollectionNotFound(NotFound):
    code = "collection_not_found"


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def share_path(token: str) -> str:
    return f"/api/shared/{token}"


def shared_file_url(token: str, image_id: uuid.UUID, variant: str) -> str:
    return f"{share_path(token)}/images/{image_id}/file?variant={variant}"


def _member(collection: Collection, image: Image, position: int, now: datetime) -> CollectionImage:
    return CollectionImage(
        collection_id=collection.id, image_id=image.id, position=position, added_at=now
    )


def _conflict(exc: NotFound) -> Conflict:
    """Designs named in the body of a request on an existing collection that are not mine:
    a 409 (the request conflicts with what I have), since a 404 would say the collection
    in the path is not there."""
    return Conflict(exc.message, code="images_not_found", details=exc.details)


class CollectionService:
    # -- reading -----------------------------------------------------------------------
    async def get(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        collection_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> Collection:
        stmt = select(Collection).where(
            Collection.id == collection_id, Collection.user_id == user_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        collection = await db.scalar(stmt)
        if collection is None:
            raise CollectionNotFound("No such collection.")
        return collection

    async def find_by_name(
        self, db: AsyncSession, user_id: uuid.UUID, name: str
    ) -> Collection | None:
        return await db.scalar(
            select(Collection).where(
                Collection.user_id == user_id, Collection.name_key == name_key(name)
            )
        )

    async def page(
        self, db: AsyncSession, user_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[Collection], str | None]:
        """My collections, newest first."""
        stmt = select(Collection).where(Collection.user_id == user_id)
        return await newest_first_page(db, stmt, Collection, limit=limit, cursor=cursor)

    async def describe(
        self, db: AsyncSession, collections: Sequence[Collection], base_url: str = ""
    ) -> list[dict[str, Any]]:
        """Collections as the API shows them: counts and covers in three queries."""
        ids = [c.id for c in collections]
        if not ids:
            return []
        counts = dict(
            (
                await db.execute(
                    select(CollectionImage.collection_id, func.count())
                    .join(Image, Image.id == CollectionImage.image_id)
                    .where(CollectionImage.collection_id.in_(ids), visible())
                    .group_by(CollectionImage.collection_id)
                )
            ).all()
        )
        cover_cols = (Image.id, Image.width, Image.height, Image.thumbhash, Image.dominant_color)
        chosen = {
            r.id: r
            for r in (
                await db.execute(
                    select(*cover_cols).where(
                        Image.id.in_([c.cover_image_id for c in collections if c.cover_image_id]),
                        visible(),
                    )
                )
            ).all()
        }
        rank = (
            func.row_number()
            .over(
                partition_by=CollectionImage.collection_id,
                order_by=(CollectionImage.position, CollectionImage.image_id),
            )
            .label("rank")
        )
        ranked = (
            select(CollectionImage.collection_id, *cover_cols, rank)
            .join(Image, Image.id == CollectionImage.image_id)
            .where(CollectionImage.collection_id.in_(ids), visible())
            .subquery()
        )
        first = {
            r.collection_id: r
            for r in (await db.execute(select(ranked).where(ranked.c.rank == 1))).all()
        }
        out = []
        for c in collections:
            cover = chosen.get(c.cover_image_id) if c.cover_image_id else None
            cover = cover or first.get(c.id)
            out.append(
                {
                    "id": c.id,
                    "name": c.name,
                    "description": c.description,
                    "cover_image_id": c.cover_image_id,
                    "cover": None
                    if cover is None
                    else {
                        "image_id": cover.id,
                        "width": cover.width,
                        "height": cover.height,
                        "thumbhash": cover.thumbhash,
                        "dominant_color": cover.dominant_color,
                        "urls": image_urls(cover.id),
                    },
                    "image_count": int(counts.get(c.id, 0)),
                    "shared": c.share_token is not None,
                    "share_url": f"{base_url}{share_path(c.share_token)}"
                    if c.share_token
                    else None,
                    "created_at": c.created_at,
                    "updated_at": c.updated_at,
                }
            )
        return out

    # -- writing -----------------------------------------------------------------------
    async def _ensure_name_free(
        self, db: AsyncSession, user_id: uuid.UUID, name: str, keep: uuid.UUID | None = None
    ) -> None:
        existing = await self.find_by_name(db, user_id, name)
        if existing is not None and existing.id != keep:
            raise Conflict(
                f"You already have a collection called “{existing.name}”.",
                code="collection_exists",
                details={"collection_id": str(existing.id)},
            )

    async def create(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        *,
        name: str,
        description: str | None = None,
        cover_image_id: uuid.UUID | None = None,
        image_ids: Sequence[uuid.UUID] = (),
    ) -> Collection:
        name = " ".join(name.split())
        await self._ensure_name_free(db, user_id, name)
        if cover_image_id is not None:
            await get_design(db, user_id, cover_image_id)
        images = await get_designs(db, user_id, image_ids) if image_ids else []
        now = utcnow()
        collection = Collection(
            user_id=user_id,
            name=name,
            name_key=name_key(name),
            description=description,
            cover_image_id=cover_image_id,
            created_at=now,
            updated_at=now,
        )
        db.add(collection)
        try:
            await db.flush()
        except IntegrityError as exc:  # the same name created concurrently
            await db.rollback()
            raise Conflict(
                f"You already have a collection called “{name}”.", code="collection_exists"
            ) from exc
        for position, image in enumerate(images):
            db.add(_member(collection, image, position, now))
        await db.commit()
        log.info("collection_created", collection_id=str(collection.id), images=len(images))
        return collection

    async def update(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        collection_id: uuid.UUID,
        changes: dict[str, Any],
    ) -> Collection:
        collection = await self.get(db, user_id, collection_id, for_update=True)
        # Every lookup before the first change: a query after one would flush it, and a
        # name taken meanwhile would fail there, outside the IntegrityError guard below.
        cover = changes.get("cover_image_id")
        if cover is not None:
            try:
                await get_design(db, user_id, cover)
            except NotFound as exc:
                raise _conflict(exc) from exc
        name = " ".join(changes["name"].split()) if changes.get("name") is not None else None
        if name is not None:
            await self._ensure_name_free(db, user_id, name, keep=collection.id)
            collection.name = name
            collection.name_key = name_key(name)
        if "description" in changes:
            collection.description = changes["description"]
        if "cover_image_id" in changes:
            collection.cover_image_id = cover
        collection.updated_at = utcnow()
        try:
            await db.commit()
        except IntegrityError as exc:
            await db.rollback()
            raise Conflict(
                "You already have a collection with that name.", code="collection_exists"
            ) from exc
        return collection

    async def delete(self, db: AsyncSession, user_id: uuid.UUID, collection_id: uuid.UUID) -> None:
        """The collection goes; its designs stay in the gallery."""
        collection = await self.get(db, user_id, collection_id, for_update=True)
        await db.execute(
            delete(CollectionImage).where(CollectionImage.collection_id == collection.id)
        )
        await db.delete(collection)
        await db.commit()

    async def add_images(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        collection_id: uuid.UUID,
        image_ids: Sequence[uuid.UUID],
    ) -> tuple[Collection, int, int]:
        """Append my designs (in the order given; ones already there stay where they are).
        Returns (collection, added, already present)."""

        async def work() -> tuple[Collection, int, int]:
            collection = await self.get(db, user_id, collection_id, for_update=True)
            try:
                images = await get_designs(db, user_id, image_ids)
            except NotFound as exc:
                raise _conflict(exc) from exc
            present = set(
                (
                    await db.scalars(
                        select(CollectionImage.image_id).where(
                            CollectionImage.collection_id == collection.id,
                            CollectionImage.image_id.in_([i.id for i in images]),
                        )
                    )
                ).all()
            )
            last = await db.scalar(
                select(func.max(CollectionImage.position)).where(
                    CollectionImage.collection_id == collection.id
                )
            )
            position = -1 if last is None else int(last)
            now = utcnow()
            added = 0
            for image in images:
                if image.id in present:
                    continue
                position += 1
                added += 1
                db.add(_member(collection, image, position, now))
            if added:
                collection.updated_at = now
            await db.commit()
            return collection, added, len(images) - added

        return await retry_on_conflict(db, work)

    async def _members(self, db: AsyncSession, collection_id: uuid.UUID) -> list[uuid.UUID]:
        return list(
            (
                await db.scalars(
                    select(CollectionImage.image_id)
                    .where(CollectionImage.collection_id == collection_id)
                    .order_by(CollectionImage.position, CollectionImage.image_id)
                )
            ).all()
        )

    @staticmethod
    def _require_members(
        members: Sequence[uuid.UUID], image_ids: Sequence[uuid.UUID], *, in_path: bool = False
    ) -> None:
        """404 for a design named in the path; 409 for ones named in the body (see
        _conflict)."""
        inside = set(members)
        missing = [str(i) for i in dict.fromkeys(image_ids) if i not in inside]
        if missing:
            error = NotFound if in_path else Conflict
            raise error(
                "Some of these images are not in this collection.",
                code="not_in_collection",
                details={"missing": missing},
            )

    async def remove_images(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        collection_id: uuid.UUID,
        image_ids: Sequence[uuid.UUID],
        *,
        in_path: bool = False,
    ) -> tuple[Collection, int]:
        """Take designs out (they stay in the gallery). All must be in the collection, or
        nothing changes."""
        collection = await self.get(db, user_id, collection_id, for_update=True)
        members = await self._members(db, collection.id)
        self._require_members(members, image_ids, in_path=in_path)
        wanted = list(dict.fromkeys(image_ids))
        await db.execute(
            delete(CollectionImage).where(
                CollectionImage.collection_id == collection.id,
                CollectionImage.image_id.in_(wanted),
            )
        )
        if collection.cover_image_id in wanted:
            collection.cover_image_id = None
        collection.updated_at = utcnow()
        await db.commit()
        return collection, len(wanted)

    async def reorder(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        collection_id: uuid.UUID,
        image_ids: Sequence[uuid.UUID],
    ) -> list[uuid.UUID]:
        """The designs given come first, in that order; the others follow in their
        current order. Returns the whole new order."""
        collection = await self.get(db, user_id, collection_id, for_update=True)
        members = await self._members(db, collection.id)
        self._require_members(members, image_ids)
        first = list(dict.fromkeys(image_ids))
        chosen = set(first)
        order = first + [m for m in members if m not in chosen]
        for position, image_id in enumerate(order):
            await db.execute(
                update(CollectionImage)
                .where(
                    CollectionImage.collection_id == collection.id,
                    CollectionImage.image_id == image_id,
                )
                .values(position=position)
            )
        collection.updated_at = utcnow()
        await db.commit()
        return order

    # -- sharing -----------------------------------------------------------------------
    async def share(
        self, db: AsyncSession, user_id: uuid.UUID, collection_id: uuid.UUID
    ) -> Collection:
        """The collection's share token, made on first use (sharing again returns the same
        link; revoke and share to get a new one)."""
        collection = await self.get(db, user_id, collection_id, for_update=True)
        if collection.share_token is None:
            collection.share_token = secrets.token_urlsafe(32)
            collection.shared_at = utcnow()
            await db.commit()
            log.info("collection_shared", collection_id=str(collection.id))
        return collection

    async def unshare(self, db: AsyncSession, user_id: uuid.UUID, collection_id: uuid.UUID) -> None:
        collection = await self.get(db, user_id, collection_id, for_update=True)
        collection.share_token = None
        collection.shared_at = None
        await db.commit()
        log.info("collection_share_revoked", collection_id=str(collection.id))

    async def by_token(self, db: AsyncSession, token: str) -> Collection:
        collection = (
            await db.scalar(select(Collection).where(Collection.share_token == token))
            if 20 <= len(token) <= 64
            else None
        )
        if collection is None:
            raise NotFound("This link does not exist or was revoked.", code="share_not_found")
        return collection

    async def shared_image(
        self, db: AsyncSession, collection: Collection, image_id: uuid.UUID
    ) -> Image:
        image = await db.scalar(
            select(Image)
            .join(
                CollectionImage,
                and_(
                    CollectionImage.image_id == Image.id,
                    CollectionImage.collection_id == collection.id,
                ),
            )
            .where(Image.id == image_id, Image.user_id == collection.user_id, visible())
        )
        if image is None:
            raise NotFound("No such image in this collection.")
        return image
