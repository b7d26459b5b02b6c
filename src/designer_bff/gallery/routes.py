from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from designer_bff.core.deps import DbDep, UserDep
from designer_bff.core.errors import NotFound
from designer_bff.gallery.models import Image
from designer_bff.storage import ObjectNotFound, guess_content_type

router = APIRouter(tags=["gallery"])

PRESIGN_TTL = timedelta(minutes=10)
# Variants never change once written (a new design gets a new id).
CACHE = "private, max-age=31536000, immutable"


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
    image = await db.scalar(
        select(Image).where(
            Image.id == image_id, Image.user_id == current.id, Image.deleted_at.is_(None)
        )
    )
    key = (image.variants or {}).get(variant) if image and image.status == "ready" else None
    if image is None or key is None:
        raise NotFound(
            "No such image."
            if image is None or image.status != "ready"
            else f"This design has no {variant} variant."
        )
    storage = request.app.state.services.storage
    public = storage.public_url(key)
    if public:
        return RedirectResponse(public, status_code=302, headers={"Cache-Control": CACHE})
    signed = await storage.presigned_url(key, PRESIGN_TTL)
    if signed:
        # The redirect itself may be cached for a little less than the URL lives.
        return RedirectResponse(
            signed, status_code=302, headers={"Cache-Control": "private, max-age=540"}
        )
    head = await storage.head(key)
    if head is None:
        raise NotFound("The file of this design is missing.")
    etag = f'"{head.etag}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE})
    try:
        chunks = await storage.open_stream(key)
    except ObjectNotFound as exc:
        raise NotFound("The file of this design is missing.") from exc
    return StreamingResponse(
        chunks,
        media_type=guess_content_type(key),
        headers={"ETag": etag, "Cache-Control": CACHE, "Content-Length": str(head.size)},
    )
