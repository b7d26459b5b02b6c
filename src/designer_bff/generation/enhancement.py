"""Enhancement: a larger, sharper copy of one of my designs, made as a design of its own
(`type="enhanced"`, `source_image_id` = the design it came from).

A request becomes a one-design generation job (`source="enhance"`) for an enhancement
provider (operation "enhance"); the durable engine makes it like any design, handing the
provider the source's best raster (`enhancement_source`), and charges it in the ledger.
Nothing here talks to a provider."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.core.errors import AppError, Conflict, NotFound
from designer_bff.db.base import utcnow
from designer_bff.designs.models import DesignStatus, DesignType, Image, spec_columns
from designer_bff.designs.representation import image_urls
from designer_bff.generation.models import GenerationJob, JobSource, JobStatus
from designer_bff.generation.providers import ImageProvider, PermanentProviderError
from designer_bff.generation.queue import TaskQueue
from designer_bff.media.variants import DEFAULT_MAX_PIXELS, fit_within
from designer_bff.realtime.events import EventBus
from designer_bff.storage import ObjectNotFound, ObjectStore

if TYPE_CHECKING:  # service.py imports the engine, which may import this module
    from designer_bff.generation.service import GenerationService

log = structlog.get_logger("designer_bff.generation")

SCALES = (2, 4)
# The largest enhanced design: its longest side, and its pixels (what the variant maker
# accepts). An enhanced design may be enhanced again until it would pass either.
MAX_SIDE = 8192
MAX_PIXELS = DEFAULT_MAX_PIXELS
# A design whose original is a vector drawing is enhanced from its preview, which the
# variant maker makes at most this long.
PREVIEW_MAX = 1024
# Originals stored as raster images (Pillow format names, lower case); anything else (the
# local renderer's SVG) is enhanced from its raster preview.
RASTER_FORMATS = frozenset({"png", "jpeg", "jpg", "mpo", "webp", "gif", "avif", "bmp", "tiff"})


def is_raster(image: Image) -> bool:
    return (image.format or "").lower() in RASTER_FORMATS


def source_size(image: Image) -> tuple[int, int]:
    """The pixels an enhancement of `image` starts from (see `enhancement_source`)."""
    width, height = image.width or 0, image.height or 0
    if is_raster(image) or not (width and height):
        return width, height
    return fit_within(width, height, PREVIEW_MAX)


async def enhancement_source(storage: ObjectStore, image: Image) -> bytes:
    """The best raster of a design, for an enhancement to start from: its original when
    that is a raster image, else (a vector drawing) its preview. A design with no such
    file is refused for good (PermanentProviderError); a store that does not answer
    raises its own error, so the engine tries again later."""
    variants = image.variants or {}
    kind = "original" if is_raster(image) else "preview"
    key = variants.get(kind)
    if not isinstance(key, str) or not key:
        raise PermanentProviderError("The design to enhance has no image to start from.")
    try:
        return await storage.get(key)
    except ObjectNotFound as exc:
        raise PermanentProviderError(f"The design to enhance has lost its {kind} file.") from exc


def supports_face_fix(provider: ImageProvider) -> bool:
    """Whether an enhancement provider can restore faces. Providers say so with
    `supports_face_fix`; the remote upscalers (Real-ESRGAN's face_enhance, GFPGAN) can,
    so a provider that does not say is taken to."""
    return bool(getattr(provider, "supports_face_fix", True))


@dataclass(frozen=True)
class Enhancement:
    """A queued enhancement: the new design, its job and the provider making it."""

    image: Image
    job: GenerationJob
    provider: ImageProvider
    unit_price: Decimal
    # What the new design will measure (the engine records what it really measures).
    width: int
    height: int

    def out(self) -> dict[str, Any]:
        options = self.job.params.get("options") or {}
        return {
            "id": self.image.id,
            "job_id": self.job.id,
            "status": self.image.status,
            "type": self.image.type,
            "source_image_id": self.image.source_image_id,
            "provider": self.provider.name,
            "model": self.provider.model,
            "scale": options.get("scale"),
            "face_fix": bool(options.get("face_fix")),
            "width": self.width,
            "height": self.height,
            "price_usd": str(self.unit_price),
            "urls": image_urls(self.image.id),
            "job_url": f"/api/generations/{self.job.id}",
            "created_at": self.image.created_at,
        }


class EnhancementService:
    def __init__(
        self,
        providers: dict[str, ImageProvider],
        queue: TaskQueue,
        events: EventBus,
        generation: GenerationService,
    ) -> None:
        self.providers = providers
        self.queue = queue
        self.events = events
        self.generation = generation  # prices and the budget check, shared with generation

    def enhancers(self) -> dict[str, ImageProvider]:
        return {n: p for n, p in self.providers.items() if p.operation == "enhance"}

    def choose(self, provider: str | None, *, face_fix: bool) -> ImageProvider:
        """The provider asked for (it must enhance), else the cheapest that can do what is
        asked (the free local upscaler when there is no face to fix)."""
        enhancers = self.enhancers()
        if provider is not None:
            chosen = enhancers.get(provider)
            if chosen is None:
                raise AppError(
                    f"Unknown enhancement provider {provider!r}.",
                    code="unknown_provider",
                    status_code=422,
                    details={"available": sorted(enhancers)},
                )
            if face_fix and not supports_face_fix(chosen):
                raise _face_fix_unavailable(chosen.name, enhancers)
            return chosen
        able = [p for p in enhancers.values() if supports_face_fix(p) or not face_fix]
        if not able:
            if face_fix:
                raise _face_fix_unavailable(None, enhancers)
            raise AppError(
                "This deployment offers no enhancement provider.",
                code="unknown_provider",
                status_code=422,
                details={"available": []},
            )
        return min(able, key=lambda p: (self.generation.unit_price(p.name, {}), p.name))

    async def create(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        image_id: uuid.UUID,
        *,
        scale: int,
        face_fix: bool = False,
        provider: str | None = None,
    ) -> Enhancement:
        """Queue an enhanced copy of my design `image_id`."""
        from designer_bff.generation.engine import design_seed  # see the TYPE_CHECKING note

        if scale not in SCALES:
            raise AppError(
                f"scale must be one of {', '.join(map(str, SCALES))}.",
                code="invalid_scale",
                status_code=422,
                details={"allowed": list(SCALES)},
            )
        chosen = self.choose(provider, face_fix=face_fix)
        source = await db.scalar(
            select(Image).where(
                Image.id == image_id, Image.user_id == user_id, Image.deleted_at.is_(None)
            )
        )
        if source is None:
            raise NotFound("No such image.")
        if source.status != DesignStatus.READY:
            unfinished = source.status in (DesignStatus.PENDING, DesignStatus.CLAIMED)
            raise Conflict(
                "This design is still being made: enhance it once it is ready."
                if unfinished
                else f"This design was not made ({source.status}): there is nothing to enhance.",
                code="not_ready",
                details={"status": source.status},
            )
        width, height = source_size(source)
        out_w, out_h = width * scale, height * scale
        if max(out_w, out_h) > MAX_SIDE or out_w * out_h > MAX_PIXELS:
            raise AppError(
                f"Enhanced ×{scale}, this {width}×{height} design would be {out_w}×{out_h}: "
                f"more than the largest design ({MAX_SIDE} px a side, "
                f"{MAX_PIXELS // 1_000_000} MP).",
                code="too_large",
                status_code=422,
                details={
                    "width": out_w,
                    "height": out_h,
                    "max_side": MAX_SIDE,
                    "max_pixels": MAX_PIXELS,
                },
            )
        options = {"scale": scale, "face_fix": face_fix}
        unit = self.generation.unit_price(chosen.name, options)
        await self.generation.check_budget(db, user_id, chosen.name, options, 1)

        asked = source.garment_spec
        drawn = source.drawn_spec
        now = utcnow()
        job = GenerationJob(
            user_id=user_id,
            status=JobStatus.QUEUED,
            source=JobSource.ENHANCE,
            reference_image_id=source.id,
            spec=asked.model_dump(),
            prompt=source.prompt,
            negative_prompt=source.negative_prompt,
            provider=chosen.name,
            model=chosen.model,
            quantity=1,
            params={
                "options": options,
                "fallback": [],
                "chosen_by": "asked" if provider else "cheapest",
            },
        )
        db.add(job)
        await db.flush()
        image = Image(
            user_id=user_id,
            type=DesignType.ENHANCED,
            status=DesignStatus.PENDING,
            job_id=job.id,
            seq=0,
            source_image_id=source.id,
            spec=asked.model_dump(),
            **spec_columns(drawn),
            title=source.title,
            prompt=source.prompt,
            negative_prompt=source.negative_prompt,
            provider=chosen.name,
            model=chosen.model,
            seed=design_seed(job.id, 0),
            # The engine draws `filled_spec`: the enhanced design shows what its source drew.
            params={"filled_spec": drawn.model_dump(), "enhance": options},
            created_at=now,
            updated_at=now,
        )
        db.add(image)
        await db.commit()
        try:
            await self.queue.enqueue(chosen.name)
        except Exception as exc:
            # Safe in the database: the workers' stall sweep wakes up for it later.
            log.warning("enqueue_failed", job_id=str(job.id), error=repr(exc))
        log.info(
            "enhancement_queued",
            job_id=str(job.id),
            image_id=str(image.id),
            source_image_id=str(source.id),
            provider=chosen.name,
            scale=scale,
        )
        await self.events.publish(
            user_id,
            "job.queued",
            {"job_id": str(job.id), "total": 1, "provider": chosen.name, "status": job.status},
        )
        return Enhancement(
            image=image, job=job, provider=chosen, unit_price=unit, width=out_w, height=out_h
        )


def _face_fix_unavailable(name: str | None, enhancers: dict[str, ImageProvider]) -> AppError:
    able = sorted(n for n, p in enhancers.items() if supports_face_fix(p))
    where = (
        f"{name} cannot restore faces" if name else "No enhancement provider here restores faces"
    )
    return AppError(
        f"{where}; enhance without face_fix" + (f", or choose {', '.join(able)}." if able else "."),
        code="face_fix_unavailable",
        status_code=422,
        details={"providers_with_face_fix": able},
    )
