"""Serving a stored variant: streamed from the local store (with ETag revalidation), or
a redirect to a short-lived presigned URL (or the CDN) for S3-compatible storage."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from designer_bff.core.errors import NotFound
from designer_bff.storage import ObjectNotFound, ObjectStore, guess_content_type

PRESIGN_TTL = timedelta(minutes=10)
# Variants never change once written (a new design gets a new id).
CACHE = "private, max-age=31536000, immutable"


async def serve_object(
    request: Request, storage: ObjectStore, key: str, *, cache: str = CACHE
) -> Response:
    public = storage.public_url(key)
    if public:
        return RedirectResponse(public, status_code=302, headers={"Cache-Control": cache})
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
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache})
    try:
        chunks = await storage.open_stream(key)
    except ObjectNotFound as exc:
        raise NotFound("The file of this design is missing.") from exc
    return StreamingResponse(
        chunks,
        media_type=guess_content_type(key),
        headers={"ETag": etag, "Cache-Control": cache, "Content-Length": str(head.size)},
    )
