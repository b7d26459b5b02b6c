"""The portfolio (/api/portfolio), the style profile (/api/style-profile) and the visual
descriptor (/api/vlt: health, one image, a batch)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, create_model

from designer_bff.auth.deps import UserDep
from designer_bff.billing import ledger
from designer_bff.billing.pricing import PriceTable
from designer_bff.config import Settings
from designer_bff.core.deps import DbDep, provide
from designer_bff.core.errors import AppError
from designer_bff.core.openapi import error_responses
from designer_bff.core.pagination import PageParams, newest_first_format, page_params
from designer_bff.db.base import utcnow
from designer_bff.designs.models import Image
from designer_bff.garments.taxonomy import get_taxonomy
from designer_bff.portfolio.service import PortfolioService
from designer_bff.portfolio.uploads import (
    UploadLimits,
    receive_portfolio_upload,
    receive_single_image,
)
from designer_bff.styles.analysis import LEDGER_PROVIDER, analysis_charge
from designer_bff.styles.profile import PROFILE_ATTRIBUTES
from designer_bff.styles.service import StyleService
from designer_bff.vlt.base import AnalyzerError, ImageAnalyzer

router = APIRouter()

PortfolioDep = Annotated[PortfolioService, Depends(provide(PortfolioService))]
StylesDep = Annotated[StyleService, Depends(provide(StyleService))]
AnalyzerDep = Annotated[ImageAnalyzer, Depends(provide(ImageAnalyzer))]
SettingsDep = Annotated[Settings, Depends(provide(Settings))]
PricesDep = Annotated[PriceTable, Depends(provide(PriceTable))]

PORTFOLIO_PATH = "/api/portfolio"
BATCH_PATH = "/api/vlt/analyze/batch"
LARGE_UPLOAD_PATHS = (PORTFOLIO_PATH, BATCH_PATH)

_UPLOAD_ERRORS = error_responses(
    {
        400: "`malformed_upload` or `unsafe_zip` (a zip member outside the archive)",
        413: "`upload_too_large`, `file_too_large`, `too_many_files` or `zip_bomb`",
        415: "`unsupported_media_type`: not multipart/form-data",
        422: "`no_files`, or `no_images`: none of the files is a usable image "
        "(`details.errors` says why for each)",
    }
)


# What each file part may be (typed from its content, whatever a client declares).
_IMAGE_TYPES = "image/png, image/jpeg, image/webp, image/avif, image/heic"


def _multipart(properties: dict[str, Any], required: str, zips: bool) -> dict[str, Any]:
    """The request body of a multipart upload route, for the OpenAPI document."""
    schema = {"type": "object", "required": [required], "properties": properties}
    types = _IMAGE_TYPES + (", application/zip" if zips else "")
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": schema,
                    "encoding": {required: {"contentType": types}},
                }
            },
        }
    }


_FILES_BODY = _multipart(
    {
        "files": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "format": "binary", "contentMediaType": "image/*"},
            "description": "Images (JPEG, PNG, WebP, AVIF, HEIC) and zips of images: up to 500 "
            "images and 500 MB in all.",
        }
    },
    "files",
    zips=True,
)


def upload_limits(settings: Settings) -> UploadLimits:
    return UploadLimits(
        max_files=settings.portfolio_max_files,
        max_total_bytes=settings.portfolio_max_bytes,
        max_file_bytes=settings.portfolio_max_file_bytes,
    )


def _workdir(settings: Settings) -> Path:
    return settings.data_dir / "uploads"  # created by the upload's workspace


# -- portfolio ---------------------------------------------------------------------------


@router.post(
    PORTFOLIO_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["portfolio"],
    responses=_UPLOAD_ERRORS,
    openapi_extra=_FILES_BODY,
)
async def upload_portfolio(
    request: Request,
    current: UserDep,
    db: DbDep,
    portfolio: PortfolioDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Add my past work: each new image is stored (metadata stripped) and analysed in the
    background (`analysis.progress`, `analysis.completed` events); the same bytes already
    in my portfolio are skipped; a file we cannot use is reported, not fatal."""
    intake = await receive_portfolio_upload(request, upload_limits(settings), _workdir(settings))
    try:
        return await portfolio.upload(db, current.id, intake)
    finally:
        intake.cleanup()


