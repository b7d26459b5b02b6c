from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response

from designer_bff.collections.schemas import (
    AddImagesOut,
    CollectionIn,
    CollectionOut,
    CollectionPage,
    CollectionPatch,
    ImageIdsIn,
    OrderOut,
    RemoveImagesOut,
    SharedCollectionOut,
    ShareOut,
)
from designer_bff.collections.service import (
    CollectionService,
    share_path,
    shared_file_url,
)
from designer_bff.core.deps import DbDep, UserDep
from designer_bff.core.errors import NotFound
from designer_bff.core.pagination import MAX_LIMIT
from designer_bff.gallery.files import serve_object
from designer_bff.gallery.schemas import CollectionImagesParams, GalleryColumns, GalleryPage
from designer_bff.gallery.service import columns_out, item_out

router = APIRouter(prefix="/api/collections", tags=["collections"])
shared_router = APIRouter(prefix="/api/shared", tags=["collections"])

# Shared files may be revoked: browsers and proxies keep them only briefly.
SHARED_CACHE = "public, max-age=300"


def _service(request: Request) -> CollectionService:
    return request.app.state.services.collections


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _one(request: Request, db: DbDep, collection: Any) -> dict[str, Any]:
    return (await _service(request).describe(db, [collection], _base_url(request)))[0]


@router.get("", response_model=CollectionPage)
async def list_collections(
    request: Request,
    db: DbDep,
    current: UserDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """My collections, newest first."""
    service = _service(request)
    rows, next_cursor = await service.list(db, current.id, limit=limit, cursor=cursor)
    return {
        "items": await service.describe(db, rows, _base_url(request)),
        "next_cursor": next_cursor,
    }


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CollectionOut)
async def create_collection(
    body: CollectionIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """A new collection (name unique among mine, whatever the case), optionally with
    designs in it already."""
    collection = await _service(request).create(
        db,
        current.id,
        name=body.name,
        description=body.description,
        cover_image_id=body.cover_image_id,
        image_ids=body.image_ids,
    )
    return await _one(request, db, collection)


@router.get("/{collection_id}", response_model=CollectionOut)
async def get_collection(
    collection_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    return await _one(request, db, await _service(request).get(db, current.id, collection_id))


@router.patch("/{collection_id}", response_model=CollectionOut)
async def update_collection(
    collection_id: uuid.UUID,
    body: CollectionPatch,
    request: Request,
    db: DbDep,
    current: UserDep,
) -> dict[str, Any]:
    """Rename, describe or choose the cover; only the fields given change."""
    changes = body.model_dump(include=body.model_fields_set)
    collection = await _service(request).update(db, current.id, collection_id, changes)
    return await _one(request, db, collection)


@router.delete("/{collection_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_collection(
    collection_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> Response:
    """The collection goes (and its share link); its designs stay in the gallery."""
    await _service(request).delete(db, current.id, collection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{collection_id}/images", response_model=GalleryPage | GalleryColumns)
async def collection_images(
    collection_id: uuid.UUID,
    params: Annotated[CollectionImagesParams, Query()],
    request: Request,
    db: DbDep,
    current: UserDep,
) -> dict[str, Any]:
    """The collection's designs, in its order by default; paginated and filtered like
    the gallery."""
    filters = params.model_copy(update={"collection_id": collection_id})
    rows, next_cursor = await _service(request).gallery.list(
        db, current.id, filters, sort=params.sort, limit=params.limit, cursor=params.cursor
    )
    if params.layout == "columns":
        return columns_out(rows, next_cursor)
    return {"items": [item_out(r) for r in rows], "next_cursor": next_cursor}


@router.post("/{collection_id}/images", response_model=AddImagesOut)
async def add_images(
    collection_id: uuid.UUID, body: ImageIdsIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Append designs; all must be mine, or nothing is added."""
    collection, added, present = await _service(request).add_images(
        db, current.id, collection_id, body.image_ids
    )
    return {
        "added": added,
        "already_present": present,
        "collection": await _one(request, db, collection),
    }


@router.post("/{collection_id}/images/remove", response_model=RemoveImagesOut)
async def remove_images(
    collection_id: uuid.UUID, body: ImageIdsIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Take several designs out of the collection (they stay in the gallery)."""
    collection, removed = await _service(request).remove_images(
        db, current.id, collection_id, body.image_ids
    )
    return {"removed": removed, "collection": await _one(request, db, collection)}


@router.delete("/{collection_id}/images/{image_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_image(
    collection_id: uuid.UUID, image_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> Response:
    await _service(request).remove_images(db, current.id, collection_id, [image_id])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/{collection_id}/images/order", response_model=OrderOut)
async def reorder_images(
    collection_id: uuid.UUID, body: ImageIdsIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Put the designs given first, in that order; the rest follow as they were."""
    order = await _service(request).reorder(db, current.id, collection_id, body.image_ids)
    return {"image_ids": order}


@router.post("/{collection_id}/share", response_model=ShareOut)
async def share_collection(
    collection_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """A public read-only link to this collection's previews and thumbnails (and nothing
    else of mine). Sharing again returns the same link."""
    collection = await _service(request).share(db, current.id, collection_id)
    assert collection.share_token and collection.shared_at
    return {
        "url": _base_url(request) + share_path(collection.share_token),
        "token": collection.share_token,
        "shared_at": collection.shared_at,
    }


@router.delete("/{collection_id}/share", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_share(
    collection_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> Response:
    """Revoke the link: it answers 404 from now on."""
    await _service(request).unshare(db, current.id, collection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- the public, read-only side of a share link (no account needed) ----------------------


@shared_router.get("/{token}", response_model=SharedCollectionOut)
async def shared_collection(
    token: str,
    request: Request,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    service = _service(request)
    collection = await service.by_token(db, token)
    rows, next_cursor = await service.shared_page(db, collection, limit=limit, cursor=cursor)
    count = (await service.describe(db, [collection]))[0]["image_count"]
    return {
        "name": collection.name,
        "description": collection.description,
        "image_count": count,
        "items": [
            {
                "id": r.id,
                "title": r.title,
                "width": r.width,
                "height": r.height,
                "ratio": round(r.width / r.height, 5) if r.width and r.height else None,
                "thumbhash": r.thumbhash,
                "dominant_color": r.dominant_color,
                "garment_type": r.garment_type,
                "urls": {
                    "thumb": shared_file_url(token, r.id, "thumb"),
                    "preview": shared_file_url(token, r.id, "preview"),
                },
            }
            for r in rows
        ],
        "next_cursor": next_cursor,
    }


@shared_router.get(
    "/{token}/images/{image_id}/file",
    response_class=Response,
    responses={200: {"content": {"image/webp": {}}}, 302: {}},
)
async def shared_file(
    token: str,
    image_id: uuid.UUID,
    request: Request,
    db: DbDep,
    variant: Annotated[Literal["thumb", "preview"], Query()] = "preview",
) -> Response:
    """A preview or thumbnail of a design in the shared collection (never an original)."""
    service = _service(request)
    collection = await service.by_token(db, token)
    image = await service.shared_image(db, collection, image_id)
    key = (image.variants or {}).get(variant)
    if key is None:
        raise NotFound(f"This design has no {variant} variant.")
    return await serve_object(request, request.app.state.services.storage, key, cache=SHARED_CACHE)
