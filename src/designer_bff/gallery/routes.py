from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import Response
from pydantic_core import to_json

from designer_bff.auth.deps import FileViewerDep, UserDep
from designer_bff.collections.schemas import SharedCollectionOut
from designer_bff.collections.service import CollectionService, shared_file_url
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.errors import NotFound
from designer_bff.core.openapi import error_responses
from designer_bff.core.pagination import MAX_LIMIT, PageParams, page_params
from designer_bff.designs.representation import aspect_ratio, image_urls
from designer_bff.designs.service import get_design
from designer_bff.gallery.feedback import FeedbackChange, FeedbackService
from designer_bff.gallery.files import serve_object
from designer_bff.gallery.schemas import (
    COLLECTION_CURSOR,
    BulkFeedbackIn,
    BulkFeedbackOut,
    CollectionImagesParams,
    DeletedOut,
    FeedbackIn,
    FeedbackOut,
    FeedbackType,
    GalleryColumns,
    GalleryFilters,
    GalleryPage,
    GalleryParams,
    ImageDetail,
    LegacyCommentIn,
    LegacyGalleryOut,
    LegacyOutlierIn,
    RestoredOut,
)
from designer_bff.gallery.service import GalleryService, columns_out, item_out
from designer_bff.storage import ObjectStore

router = APIRouter(tags=["gallery"])
# A collection's contents are the gallery filtered to it; the public share page likewise.
collection_router = APIRouter(prefix="/api/collections", tags=["collections"])
shared_router = APIRouter(prefix="/api/shared", tags=["collections"])

# Shared files may be revoked: browsers and proxies keep them only briefly.
SHARED_CACHE = "public, max-age=300"


GalleryDep = Annotated[GalleryService, Depends(provide(GalleryService))]
FeedbackDep = Annotated[FeedbackService, Depends(provide(FeedbackService))]
StorageDep = Annotated[ObjectStore, Depends(provide(ObjectStore))]
CollectionsDep = Annotated[CollectionService, Depends(provide(CollectionService))]

_NOT_MINE = error_responses({404: "`not_found`: some of these designs are not yours"})


def _file_responses(*media_types: str) -> dict[int | str, dict[str, Any]]:
    """A design's file: the bytes (local storage) or a redirect to them (S3, CDN)."""
    return {
        200: {
            "description": "The file.",
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in media_types},
        },
        302: {
            "description": "A redirect to a short-lived URL of the file.",
            "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
        },
        **error_responses({404: "`not_found`: no such design, or it has no such variant"}),
    }


@router.get(
    "/api/images",
    response_model=GalleryPage | GalleryColumns,
    responses=error_responses(
        {404: "`collection_not_found`: no collection of yours has this `collection_id`"}
    ),
)
async def list_images(
    params: Annotated[GalleryParams, Query()], gallery: GalleryDep, db: DbDep, current: UserDep
) -> Response:
    """My designs, a page at a time: `{"items", "next_cursor"}`, or parallel arrays with
    `layout=columns`. Pass `next_cursor` back as `cursor` for the next page."""
    rows, next_cursor = await gallery.page(
        db, current.id, params, sort=params.sort, limit=params.limit, cursor=params.cursor
    )
    if params.layout == "columns":
        payload = columns_out(rows, next_cursor)
    else:
        payload = {"items": [item_out(r) for r in rows], "next_cursor": next_cursor}
    # The hottest route: the payload is built from our own rows in the documented shape,
    # so it is serialised directly instead of being validated again as the response model.
    return Response(to_json(payload), media_type="application/json")