@router.get(PORTFOLIO_PATH, tags=["portfolio"])
async def my_portfolio(
    current: UserDep,
    db: DbDep,
    portfolio: PortfolioDep,
    page: Annotated[PageParams, page_params(newest_first_format(Image), 60)],
) -> dict[str, Any]:
    """My portfolio, newest first, each image with its analysis."""
    return await portfolio.page(db, current.id, limit=page.limit, cursor=page.cursor)


@router.delete(
    PORTFOLIO_PATH + "/{image_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["portfolio"],
    responses=error_responses({404: "`not_found`: no such image in my portfolio"}),
)
async def remove_from_portfolio(
    image_id: uuid.UUID, current: UserDep, db: DbDep, portfolio: PortfolioDep
) -> Response:
    """Remove an image, its files and its analysis; my profile no longer counts it."""
    await portfolio.delete(db, current.id, image_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- style profile -------------------------------------------------------------------------


EditOp = Literal["pin", "unpin", "boost", "unboost", "ban", "unban"]


def _edit_model(attribute: str) -> Any:
    """An edit of one attribute: its values are the taxonomy's, listed in the document
    (so a client knows what it may pin or ban before it asks)."""
    values = get_taxonomy().values(attribute)
    # Literals built at run time from data: beyond what a type checker can follow.
    named: Any = Literal[attribute]
    one_of: Any = Literal[values]
    return create_model(
        f"ProfileEdit_{attribute}",
        __config__=ConfigDict(extra="forbid"),
        op=(EditOp, ...),
        attribute=(named, ...),
        value=(one_of, Field(description="A taxonomy value.")),
        factor=(
            float | None,
            Field(default=None, gt=0, le=10, description="boost only: how much more often"),
        ),
    )


if TYPE_CHECKING:
    ProfileEditIn = BaseModel
else:
    # One model per attribute, told apart by `attribute`.
    ProfileEditIn = Annotated[
        Union[tuple(_edit_model(a) for a in PROFILE_ATTRIBUTES)],  # noqa: UP007
        Field(discriminator="attribute"),
    ]


class ProfilePatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    edits: list[ProfileEditIn] = Field(default_factory=list, max_length=50)
    summary: str | None = Field(
        default=None,
        max_length=500,
        description="My own summary; null goes back to the generated one. Leave the key "
        "out to keep the summary as it is.",
    )


@router.get("/api/style-profile", tags=["style profile"])
async def my_style_profile(current: UserDep, db: DbDep, styles: StylesDep) -> dict[str, Any]:
    """My style profile: what my analysed portfolio is made of (weighted per attribute,
    a palette, the top attributes, a summary) with my pins, boosts and bans."""
    return await styles.profile(db, current.id)


@router.patch(
    "/api/style-profile",
    tags=["style profile"],
    responses=error_responses(
        {422: "`unknown_attribute`, `unknown_value` or `bad_factor` (`details.edit` names it)"}
    ),
)
async def edit_my_style_profile(
    body: ProfilePatchIn, current: UserDep, db: DbDep, styles: StylesDep
) -> dict[str, Any]:
    """Pin, boost or ban attribute values, or edit the summary: applied in order, all or
    none, as one new version. Pinned values fill what my commands leave open; banned ones
    are never used."""
    ops: list[dict[str, Any]] = [e.model_dump(exclude_none=True) for e in body.edits]
    for op in ops:
        if op["op"] == "boost":
            op.setdefault("factor", 2.0)
    return await styles.edit(
        db,
        current.id,
        ops,
        summary=body.summary,
        set_summary="summary" in body.model_fields_set,
    )


@router.get("/api/style-profile/history", tags=["style profile"])
async def my_style_profile_history(
    current: UserDep, db: DbDep, styles: StylesDep
) -> dict[str, Any]:
    """The versions of my profile, newest first: what changed it and what it said."""
    return await styles.history(db, current.id)


# -- the visual descriptor ------------------------------------------------------------------


@router.get("/api/vlt/health", tags=["vlt"])
async def vlt_health(analyzer: AnalyzerDep) -> dict[str, Any]:
    """Whether the visual descriptor answers (the setup guide's shape; no sign-in)."""
    health = await analyzer.health()
    out: dict[str, Any] = {
        "status": health.status,
        "service": "VLT API",
        "endpoint": health.endpoint,
        "timestamp": utcnow().isoformat(),
        "analyzer": analyzer.name,
    }
    if health.detail:
        out["detail"] = health.detail
    return out


class AnalyzeError(AppError):
    status_code = 502
    code = "analysis_failed"


@router.post(
    "/api/vlt/analyze",
    tags=["vlt"],
    responses=error_responses(
        {
            400: "`malformed_upload`",
            413: "`file_too_large`",
            415: "`unsupported_media_type`: not multipart/form-data",
            422: "`invalid_image`, `too_many_pixels`, `single_image_expected`",
            502: "`vlt_unavailable` and other analyzer failures",
        }
    ),
    openapi_extra=_multipart(
        {"file": {"type": "string", "format": "binary", "contentMediaType": "image/*"}},
        "file",
        zips=False,
    ),
)
async def analyze_one(
    request: Request,
    current: UserDep,
    db: DbDep,
    analyzer: AnalyzerDep,
    settings: SettingsDep,
    prices: PricesDep,
) -> dict[str, Any]:
    """Analyse one image now: its garment spec and the full VLT record. Nothing is
    stored but the charge of a paid analysis."""
    single = await receive_single_image(request, upload_limits(settings), _workdir(settings))
    try:
        data = single.path.read_bytes()
    finally:
        single.cleanup()
    try:
        analysis = await analyzer.analyze(data)
    except AnalyzerError as exc:
        status_code = 422 if exc.code in ("invalid_image", "image_too_large") else 502
        raise AnalyzeError(exc.message, code=exc.code, status_code=status_code) from exc
    charge = analysis_charge(prices, analysis)
    if charge is not None:
        await ledger.record(
            db,
            user_id=current.id,
            idempotency_key=f"analyze:{uuid.uuid4()}",
            provider=LEDGER_PROVIDER,
            operation="analyze",
            model=analysis.model,
            charge=charge,
        )
        await db.commit()
    return {
        "spec": analysis.spec.model_dump(),
        "confidence": analysis.confidence,
        "record": analysis.record,
        "provider": analysis.provider,
        "model": analysis.model,
        "cached": analysis.cached,
    }


@router.post(
    BATCH_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["vlt"],
    responses=_UPLOAD_ERRORS,
    openapi_extra=_FILES_BODY,
)
async def analyze_batch(
    request: Request,
    current: UserDep,
    db: DbDep,
    portfolio: PortfolioDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Analyse many images (files or a zip) in the background, outside my portfolio:
    an analysis job with `analysis.progress` / `analysis.completed` events; its results
    at GET /api/vlt/jobs/{job_id}."""
    intake = await receive_portfolio_upload(request, upload_limits(settings), _workdir(settings))
    try:
        return await portfolio.analyze_batch(db, current.id, intake)
    finally:
        intake.cleanup()


@router.get(
    "/api/vlt/jobs/{job_id}",
    tags=["vlt"],
    responses=error_responses({404: "`not_found`: no such analysis job of mine"}),
)
async def analysis_job(
    job_id: uuid.UUID, current: UserDep, db: DbDep, portfolio: PortfolioDep
) -> dict[str, Any]:
    """An analysis job's progress and each image's spec and record."""
    return await portfolio.batch_job(db, current.id, job_id)
