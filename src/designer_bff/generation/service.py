"""Jobs as the API sees them: create (from a spec, a prompt, a command or an image),
read, list and cancel. Execution lives in engine.py."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.commands.models import VoiceCommand
from designer_bff.commands.parser import parse_command
from designer_bff.commands.spec import EXCLUDE_KEYS, GarmentSpec
from designer_bff.commands.taxonomy import get_taxonomy
from designer_bff.config import Settings
from designer_bff.core.errors import AppError, NotFound
from designer_bff.core.pagination import newest_first_page
from designer_bff.db.base import utcnow
from designer_bff.gallery.models import Image
from designer_bff.generation.engine import ACTIVE_JOB, design_seed, image_urls
from designer_bff.generation.models import GenerationJob
from designer_bff.generation.prompt import build_prompt
from designer_bff.generation.providers import ImageProvider
from designer_bff.generation.queue import TaskQueue
from designer_bff.realtime.events import EventBus

log = structlog.get_logger("designer_bff.generation")

_EXCLUDE_FAMILY = {v: k for k, v in EXCLUDE_KEYS.items()}


class InvalidSpec(AppError):
    status_code = 422
    code = "invalid_spec"


def canonical_spec(spec: GarmentSpec | dict[str, Any]) -> dict[str, Any]:
    """Canonical taxonomy values (synonyms and typos resolved); unknown values are refused
    with the list of what is known, so a client learns the vocabulary."""
    model = spec if isinstance(spec, GarmentSpec) else GarmentSpec.model_validate(spec)
    data = model.model_dump()
    taxonomy = get_taxonomy()
    problems: list[dict[str, str]] = []

    def fix(family: str, value: str, where: str) -> str | None:
        if family == "details":  # free text: construction details are open-ended
            return value.strip().lower() or None
        canonical = taxonomy.canonicalize(family, value)
        if canonical is None:
            problems.append({"field": where, "message": f"unknown {family} value {value!r}"})
        return canonical

    for family in taxonomy.families:
        value = data.get(family)
        if isinstance(value, list):
            data[family] = list(
                dict.fromkeys(v for v in (fix(family, x, f"spec.{family}") for x in value) if v)
            )
        elif isinstance(value, str):
            data[family] = fix(family, value, f"spec.{family}")
    for key, values in (data.get("exclude") or {}).items():
        family = _EXCLUDE_FAMILY.get(key, key)
        data["exclude"][key] = list(
            dict.fromkeys(v for v in (fix(family, x, f"spec.exclude.{key}") for x in values) if v)
        )
    if problems:
        raise InvalidSpec("The spec has values outside the fashion taxonomy.", details=problems)
    return data


class GenerationService:
    def __init__(
        self,
        settings: Settings,
        providers: dict[str, ImageProvider],
        queue: TaskQueue,
        events: EventBus,
    ) -> None:
        self.settings = settings
        self.providers = providers
        self.queue = queue
        self.events = events

    def _provider(self, name: str | None) -> str:
        provider = name or self.settings.default_provider
        if provider not in self.providers:
            raise AppError(
                f"Unknown provider {provider!r}.",
                code="unknown_provider",
                status_code=422,
                details={"available": sorted(self.providers)},
            )
        return provider

    def _quantity(self, quantity: int) -> int:
        limit = self.settings.max_quantity_per_command
        if quantity > limit:
            raise AppError(
                f"At most {limit} designs per request.",
                code="quantity_too_large",
                status_code=422,
                details={"max": limit},
            )
        return quantity

    async def create(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        *,
        specs: list[tuple[dict[str, Any], int]],
        source: str,
        provider: str | None = None,
        priority: int = 0,
        prompt: str | None = None,
        command_id: uuid.UUID | None = None,
        reference_image_id: uuid.UUID | None = None,
    ) -> GenerationJob:
        """One job whose designs follow `specs`: [(spec, how many), ...]."""
        provider_name = self._provider(provider)
        total = self._quantity(sum(n for _, n in specs))
        if total < 1:
            raise AppError(
                "Nothing to make: quantity is 0.", code="invalid_quantity", status_code=422
            )
        first_spec = specs[0][0]
        job_prompt, job_negative = (prompt, None) if prompt else build_prompt(first_spec)
        job = GenerationJob(
            user_id=user_id,
            status="queued",
            source=source,
            command_id=command_id,
            reference_image_id=reference_image_id,
            spec=first_spec,
            prompt=job_prompt,
            negative_prompt=job_negative,
            provider=provider_name,
            model=self.providers[provider_name].model,
            quantity=total,
            priority=priority,
            params={"specs": [{"spec": s, "quantity": n} for s, n in specs]}
            if len(specs) > 1
            else {},
        )
        db.add(job)
        await db.flush()
        seq = 0
        now = utcnow()
        for spec, count in specs:
            p, negative = (prompt, None) if prompt else build_prompt(spec)
            for _ in range(count):
                db.add(
                    Image(
                        user_id=user_id,
                        type="generated",
                        status="pending",
                        job_id=job.id,
                        seq=seq,
                        spec=spec,
                        garment_type=spec.get("garment_type"),
                        prompt=p,
                        negative_prompt=negative,
                        provider=provider_name,
                        model=self.providers[provider_name].model,
                        seed=design_seed(job.id, seq),
                        created_at=now,
                        updated_at=now,
                    )
                )
                seq += 1
        await db.commit()
        try:
            await self.queue.enqueue(provider_name, total)
        except Exception as exc:
            # The job is safe in the database; the workers' stall sweep wakes up for it
            # once the broker answers again. The designer still gets the job.
            log.warning("enqueue_failed", job_id=str(job.id), error=repr(exc))
        log.info("job_queued", job_id=str(job.id), quantity=total, provider=provider_name)
        await self.events.publish(
            user_id,
            "job.queued",
            {"job_id": str(job.id), "total": total, "provider": provider_name, "status": "queued"},
        )
        return job

    async def specs_from_prompt(self, prompt: str, quantity: int | None) -> list[tuple[dict, int]]:
        parsed = parse_command(prompt, max_quantity=10**6).to_dict()
        specs = parsed["specs"] or [parsed["spec"]]
        if quantity is not None:  # an explicit quantity wins over one said in the prompt
            return [(canonical_spec(_strip_quantity(specs[0])), quantity)]
        return [(canonical_spec(_strip_quantity(s)), int(s.get("quantity") or 1)) for s in specs]

    async def specs_from_command(
        self, db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, quantity: int | None
    ) -> list[tuple[dict, int]]:
        command = await db.scalar(
            select(VoiceCommand).where(
                VoiceCommand.id == command_id, VoiceCommand.user_id == user_id
            )
        )
        if command is None:
            raise NotFound("No such command.")
        parsed = command.parse or {}
        if parsed.get("intent") not in ("generate", "schedule_nightly", "variations"):
            raise AppError(
                "That command does not describe designs to make.",
                code="not_a_generation_command",
                status_code=422,
            )
        specs = parsed.get("specs") or [parsed.get("spec") or {}]
        if quantity is not None:
            return [(canonical_spec(_strip_quantity(specs[0])), quantity)]
        return [(canonical_spec(_strip_quantity(s)), int(s.get("quantity") or 1)) for s in specs]

    async def get(self, db: AsyncSession, user_id: uuid.UUID, job_id: uuid.UUID) -> GenerationJob:
        job = await db.scalar(
            select(GenerationJob).where(
                GenerationJob.id == job_id, GenerationJob.user_id == user_id
            )
        )
        if job is None:
            raise NotFound("No such generation job.")
        return job

    async def images(self, db: AsyncSession, job: GenerationJob) -> list[Image]:
        return list(
            (
                await db.scalars(select(Image).where(Image.job_id == job.id).order_by(Image.seq))
            ).all()
        )

    async def list(
        self, db: AsyncSession, user_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> tuple[list[GenerationJob], str | None]:
        stmt = select(GenerationJob).where(GenerationJob.user_id == user_id)
        return await newest_first_page(db, stmt, GenerationJob, limit=limit, cursor=cursor)

    async def cancel(
        self, db: AsyncSession, user_id: uuid.UUID, job_id: uuid.UUID
    ) -> GenerationJob:
        job = await db.scalar(
            select(GenerationJob)
            .where(GenerationJob.id == job_id, GenerationJob.user_id == user_id)
            .with_for_update()
        )
        if job is None:
            raise NotFound("No such generation job.")
        if job.status not in ACTIVE_JOB:
            return job  # cancelling a finished job changes nothing
        now = utcnow()
        job.status = "cancelled"
        job.cancelled_at = now
        job.finished_at = now
        # Designs not yet made are dropped; designs already made stay in the gallery.
        await db.execute(
            update(Image)
            .where(Image.job_id == job.id, Image.status.in_(("pending", "claimed")))
            .values(status="cancelled", lease_expires_at=None, updated_at=now)
        )
        await db.commit()
        await db.refresh(job)
        await self.events.publish(
            user_id,
            "job.cancelled",
            {"job_id": str(job.id), "done": job.done_count, "total": job.quantity},
        )
        return job

    async def cancel_newest(self, db: AsyncSession, user_id: uuid.UUID) -> GenerationJob | None:
        job_id = await db.scalar(
            select(GenerationJob.id)
            .where(GenerationJob.user_id == user_id, GenerationJob.status.in_(ACTIVE_JOB))
            .order_by(GenerationJob.created_at.desc())
            .limit(1)
        )
        return None if job_id is None else await self.cancel(db, user_id, job_id)


def _strip_quantity(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != "quantity"}


def job_out(job: GenerationJob, images: list[Image] | None = None) -> dict[str, Any]:
    error = {"code": job.error_code, "message": job.error_message} if job.error_code else None
    return {
        "id": job.id,
        "status": job.status,
        "source": job.source,
        "provider": job.provider,
        "prompt": job.prompt,
        "spec": job.spec,
        "quantity": job.quantity,
        "progress": {"done": job.done_count, "failed": job.failed_count, "total": job.quantity},
        "cost_usd": str(job.cost_usd),
        "error": error,
        "command_id": job.command_id,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "images": None
        if images is None
        else [
            {
                "id": i.id,
                "seq": i.seq,
                "status": i.status,
                "width": i.width,
                "height": i.height,
                "thumbhash": i.thumbhash,
                "dominant_color": i.dominant_color,
                "urls": image_urls(i.id) if i.status == "ready" else None,
                "error": i.error_message,
            }
            for i in images
        ],
    }