@router.get("/api/images/gallery", response_model=LegacyGalleryOut)
async def legacy_gallery(
    gallery: GalleryDep,
    db: DbDep,
    current: UserDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    is_outlier: Annotated[bool | None, Query(alias="isOutlier")] = None,
    job_id: Annotated[uuid.UUID | None, Query(alias="jobId")] = None,
) -> dict[str, Any]:
    """The original guide's gallery: numbered pages, newest first."""
    images, total = await gallery.legacy_page(
        db, current.id, page=page, limit=limit, is_outlier=is_outlier, job_id=job_id
    )
    pages = (total + limit - 1) // limit
    return {
        "success": True,
        "images": [
            {
                "id": str(i.id),
                "url": image_urls(i.id)["preview"],
                "thumbnailUrl": image_urls(i.id)["thumb"],
                "width": i.width,
                "height": i.height,
                "thumbhash": i.thumbhash,
                "isOutlier": i.is_outlier,
                "jobId": str(i.job_id) if i.job_id else None,
                "prompt": i.prompt,
                "createdAt": i.created_at,
            }
            for i in images
        ],
        "pagination": {
            "page": page,
            "limit": limit,
            "total": total,
            "totalPages": pages,
            "hasMore": page < pages,
        },
    }


@router.post("/api/images/feedback", response_model=BulkFeedbackOut, responses=_NOT_MINE)
async def bulk_feedback(
    body: BulkFeedbackIn, feedback: FeedbackDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """The same feedback on many designs (fast review). All must be mine, or nothing
    changes (404 listing the ids not found)."""
    values = body.model_dump(include={"rating", "comment", "tags"} & body.model_fields_set)
    changed, items = await feedback.apply(
        db,
        current.id,
        body.image_ids,
        FeedbackChange(type=body.type, values=values, clear=body.clear),
    )
    return {"updated": changed, "items": items}


@router.get("/api/images/{image_id:uuid}", response_model=ImageDetail)
async def image_detail(
    image_id: uuid.UUID, gallery: GalleryDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Everything about one design: prompt, spec, provider/model/seed, costs, the
    visual descriptor's analysis, the collections it is in and my feedback."""
    return await gallery.detail(db, current.id, image_id)


@router.delete("/api/images/{image_id:uuid}", response_model=DeletedOut)
async def delete_image(
    image_id: uuid.UUID, gallery: GalleryDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Move a design to the trash: hidden at once, restorable until `purge_after`, then
    its files are removed."""
    image = await gallery.delete(db, current.id, image_id)
    return {
        "id": image.id,
        "deleted_at": image.deleted_at,
        "purge_after": image.purge_after,
        "restore_url": f"/api/images/{image.id}/restore",
    }


@router.post("/api/images/{image_id:uuid}/restore", response_model=RestoredOut)
async def restore_image(
    image_id: uuid.UUID, gallery: GalleryDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    image = await gallery.restore(db, current.id, image_id)
    return {"id": image.id, "restored": True}


@router.get(
    "/api/images/{image_id:uuid}/file",
    response_class=Response,
    # thumb and preview are WebP; the original is PNG, or SVG for drawn flats; svg is SVG.
    responses=_file_responses("image/webp", "image/png", "image/svg+xml"),
)
async def image_file(
    image_id: uuid.UUID,
    request: Request,
    storage: StorageDep,
    db: DbDep,
    current: FileViewerDep,
    variant: Annotated[Literal["thumb", "preview", "original", "svg"], Query()] = "preview",
) -> Response:
    """One variant of my design: streamed from the local store, or a redirect to a
    short-lived presigned URL (or the CDN) for S3-compatible storage."""
    image = await get_design(db, current.id, image_id)
    key = (image.variants or {}).get(variant)
    if key is None:
        raise NotFound(f"This design has no {variant} variant.")
    return await serve_object(request, storage, key)


@router.post("/api/images/{image_id:uuid}/feedback", response_model=FeedbackOut)
async def set_feedback(
    image_id: uuid.UUID, body: FeedbackIn, feedback: FeedbackDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Mark a design (outlier, favorite, like, dislike) and/or rate, comment or tag it.
    One feedback per design: later calls update it."""
    values = body.model_dump(include={"rating", "comment", "tags"} & body.model_fields_set)
    _, items = await feedback.apply(
        db, current.id, [image_id], FeedbackChange(type=body.type, values=values)
    )
    return items[0]


@router.delete("/api/images/{image_id:uuid}/feedback", response_model=FeedbackOut)
async def clear_feedback(
    image_id: uuid.UUID,
    feedback: FeedbackDep,
    db: DbDep,
    current: UserDep,
    type: Annotated[FeedbackType | None, Query(description="Clear only this verdict.")] = None,
) -> dict[str, Any]:
    """Take feedback back: one verdict (`?type=outlier`) or all of it."""
    _, items = await feedback.apply(
        db, current.id, [image_id], FeedbackChange(type=type, clear=True)
    )
    return items[0]


# -- the original guide's feedback calls ------------------------------------------------


@router.post("/api/feedback/outlier", responses=_NOT_MINE)
async def legacy_outlier(
    body: LegacyOutlierIn, feedback: FeedbackDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    _, items = await feedback.apply(
        db,
        current.id,
        [body.imageId],
        FeedbackChange(type="outlier", clear=not body.isOutlier),
    )
    item = items[0]
    return {
        "success": True,
        "imageId": str(body.imageId),
        "isOutlier": item["is_outlier"],
        "outlierMarkedAt": item["outlier_marked_at"],
    }


@router.post("/api/feedback/comment", status_code=status.HTTP_200_OK, responses=_NOT_MINE)
async def legacy_comment(
    body: LegacyCommentIn, feedback: FeedbackDep, db: DbDep, current: UserDep
) -> dict[str, Any]:
    _, items = await feedback.apply(
        db, current.id, [body.imageId], FeedbackChange(values={"comment": body.comment})
    )
    return {"success": True, "imageId": str(body.imageId), "comment": items[0]["comment"]}


# -- a collection's designs ----------------------------------------------------------------


@collection_router.get("/{collection_id:uuid}/images", response_model=GalleryPage | GalleryColumns)
async def collection_images(
    collection_id: uuid.UUID,
    params: Annotated[CollectionImagesParams, Query()],
    gallery: GalleryDep,
    db: DbDep,
    current: UserDep,
) -> dict[str, Any]:
    """The collection's designs, in its order by default; paginated and filtered like
    the gallery."""
    filters = params.model_copy(update={"collection_id": collection_id})
    rows, next_cursor = await gallery.page(
        db,
        current.id,
        filters,
        sort=params.sort,
        limit=params.limit,
        cursor=params.cursor,
        collection_listing=True,
    )
    if params.layout == "columns":
        return columns_out(rows, next_cursor)
    return {"items": [item_out(r) for r in rows], "next_cursor": next_cursor}


# -- the public, read-only side of a share link (no account needed) ----------------------


@shared_router.get("/{token}", response_model=SharedCollectionOut)
async def shared_collection(
    token: str,
    collections: CollectionsDep,
    gallery: GalleryDep,
    db: DbDep,
    page: Annotated[PageParams, page_params(COLLECTION_CURSOR, 50)],
) -> dict[str, Any]:
    collection = await collections.by_token(db, token)
    rows, next_cursor = await gallery.page(
        db,
        collection.user_id,
        GalleryFilters(collection_id=collection.id),
        sort="position",
        limit=page.limit,
        cursor=page.cursor,
        collection_listing=True,
    )
    count = (await collections.describe(db, [collection]))[0]["image_count"]
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
                "ratio": aspect_ratio(r.width, r.height),
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
    "/{token}/images/{image_id:uuid}/file",
    response_class=Response,
    responses=_file_responses("image/webp"),
)
async def shared_file(
    token: str,
    image_id: uuid.UUID,
    request: Request,
    collections: CollectionsDep,
    storage: StorageDep,
    db: DbDep,
    variant: Annotated[Literal["thumb", "preview"], Query()] = "preview",
) -> Response:
    """A preview or thumbnail of a design in the shared collection (never an original)."""
    collection = await collections.by_token(db, token)
    image = await collections.shared_image(db, collection, image_id)
    key = (image.variants or {}).get(variant)
    if key is None:
        raise NotFound(f"This design has no {variant} variant.")
    return await serve_object(request, storage, key, cache=SHARED_CACHE)
