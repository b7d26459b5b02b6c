from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.auth.deps import UserDep
from designer_bff.collections.models import Collection
from designer_bff.collections.schemas import (
    AddImagesOut,
    CollectionIn,
    CollectionOut,
    CollectionPage,
    CollectionPatch,
    ImageIdsIn,
    OrderOut,
    RemoveImagesOut,
    ShareOut,
)
from designer_bff.collections.service import CollectionService, share_path
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.openapi import error_responses
from designer_bff.core.pagination import PageParams, newest_first_format, page_params

router = APIRouter(prefix="/api/collections", tags=["collections"])

CollectionsDep = Annotated[CollectionService, Depends(provide(CollectionService))]

_NAME_TAKEN = "`collection_exists`: you already have a collection of that name (any case)"
_NOT_MINE = "`not_found`: some of these designs are not yours"
# Designs named in the body of a request on a collection: 409, as a 404 there would say
# the collection is missing.
_BODY_NOT_MINE = "`images_not_found`: some of these designs are not yours"
_NOT_MEMBERS = "`not_in_collection`: some of these designs are not in the collection"


@dataclass(frozen=True)
class _Mine:
    """What every route here works with: the service, this request's session, my id, and
    the base URL that described collections' links start with."""

    service: CollectionService
    db: AsyncSession
    user_id: uuid.UUID
    base_url: str

    async def describe(self, collection: Collection) -> dict[str, Any]:
        return (await self.service.describe(self.db, [collection], self.base_url))[0]


async def _mine(request: Request, service: CollectionsDep, db: DbDep, current: UserDep) -> _Mine:
    return _Mine(service, db, current.id, str(request.base_url).rstrip("/"))


MineDep = Annotated[_Mine, Depends(_mine)]


@router.get("", response_model=CollectionPage)
async def list_collections(
    mine: MineDep,
    page: Annotated[PageParams, page_params(newest_first_format(Collection), 50)],
) -> dict[str, Any]:
    """My collections, newest first."""
    rows, next_cursor = await mine.service.page(
        mine.db, mine.user_id, limit=page.limit, cursor=page.cursor
    )
    return {
        "items": await mine.service.describe(mine.db, rows, mine.base_url),
        "next_cursor": next_cursor,
    }


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CollectionOut,
    responses=error_responses({404: _NOT_MINE, 409: _NAME_TAKEN}),
)
async def create_collection(body: CollectionIn, mine: MineDep) -> dict[str, Any]:
    """A new collection (name unique among mine, whatever the case), optionally with
    designs in it already."""
    collection = await mine.service.create(
        mine.db,
        mine.user_id,
        name=body.name,
        description=body.description,
        cover_image_id=body.cover_image_id,
        image_ids=body.image_ids,
    )
    return await mine.describe(collection)


@router.get("/{collection_id:uuid}", response_model=CollectionOut)
async def get_collection(collection_id: uuid.UUID, mine: MineDep) -> dict[str, Any]:
    return await mine.describe(await mine.service.get(mine.db, mine.user_id, collection_id))


@router.patch(
    "/{collection_id:uuid}",
    response_model=CollectionOut,
    responses=error_responses({409: f"{_NAME_TAKEN}; {_BODY_NOT_MINE}"}),
)
async def update_collection(
    collection_id: uuid.UUID, body: CollectionPatch, mine: MineDep
) -> dict[str, Any]:
    """Rename, describe or choose the cover; only the fields given change."""
    changes = body.model_dump(include=body.model_fields_set)
    collection = await mine.service.update(mine.db, mine.user_id, collection_id, changes)
    return await mine.describe(collection)


@router.delete("/{collection_id:uuid}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_collection(collection_id: uuid.UUID, mine: MineDep) -> Response:
    """The collection goes (and its share link); its designs stay in the gallery."""
    await mine.service.delete(mine.db, mine.user_id, collection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{collection_id:uuid}/images",
    response_model=AddImagesOut,
    responses=error_responses({409: _BODY_NOT_MINE}),
)
async def add_images(collection_id: uuid.UUID, body: ImageIdsIn, mine: MineDep) -> dict[str, Any]:
    """Append designs; all must be mine, or nothing is added."""
    collection, added, present = await mine.service.add_images(
        mine.db, mine.user_id, collection_id, body.image_ids
    )
    return {
        "added": added,
        "already_present": present,
        "collection": await mine.describe(collection),
    }


@router.post(
    "/{collection_id:uuid}/images/remove",
    response_model=RemoveImagesOut,
    responses=error_responses({409: _NOT_MEMBERS}),
)
async def remove_images(
    collection_id: uuid.UUID, body: ImageIdsIn, mine: MineDep
) -> dict[str, Any]:
    """Take several designs out of the collection (they stay in the gallery)."""
    collection, removed = await mine.service.remove_images(
        mine.db, mine.user_id, collection_id, body.image_ids
    )
    return {"removed": removed, "collection": await mine.describe(collection)}


@router.delete(
    "/{collection_id:uuid}/images/{image_id:uuid}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses({404: _NOT_MEMBERS}),
)
async def remove_image(collection_id: uuid.UUID, image_id: uuid.UUID, mine: MineDep) -> Response:
    await mine.service.remove_images(mine.db, mine.user_id, collection_id, [image_id], in_path=True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/{collection_id:uuid}/images/order",
    response_model=OrderOut,
    responses=error_responses({409: _NOT_MEMBERS}),
)
async def reorder_images(
    collection_id: uuid.UUID, body: ImageIdsIn, mine: MineDep
) -> dict[str, Any]:
    """Put the designs given first, in that order; the rest follow as they were."""
    order = await mine.service.reorder(mine.db, mine.user_id, collection_id, body.image_ids)
    return {"image_ids": order}


@router.post("/{collection_id:uuid}/share", response_model=ShareOut)
async def share_collection(collection_id: uuid.UUID, mine: MineDep) -> dict[str, Any]:
    """A public read-only link to this collection's previews and thumbnails (and nothing
    else of mine). Sharing again returns the same link."""
    collection = await mine.service.share(mine.db, mine.user_id, collection_id)
    assert collection.share_token and collection.shared_at
    return {
        "url": mine.base_url + share_path(collection.share_token),
        "token": collection.share_token,
        "shared_at": collection.shared_at,
    }


@router.delete("/{collection_id:uuid}/share", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_share(collection_id: uuid.UUID, mine: MineDep) -> Response:
    """Revoke the link: it answers 404 from now on."""
    await mine.service.unshare(mine.db, mine.user_id, collection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
