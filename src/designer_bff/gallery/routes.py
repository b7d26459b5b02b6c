from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from pydantic_core import to_json

from designer_bff.core.deps import DbDep, UserDep
from designer_bff.core.errors import NotFound
from designer_bff.core.pagination import MAX_LIMIT
from designer_bff.gallery.feedback import FeedbackChange, FeedbackService
from designer_bff.gallery.files import serve_object
from designer_bff.gallery.schemas import (
    BulkFeedbackIn,
    BulkFeedbackOut,
    DeletedOut,
    FeedbackIn,
    FeedbackOut,
    FeedbackType,
    GalleryColumns,
    GalleryPage,
    GalleryParams,
    ImageDetail,
    LegacyCommentIn,
    LegacyGalleryOut,
    LegacyOutlierIn,
    RestoredOut,
)
from designer_bff.gallery.service import GalleryService, columns_out, item_out
from designer_bff.generation.engine import image_urls

router = APIRouter(tags=["gallery"])


def _gallery(request: Request) -> GalleryService:
    return request.app.state.services.gallery


def _feedback(request: Request) -> FeedbackService:
    return request.app.state.services.feedback


@router.get("/api/images", response_model=GalleryPage | GalleryColumns)
async def list_images(
    params: Annotated[GalleryParams, Query()], request: Request, db: DbDep, current: UserDep
) -> Response:
    """My designs, a page at a time: `{"items", "next_cursor"}`, or parallel arrays with
    `layout=columns`. Pass `next_cursor` back as `cursor` for the next page."""
    rows, next_cursor = await _gallery(request).list(
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
    request: Request,
    db: DbDep,
    current: UserDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    is_outlier: Annotated[bool | None, Query(alias="isOutlier")] = None,
    job_id: Annotated[uuid.UUID | None, Query(alias="jobId")] = None,
) -> dict[str, Any]:
    """The original guide's gallery: numbered pages, newest first."""
    images, total = await _gallery(request).legacy_page(
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


@router.post("/api/images/feedback", response_model=BulkFeedbackOut)
async def bulk_feedback(
    body: BulkFeedbackIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """The same feedback on many designs (fast review). All must be mine, or nothing
    changes (404 listing the ids not found)."""
    values = body.model_dump(include={"rating", "comment", "tags"} & body.model_fields_set)
    changed, items = await _feedback(request).apply(
        db,
        current.id,
        body.image_ids,
        FeedbackChange(type=body.type, values=values, clear=body.clear),
    )
    return {"updated": changed, "items": items}


@router.get("/api/images/{image_id}", response_model=ImageDetail)
async def image_detail(
    image_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Everything about one design: prompt, spec, provider/model/seed, costs, the
    visual descriptor's analysis, the collections it is in and my feedback."""
    return await _gallery(request).detail(db, current.id, image_id)


@router.delete("/api/images/{image_id}", response_model=DeletedOut)
async def delete_image(
    image_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Move a design to the trash: hidden at once, restorable until `purge_after`, then
    its files are removed."""
    image = await _gallery(request).delete(db, current.id, image_id)
    return {
        "id": image.id,
        "deleted_at": image.deleted_at,
        "purge_after": image.purge_after,
        "restore_url": f"/api/images/{image.id}/restore",
    }


@router.post("/api/images/{image_id}/restore", response_model=RestoredOut)
async def restore_image(
    image_id: uuid.UUID, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    image = await _gallery(request).restore(db, current.id, image_id)
    return {"id": image.id, "restored": True}


@router.get(
    "/api/images/{image_id}/file",
    response_class=Response,
    responses={200: {"content": {"image/webp": {}, "image/png": {}}}, 302: {}},
)
async def image_file(
    image_id: uuid.UUID,
    request: Request,
    db: DbDep,
    current: UserDep,
    variant: Annotated[Literal["thumb", "preview", "original", "svg"], Query()] = "preview",
) -> Response:
    """One variant of my design: streamed from the local store, or a redirect to a
    short-lived presigned URL (or the CDN) for S3-compatible storage."""
    image = await _gallery(request).get_image(db, current.id, image_id)
    key = (image.variants or {}).get(variant)
    if key is None:
        raise NotFound(f"This design has no {variant} variant.")
    return await serve_object(request, request.app.state.services.storage, key)


@router.post("/api/images/{image_id}/feedback", response_model=FeedbackOut)
async def set_feedback(
    image_id: uuid.UUID, body: FeedbackIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    """Mark a design (outlier, favorite, like, dislike) and/or rate, comment or tag it.
    One feedback per design: later calls update it."""
    values = body.model_dump(include={"rating", "comment", "tags"} & body.model_fields_set)
    _, items = await _feedback(request).apply(
        db, current.id, [image_id], FeedbackChange(type=body.type, values=values)
    )
    return items[0]


@router.delete("/api/images/{image_id}/feedback", response_model=FeedbackOut)
async def clear_feedback(
    image_id: uuid.UUID,
    request: Request,
    db: DbDep,
    current: UserDep,
    type: Annotated[FeedbackType | None, Query(description="Clear only this verdict.")] = None,
) -> dict[str, Any]:
    """Take feedback back: one verdict (`?type=outlier`) or all of it."""
    _, items = await _feedback(request).apply(
        db, current.id, [image_id], FeedbackChange(type=type, clear=True)
    )
    return items[0]


# -- the original guide's feedback calls ------------------------------------------------


@router.post("/api/feedback/outlier")
async def legacy_outlier(
    body: LegacyOutlierIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    _, items = await _feedback(request).apply(
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


@router.post("/api/feedback/comment", status_code=status.HTTP_200_OK)
async def legacy_comment(
    body: LegacyCommentIn, request: Request, db: DbDep, current: UserDep
) -> dict[str, Any]:
    _, items = await _feedback(request).apply(
        db, current.id, [body.imageId], FeedbackChange(values={"comment": body.comment})
    )
    return {"success": True, "imageId": str(body.imageId), "comment": items[0]["comment"]}
