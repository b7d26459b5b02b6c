"""Jobs as the API sees them: create (from a spec, a prompt, a command or an image),
read, list and cancel. Execution lives in engine.py."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.auth.models import User
from designer_bff.billing import ledger
from designer_bff.billing.pricing import PriceUnknown, cents, money
from designer_bff.commands.models import VoiceCommand
from designer_bff.commands.parser import ParseResult, parse_command
from designer_bff.config import Settings
from designer_bff.core.errors import AppError, NotFound
from designer_bff.core.pagination import newest_first_page
from designer_bff.db.base import utcnow
from designer_bff.designs.models import UNFINISHED, DesignStatus, DesignType, Image
from designer_bff.designs.representation import image_urls
from designer_bff.garments.spec import EXCLUDE_FAMILY, GarmentSpec
from designer_bff.garments.taxonomy import get_taxonomy
from designer_bff.generation.engine import batch_seed, design_seed
from designer_bff.generation.models import ACTIVE_JOB, GenerationJob, JobSource, JobStatus
from designer_bff.generation.prompt import Preferences, StyleProfile, build_prompt
from designer_bff.generation.providers import ImageProvider
from designer_bff.generation.queue import TaskQueue
from designer_bff.generation.routing import STRATEGIES, Route, route
from designer_bff.realtime.events import EventBus

log = structlog.get_logger("designer_bff.generation")


class InvalidSpec(AppError):
    status_code = 422
    code = "invalid_spec"


# A prompt parsed at least this confidently is a command, not free text.
COMMAND_CONFIDENCE = 0.8

# What to make: [(spec, how many), ...]
SpecCounts = list[tuple[GarmentSpec, int]]
StyleInputs = Callable[
    [AsyncSession, uuid.UUID], Awaitable[tuple[StyleProfile | None, Preferences | None]]
]


def canonical_spec(spec: GarmentSpec) -> GarmentSpec:
    """Canonical taxonomy values (synonyms and typos resolved), without the quantity (a
    job counts its designs itself); unknown values are refused with the list of what is
    known, so a client learns the vocabulary."""
    data = spec.without_quantity().model_dump()
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
        family = EXCLUDE_FAMILY.get(key, key)
        data["exclude"][key] = list(
            dict.fromkeys(v for v in (fix(family, x, f"spec.exclude.{key}") for x in values) if v)
        )
    if problems:
        raise InvalidSpec("The spec has values outside the fashion taxonomy.", details=problems)
    return GarmentSpec.model_validate(data)


def parsed_specs(parsed: ParseResult, quantity: int | None = None) -> SpecCounts:
    """The designs a parsed command asks for; an explicit `quantity` wins over the ones
    said (and then makes only the first garment)."""
    specs = parsed.specs or [parsed.spec]
    if quantity is not None:
        return [(canonical_spec(specs[0]), quantity)]
    return [(canonical_spec(s), s.quantity or 1) for s in specs]


class GenerationService:
    def __init__(
        self,
        settings: Settings,
        providers: dict[str, ImageProvider],
        queue: TaskQueue,
        events: EventBus,
        style_inputs: StyleInputs | None = None,
    ) -> None:
        self.settings = settings
        self.providers = providers
        self.queue = queue
        self.events = events
        # The designer's style profile and edits, for what their commands leave open
        # (wired from the styles feature; generation does not import it).
        self.style_inputs = style_inputs

    def makers(self, operation: str = "generate") -> dict[str, ImageProvider]:
        """The providers that do `operation` ("generate" or "enhance")."""
        return {n: p for n, p in self.providers.items() if p.operation == operation}

    async def route(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        *,
        provider: str | None,
        strategy: str | None = None,
        options: Mapping[str, Any] | None = None,
        fallback: bool = True,
    ) -> Route:
        """The request's provider, else the designer's default, else a strategy."""
        prefs = await db.scalar(select(User.preferences).where(User.id == user_id)) or {}
        return route(
            self.makers(),
            asked=provider,
            strategy=strategy,
            designer_default=prefs.get("default_provider"),
            designer_strategy=prefs.get("provider_strategy"),
            deployment_default=self.settings.default_provider,
            options=options,
            fallback=fallback,
        )

    def unit_price(self, provider: str, options: Mapping[str, Any] | None) -> Decimal:
        try:
            return self.providers[provider].price(options or {})
        except PriceUnknown as exc:
            raise AppError(
                f"{provider} has no price for these options: {exc}",
                code="unpriced_options",
                status_code=422,
            ) from exc

    async def estimate(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        *,
        total: int,
        provider: str | None,
        strategy: str | None = None,
        options: Mapping[str, Any] | None = None,
        fallback: bool = True,
    ) -> dict[str, Any]:
        """What a request would cost before it runs, against what is left this month."""
        self._quantity(total)
        chosen = await self.route(
            db, user_id, provider=provider, strategy=strategy, options=options, fallback=fallback
        )
        unit = self.unit_price(chosen.provider, options)
        amount = money(unit * total)
        left = await ledger.remaining(db, user_id)
        return {
            "provider": chosen.provider,
            "model": self.providers[chosen.provider].model,
            "chosen_by": chosen.how,
            "fallback": list(chosen.fallback),
            "options": dict(options or {}),
            "quantity": total,
            "unit_price_usd": str(unit),
            "total_usd": str(amount),
            "remaining_usd": None if left is None else str(left),
            "within_budget": left is None or amount <= left,
        }

    async def check_budget(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        provider: str,
        options: Mapping[str, Any],
        total: int,
    ) -> None:
        amount = money(self.unit_price(provider, options) * total)
        if amount <= 0:
            return
        left = await ledger.remaining(db, user_id)
        if left is not None and amount > left:
            raise AppError(
                f"This would cost {cents(amount)}, and {cents(left)} is left of your "
                "monthly budget. Make fewer designs, choose a cheaper provider or raise "
                "the budget.",
                code="budget_exceeded",
                status_code=402,
                details={"estimate_usd": str(amount), "remaining_usd": str(left)},
            )

    def offered(self) -> list[dict[str, Any]]:
        """What this deployment offers, for pickers: name, model, operation, price."""
        out = []
        for name, p in sorted(self.providers.items()):
            try:
                price: str | None = str(p.price({}))
            except PriceUnknown:
                price = None
            out.append(
                {
                    "name": name,
                    "vendor": p.vendor,
                    "model": p.model,
                    "operation": p.operation,
                    "prompt_family": p.prompt_family,
                    "unit_price_usd": price,
                    "is_default": name == self.settings.default_provider,
                }
            )
        return out

    async def defaults(self, db: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
        prefs = await db.scalar(select(User.preferences).where(User.id == user_id)) or {}
        return {
            "default_provider": prefs.get("default_provider"),
            "provider_strategy": prefs.get("provider_strategy"),
        }

    async def set_defaults(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        *,
        default_provider: str | None,
        provider_strategy: str | None,
    ) -> dict[str, Any]:
        """The designer's own default provider and/or strategy (None clears one)."""
        if default_provider is not None and default_provider not in self.makers():
            raise AppError(
                f"Unknown provider {default_provider!r}.",
                code="unknown_provider",
                status_code=422,
                details={"available": sorted(self.makers())},
            )
        if provider_strategy is not None and provider_strategy not in STRATEGIES:
            raise AppError(
                f"Unknown strategy {provider_strategy!r}.",
                code="unknown_strategy",
                status_code=422,
                details={"available": list(STRATEGIES)},
            )
        user = await db.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None:
            raise NotFound("No such user.")
        prefs = dict(user.preferences or {})
        prefs["default_provider"] = default_provider
        prefs["provider_strategy"] = provider_strategy
        user.preferences = prefs
        await db.commit()
        return await self.defaults(db, user_id)

    def check_quantity(self, *counts: int | None) -> int | None:
        """The first count given, each held to the limit (one that loses still counts)."""
        for count in counts:
            if count is not None:
                self._quantity(count)
        return next((c for c in counts if c), None)

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
        specs: SpecCounts,
        source: JobSource,
        provider: str | None = None,
        strategy: str | None = None,
        options: Mapping[str, Any] | None = None,
        fallback: bool = True,
        priority: int = 0,
        prompt: str | None = None,
        command_id: uuid.UUID | None = None,
        reference_image_id: uuid.UUID | None = None,
        explore: float | None = None,
    ) -> GenerationJob:
        """One job whose designs follow `specs`: [(spec, how many), ...]. `explore`
        overrides the share of open attributes drawn without the learned preferences
        (a nightly batch explores more)."""
        options = dict(options or {})
        chosen = await self.route(
            db, user_id, provider=provider, strategy=strategy, options=options, fallback=fallback
        )
        provider_name = chosen.provider
        total = self._quantity(sum(n for _, n in specs))
        if total < 1:
            raise AppError(
                "Nothing to make: quantity is 0.", code="invalid_quantity", status_code=422
            )
        await self.check_budget(db, user_id, provider_name, options, total)
        first_spec = specs[0][0]
        # A free prompt is kept as written; otherwise each design gets its own prompt in
        # its provider's words (the job shows its first design's).
        family = self.providers[provider_name].prompt_family
        profile: StyleProfile | None = None
        preferences: Preferences | None = None
        if not prompt and self.style_inputs is not None:
            profile, preferences = await self.style_inputs(db, user_id)
            if preferences is not None and explore is not None:
                preferences = replace(preferences, explore=explore)
        job_prompt: str | None = prompt
        job_negative: str | None = None
        job = GenerationJob(
            user_id=user_id,
            status=JobStatus.QUEUED,
            source=source,
            command_id=command_id,
            reference_image_id=reference_image_id,
            spec=first_spec.model_dump(),
            prompt=job_prompt,
            negative_prompt=job_negative,
            provider=provider_name,
            model=self.providers[provider_name].model,
            quantity=total,
            priority=priority,
            params={
                **(
                    {"specs": [{"spec": s.model_dump(), "quantity": n} for s, n in specs]}
                    if len(specs) > 1
                    else {}
                ),
                "options": options,
                "fallback": list(chosen.fallback),
                "chosen_by": chosen.how,
            },
        )
        db.add(job)
        await db.flush()
        seq = 0
        now = utcnow()
        fill_seed = batch_seed(job.id)
        for spec, count in specs:
            for _ in range(count):
                seed = design_seed(job.id, seq)
                p: str | None = prompt
                negative: str | None = None
                params: dict[str, Any] = {}
                if not prompt:
                    built = build_prompt(
                        spec,
                        family=family,
                        seed=fill_seed,
                        index=seq,
                        profile=profile,
                        preferences=preferences,
                    )
                    p, negative = built.prompt, built.negative_prompt
                    # What the providers are asked to draw: the spec with the open
                    # attributes filled (the design keeps the asked `spec`).
                    params = {**built.params, "filled_spec": built.spec.model_dump()}
                    if seq == 0:
                        job.prompt, job.negative_prompt = p, negative
                db.add(
                    Image(
                        user_id=user_id,
                        type=DesignType.GENERATED,
                        status=DesignStatus.PENDING,
                        job_id=job.id,
                        seq=seq,
                        spec=spec.model_dump(),
                        garment_type=spec.garment_type,
                        prompt=p,
                        negative_prompt=negative,
                        params=params,
                        provider=provider_name,
                        model=self.providers[provider_name].model,
                        seed=seed,
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
            {
                "job_id": str(job.id),
                "total": total,
                "provider": provider_name,
                "status": JobStatus.QUEUED,
            },
        )
        return job

    async def specs_from_request(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        *,
        spec: GarmentSpec | None,
        prompt: str | None,
        command_id: uuid.UUID | None,
        quantity: int | None,
    ) -> tuple[SpecCounts, JobSource]:
        """What a request asks to make, from exactly one of a spec, a prompt or a stored
        command."""
        if spec is not None:
            if spec.quantity is not None:  # at most the limit, even where `quantity` wins
                self._quantity(spec.quantity)
            return [(canonical_spec(spec), quantity or spec.quantity or 1)], JobSource.SPEC
        if prompt is not None:
            parsed = parse_command(prompt, max_quantity=10**6)
            # Words the parser reads confidently as designs to make ("make me 4 minimalist
            # blazers") are a command: each design gets a built prompt. Anything else is a
            # free prompt, sent as written.
            command = (
                parsed.error is None
                and parsed.intent == "generate"
                and parsed.confidence >= COMMAND_CONFIDENCE
            )
            return parsed_specs(parsed, quantity), (
                JobSource.COMMAND if command else JobSource.PROMPT
            )
        if command_id is not None:
            return await self._specs_from_command(db, user_id, command_id, quantity), (
                JobSource.COMMAND
            )
        raise AppError("Give a prompt or a spec.", code="validation_error", status_code=422)

    async def _specs_from_command(
        self, db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, quantity: int | None
    ) -> SpecCounts:
        command = await db.scalar(
            select(VoiceCommand).where(
                VoiceCommand.id == command_id, VoiceCommand.user_id == user_id
            )
        )
        if command is None:
            raise NotFound("No such command.")
        try:
            parsed = ParseResult.model_validate(command.parse or {})
        except ValidationError:  # kept from an older parser whose reading is no longer valid
            parsed = None
        if parsed is None or parsed.error is not None:
            raise AppError(
                "That command was not understood as designs to make; say it again.",
                code="command_not_makeable",
                status_code=422,
            )
        if parsed.intent not in ("generate", "schedule_nightly", "variations"):
            raise AppError(
                "That command does not describe designs to make.",
                code="not_a_generation_command",
                status_code=422,
            )
        return parsed_specs(parsed, quantity)

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

    async def describe(self, db: AsyncSession, job: GenerationJob) -> dict[str, Any]:
        """The job as the API shows it, with its designs."""
        return job_out(job, await self.images(db, job))

    async def page(
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
        job.status = JobStatus.CANCELLED
        job.cancelled_at = now
        job.finished_at = now
        # Designs not yet made are dropped; designs already made stay in the gallery.
        await db.execute(
            update(Image)
            .where(Image.job_id == job.id, Image.status.in_(UNFINISHED))
            .values(status=DesignStatus.CANCELLED, lease_expires_at=None, updated_at=now)
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
                "urls": image_urls(i.id) if i.status == DesignStatus.READY else None,
                "error": i.error_message,
            }
            for i in images
        ],
    }
