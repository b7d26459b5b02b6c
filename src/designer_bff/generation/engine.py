"""The generation engine: claims designs from the database, makes them with a provider,
stores every variant, records the result and announces it.

Durability: each design (an `images` row) moves pending -> claimed -> ready | failed |
cancelled. A claim is a compare-and-set with a lease the worker renews while it works;
a dead worker's lease expires and the sweep puts the design back to pending. Objects are
written under keys derived from the design's id, and the row is finalised only if the
claim still holds, so a design is never stored twice and never left half-made.

Fairness: the next design goes to the user with the fewest designs in flight, then the
one served least recently (per-user round robin), whatever order jobs arrived in."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import stamina
import structlog
from sqlalchemy import Update, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from designer_bff.billing import ledger
from designer_bff.billing.pricing import Charge, cents
from designer_bff.config import Settings
from designer_bff.core.errors import database_unavailable
from designer_bff.core.metrics import Metrics
from designer_bff.core.tasks import cancel_and_wait
from designer_bff.db.base import affected_rows, utcnow
from designer_bff.designs.models import (
    RESOLVED_KEY,
    DesignStatus,
    Image,
    spec_columns,
)
from designer_bff.designs.representation import image_summary
from designer_bff.garments.spec import GarmentSpec
from designer_bff.generation.enhancement import enhancement_source
from designer_bff.generation.models import ACTIVE_JOB, GenerationJob, JobSource, JobStatus
from designer_bff.generation.prompt import build_prompt
from designer_bff.generation.providers import (
    DesignRequest,
    GeneratedDesign,
    ImageProvider,
    PermanentProviderError,
    ProviderError,
)
from designer_bff.generation.queue import TaskQueue
from designer_bff.media.variants import InvalidImage, make_variants_async
from designer_bff.realtime.events import EventBus
from designer_bff.storage import ObjectStore, object_key

log = structlog.get_logger("designer_bff.generation")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def design_seed(job_id: uuid.UUID, seq: int) -> int:
    """Stable per design, so a retried design is the same design."""
    digest = hashlib.sha256(f"{job_id}:{seq}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


def batch_seed(job_id: uuid.UUID) -> int:
    """Shared by a job's designs when their open attributes are filled: the prompt
    builder spreads one seed's designs over the options by index (a per-design seed
    would make each draw independent, and two of ten alike now and then)."""
    digest = hashlib.sha256(f"{job_id}:batch".encode()).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Claim:
    image_id: uuid.UUID
    user_id: uuid.UUID
    job_id: uuid.UUID
    seq: int
    spec: GarmentSpec
    prompt: str
    negative_prompt: str | None
    seed: int
    provider: str
    token: str
    attempts: int
    created_at: datetime
    # What the provider is asked to draw: the spec with the open attributes the prompt
    # builder filled (the asked `spec` is what the design record keeps).
    draw_spec: GarmentSpec | None = None
    job_source: str = JobSource.SPEC
    reference_image_id: uuid.UUID | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Providers to try, in order, when this one is down.
    fallback: tuple[str, ...] = ()


class BudgetReached(Exception):
    def __init__(self, left: Decimal, price: Decimal) -> None:
        super().__init__(f"budget reached: {left} left, {price} needed")
        self.left = left
        self.price = price


def _while_claimed(claim: Claim) -> Update:
    """An UPDATE of the claimed design that applies only while this claim still holds."""
    return update(Image).where(
        Image.id == claim.image_id,
        Image.status == DesignStatus.CLAIMED,
        Image.claimed_by == claim.token,
    )


class ClaimLost(Exception):
    """The design was cancelled, or its lease passed to another worker."""


class _Attempts(Exception):
    """A provider's retries are spent: its last error, and the attempts used so far."""

    def __init__(self, error: ProviderError, attempt: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.attempt = attempt


class GenerationEngine:
    def __init__(
        self,
        *,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        storage: ObjectStore,
        providers: dict[str, ImageProvider],
        queue: TaskQueue,
        events: EventBus,
        worker_id: str,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.providers = providers
        self.queue = queue
        self.events = events
        self.worker_id = worker_id
        self.metrics = metrics or Metrics()
        self.lease = timedelta(seconds=settings.generation_lease_s)
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._last_reseed: dict[str, float] = {}

    def concurrency(self, provider: str) -> int:
        p = self.providers[provider]
        return self.settings.provider_concurrency.get(provider, p.default_concurrency)

    # -- the task ----------------------------------------------------------------------
    async def run_one(self, provider: str) -> bool:
        """Make the fairest pending design of this provider. False when there was none."""
        if provider not in self.providers:
            log.error("unknown_provider_task", provider=provider)
            return False
        slot = self._slots.get(provider)
        if slot is None:
            slot = self._slots[provider] = asyncio.Semaphore(self.concurrency(provider))
        async with slot:
            claim = await self.claim(provider)
            if claim is None:
                return False
            await self.process(claim)
            return True

    # -- claiming ----------------------------------------------------------------------
    async def _pick_user(self, db: AsyncSession, provider: str) -> uuid.UUID | None:
        active_jobs = select(GenerationJob.id).where(
            GenerationJob.status.in_(ACTIVE_JOB), GenerationJob.provider == provider
        )
        rows = (
            await db.execute(
                select(
                    Image.user_id,
                    func.sum(case((Image.status == DesignStatus.PENDING, 1), else_=0)).label(
                        "pending"
                    ),
                    func.sum(case((Image.status == DesignStatus.CLAIMED, 1), else_=0)).label(
                        "inflight"
                    ),
                    func.max(Image.claimed_at).label("last_claimed"),
                )
                .where(Image.job_id.in_(active_jobs))
                .group_by(Image.user_id)
            )
        ).all()
        waiting = [r for r in rows if (r.pending or 0) > 0]
        if not waiting:
            return None

        def served(row: Any) -> datetime:
            last = row.last_claimed
            if last is None:
                return _EPOCH
            return last if last.tzinfo else last.replace(tzinfo=UTC)

        return min(waiting, key=lambda r: (r.inflight or 0, served(r))).user_id

    async def claim(self, provider: str) -> Claim | None:
        for _ in range(8):  # another worker may win the race for the same design
            async with self.sessionmaker() as db:
                user_id = await self._pick_user(db, provider)
                if user_id is None:
                    return None
                row = (
                    await db.execute(
                        select(Image, GenerationJob)
                        .join(GenerationJob, GenerationJob.id == Image.job_id)
                        .where(
                            Image.user_id == user_id,
                            Image.status == DesignStatus.PENDING,
                            GenerationJob.status.in_(ACTIVE_JOB),
                            GenerationJob.provider == provider,
                        )
                        .order_by(
                            GenerationJob.priority.desc(), GenerationJob.created_at, Image.seq
                        )
                        .limit(1)
                    )
                ).first()
                if row is None:
                    continue
                image, job = row
                # Read before the UPDATE: the session may refresh the loaded row with it.
                tried_before = image.attempts
                now = utcnow()
                token = f"{self.worker_id}:{uuid.uuid4().hex[:8]}"
                won = await db.execute(
                    update(Image)
                    .where(Image.id == image.id, Image.status == DesignStatus.PENDING)
                    .values(
                        status=DesignStatus.CLAIMED,
                        claimed_by=token,
                        claimed_at=now,
                        lease_expires_at=now + self.lease,
                        attempts=Image.attempts + 1,
                        updated_at=now,
                    )
                )
                if affected_rows(won) != 1:
                    await db.rollback()
                    continue
                await db.execute(
                    update(GenerationJob)
                    .where(GenerationJob.id == job.id, GenerationJob.status == JobStatus.QUEUED)
                    .values(status=JobStatus.RUNNING, started_at=now, updated_at=now)
                )
                await db.commit()
                filled = (image.params or {}).get("filled_spec")
                job_params = job.params or {}
                return Claim(
                    image_id=image.id,
                    user_id=image.user_id,
                    job_id=job.id,
                    seq=image.seq or 0,
                    spec=image.garment_spec,
                    prompt=image.prompt or "",
                    negative_prompt=image.negative_prompt,
                    seed=int(image.seed or 0),
                    provider=provider,
                    token=token,
                    attempts=tried_before + 1,
                    created_at=image.created_at,
                    draw_spec=GarmentSpec.from_stored(filled) if isinstance(filled, dict) else None,
                    job_source=job.source,
                    reference_image_id=job.reference_image_id,
                    options=dict(job_params.get("options") or {}),
                    fallback=tuple(job_params.get("fallback") or ()),
                )
        return None

    async def _renew_lease(self, claim: Claim) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            async with self.sessionmaker() as db:
                renewed = await db.execute(
                    update(Image)
                    .where(
                        Image.id == claim.image_id,
                        Image.claimed_by == claim.token,
                        Image.status == DesignStatus.CLAIMED,
                    )
                    .values(lease_expires_at=utcnow() + self.lease)
                )
                await db.commit()
            if affected_rows(renewed) != 1:
                return  # cancelled or taken over; the finaliser will notice

    async def _still_claimed(self, claim: Claim) -> bool:
        async with self.sessionmaker() as db:
            status = await db.scalar(
                select(Image.status).where(
                    Image.id == claim.image_id, Image.claimed_by == claim.token
                )
            )
        return status == DesignStatus.CLAIMED

    # -- making one design -------------------------------------------------------------
    async def process(self, claim: Claim) -> None:
        started = time.perf_counter()
        renew = asyncio.create_task(self._renew_lease(claim))
        try:
            made = await self._generate_with_fallback(claim)
            if made is None:
                return
            design, provider = made
            await self._store_and_finalise(claim, design, started, provider)
        except ClaimLost:
            log.info("design_claim_lost", image_id=str(claim.image_id))
        except Exception as exc:  # anything unexpected fails this design, not the worker
            if database_unavailable(exc):
                # The database went away mid-design: not the design's fault, so it is
                # not failed (a request to record that could meet a database already back).
                await self._hand_back(claim, exc)
                return
            log.exception("design_failed_unexpectedly", image_id=str(claim.image_id))
            await self._fail(claim, "internal_error", f"Unexpected error: {type(exc).__name__}")
        finally:
            await cancel_and_wait(renew)

    async def _hand_back(self, claim: Claim, exc: BaseException) -> None:
        """Return an interrupted design to pending for the next worker; if the database
        is still away, its lease expires and the sweep does it."""
        log.warning(
            "design_interrupted_database_unavailable",
            image_id=str(claim.image_id),
            error=repr(exc)[:300],
        )
        try:
            async with self.sessionmaker() as db:
                released = await db.execute(
                    _while_claimed(claim).values(
                        status=DesignStatus.PENDING,
                        claimed_by=None,
                        lease_expires_at=None,
                        updated_at=utcnow(),
                    )
                )
                await db.commit()
            if affected_rows(released) == 1:
                await self.queue.enqueue(claim.provider)
        except Exception as again:  # still away: the lease and the sweep take over
            log.warning("design_hand_back_failed", image_id=str(claim.image_id), error=repr(again))

    async def _source(self, claim: Claim) -> bytes | None:
        """An enhancement's input: the source design's best raster (its original, or the
        preview where the original is a vector drawing)."""
        if claim.job_source != JobSource.ENHANCE or claim.reference_image_id is None:
            return None
        async with self.sessionmaker() as db:
            source = await db.get(Image, claim.reference_image_id)
        if source is None or source.status != DesignStatus.READY:
            raise PermanentProviderError("The design to enhance is gone.")
        return await enhancement_source(self.storage, source)

    def _request(
        self, claim: Claim, provider: ImageProvider, source: bytes | None
    ) -> DesignRequest:
        spec = claim.draw_spec or claim.spec
        prompt, negative = claim.prompt, claim.negative_prompt
        primary = self.providers.get(claim.provider)
        if (
            claim.draw_spec is not None
            and primary is not None
            and provider.prompt_family != primary.prompt_family
        ):
            # A fallback that wants its prompt phrased otherwise: the filled spec leaves
            # nothing open, so only the wording changes.
            built = build_prompt(
                claim.draw_spec, family=provider.prompt_family, seed=claim.seed, index=claim.seq
            )
            prompt, negative = built.prompt, built.negative_prompt
        return DesignRequest(
            spec=spec,
            prompt=prompt,
            negative_prompt=negative,
            seed=claim.seed,
            size=self.settings.image_size,
            options=claim.options,
            source=source,
        )

    async def _generate_with_fallback(
        self, claim: Claim
    ) -> tuple[GeneratedDesign, ImageProvider] | None:
        """Make the design with the job's provider; when that one is down (transient
        errors past their retries, or refused credentials), with the next allowed one.
        A design the designer's budget cannot pay for stops the job instead."""
        chain = [claim.provider] + [
            p for p in claim.fallback if p in self.providers and p != claim.provider
        ]
        try:
            source = await self._source(claim)
        except ProviderError as exc:
            await self._fail(claim, exc.code, exc.message)
            return None
        attempt = claim.attempts
        last: ProviderError | None = None
        for position, name in enumerate(chain):
            provider = self.providers[name]
            try:
                await self._check_budget(claim, provider)
            except BudgetReached as reached:
                await self._stop_for_budget(claim, reached)
                return None
            # The first provider has what is left of the design's attempts (a crash and
            # restart do not grant fresh ones); a fallback gets its own.
            tries = (
                max(1, self.settings.generation_max_attempts - claim.attempts + 1)
                if position == 0
                else self.settings.generation_max_attempts
            )
            if position > 0:
                attempt += 1
                await self._begin_retry(claim, attempt)
            try:
                design = await self._generate_with_retries(
                    claim, provider, self._request(claim, provider, source), tries, attempt
                )
                return design, provider
            except _Attempts as used:
                attempt = used.attempt
                last = used.error
            if not (last.transient or last.code == "provider_auth_failed"):
                break  # the request itself was refused: another provider would be no better
            if position + 1 < len(chain):
                log.warning(
                    "provider_fallback",
                    image_id=str(claim.image_id),
                    failed=name,
                    next=chain[position + 1],
                    error=last.message,
                )
        assert last is not None
        message = last.message
        if len(chain) > 1 and (last.transient or last.code == "provider_auth_failed"):
            message = f"{message} (tried {', '.join(chain)})"
        await self._fail(claim, last.code, message)
        return None

    async def _generate_with_retries(
        self,
        claim: Claim,
        provider: ImageProvider,
        request: DesignRequest,
        tries: int,
        attempt: int,
    ) -> GeneratedDesign:
        base_s, cap_s = self.settings.generation_retry_base_s, 60.0

        def wait_for(exc: Exception) -> bool | float:
            # stamina's hook: only transient provider errors are retried; a provider that
            # says how long to wait is waited for that long (capped), else stamina's backoff.
            if not isinstance(exc, ProviderError) or not exc.transient:
                return False
            return True if exc.retry_after is None else min(exc.retry_after, cap_s)

        first = attempt
        failed_with = ""
        try:
            async for retry in stamina.retry_context(
                on=wait_for,
                attempts=tries,
                timeout=None,  # a design has no deadline; its lease is renewed meanwhile
                wait_initial=base_s,
                wait_max=cap_s,
                wait_jitter=base_s,
            ):
                with retry:
                    if retry.num > 1:
                        self.metrics.provider_retried(provider.name, failed_with)
                        attempt = first + retry.num - 1
                        await self._begin_retry(claim, attempt)
                    try:
                        return await provider.generate(request)
                    except ProviderError as exc:
                        failed_with = exc.code
                        self.metrics.provider_failed(provider.name, exc.code)
                        raise
        except ProviderError as exc:
            raise _Attempts(exc, attempt) from exc
        raise AssertionError("stamina neither returned nor raised")  # pragma: no cover

    async def _check_budget(self, claim: Claim, provider: ImageProvider) -> None:
        price = provider.price(claim.options)
        if price <= 0:
            return
        async with self.sessionmaker() as db:
            left = await ledger.remaining(db, claim.user_id)
        if left is not None and price > left:
            raise BudgetReached(left, price)

    async def _stop_for_budget(self, claim: Claim, reached: BudgetReached) -> None:
        """The monthly budget cannot pay for this design: it and the job's other designs
        not yet made are cancelled; designs made stay (and stay paid for)."""
        now = utcnow()
        async with self.sessionmaker() as db:
            job = await self._lock_job(db, claim.job_id)
            mine = await db.execute(
                _while_claimed(claim).values(
                    status=DesignStatus.CANCELLED,
                    error_code="budget_exceeded",
                    error_message="Not made: the monthly budget is reached.",
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            if affected_rows(mine) != 1:
                await db.rollback()
                raise ClaimLost
            await db.execute(
                update(Image)
                .where(Image.job_id == claim.job_id, Image.status == DesignStatus.PENDING)
                .values(
                    status=DesignStatus.CANCELLED,
                    error_code="budget_exceeded",
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            progress = await self._refresh_job(db, job)
            if job.status in ACTIVE_JOB or progress["finished"]:
                job.status = JobStatus.CANCELLED
                job.cancelled_at = job.finished_at = now
                job.error_code = "budget_exceeded"
                job.error_message = (
                    f"Stopped: your monthly budget is reached ({cents(reached.left)} "
                    f"left, a design costs {cents(reached.price)}). "
                    f"{job.done_count} of {job.quantity} designs were made."
                )
            done, total = job.done_count, job.quantity
            message = job.error_message
            await db.commit()
        log.info("job_stopped_for_budget", job_id=str(claim.job_id), left=str(reached.left))
        await self.events.publish(
            claim.user_id,
            "job.cancelled",
            {
                "job_id": str(claim.job_id),
                "done": done,
                "total": total,
                "reason": "budget_exceeded",
                "message": message,
            },
        )

    async def _begin_retry(self, claim: Claim, attempt: int) -> None:
        """Before another try: the design must still be ours; the try is recorded, so a
        crash and restart do not grant a fresh set of attempts."""
        if not await self._still_claimed(claim):
            raise ClaimLost
        log.info("provider_retry", image_id=str(claim.image_id), attempt=attempt)
        async with self.sessionmaker() as db:
            await db.execute(
                update(Image).where(Image.id == claim.image_id).values(attempts=attempt)
            )
            await db.commit()

    async def _store_and_finalise(
        self, claim: Claim, design: GeneratedDesign, started: float, provider: ImageProvider
    ) -> None:
        t0 = time.perf_counter()
        # A renderer that drew a vector keeps it as the original: no raster original to
        # encode (the 1024 px preview already carries those pixels).
        vector = design.extra.get("svg") if design.image is not None else None
        try:
            source = design.image if design.image is not None else design.data
            if source is None:
                raise InvalidImage("no image data")
            variants = await make_variants_async(source, original_format=None if vector else "PNG")
        except InvalidImage as exc:
            await self._fail(
                claim, "invalid_image", f"The provider returned an unusable image: {exc}"
            )
            return
        t_variants = time.perf_counter() - t0
        day = claim.created_at

        def key(kind: str, ext: str) -> str:
            return object_key(claim.user_id, day, kind, claim.image_id, ext)

        renditions: dict[str, tuple[bytes, str, str]] = {
            "preview": (variants.preview.data, variants.preview.ext, variants.preview.mime),
            "thumb": (variants.thumb.data, variants.thumb.ext, variants.thumb.mime),
            **design.extra,
        }
        if variants.original is not None:
            original = variants.original
            renditions["original"] = (original.data, original.ext, original.mime)
            original_format, original_bytes = original.format, original.size
        else:
            assert vector is not None
            original_format, original_bytes = vector[1], len(vector[0])
        uploads = {
            kind: (key(kind, ext), data, mime) for kind, (data, ext, mime) in renditions.items()
        }
        variant_keys = {kind: upload[0] for kind, upload in uploads.items()}
        if vector is not None:
            variant_keys["original"] = variant_keys["svg"]
        t1 = time.perf_counter()
        try:
            await asyncio.gather(
                *(self.storage.put(key, data, mime) for key, data, mime in uploads.values())
            )
        except Exception:
            await self._delete_objects([k for k, _, _ in uploads.values()], claim)
            raise
        t_store = time.perf_counter() - t1

        asked = claim.spec.model_dump()
        resolved = design.resolved_spec or asked
        drawn = GarmentSpec.from_stored(resolved)
        if drawn.garment_type is None:
            drawn.garment_type = claim.spec.garment_type
        timings = {
            **design.timings,
            "variants_ms": round(t_variants * 1000, 2),
            "store_ms": round(t_store * 1000, 2),
            "variant_steps": {
                k: round(v, 2) for k, v in dataclasses.asdict(variants.timings).items()
            },
        }
        now = utcnow()
        # The price table is the one source of what a call costs (as estimates saw it).
        cost = provider.price(claim.options)
        enhance = provider.operation == "enhance"
        async with self.sessionmaker() as db:
            job = await self._lock_job(db, claim.job_id)
            done = await db.execute(
                _while_claimed(claim).values(
                    status=DesignStatus.READY,
                    width=variants.width,
                    height=variants.height,
                    bytes=original_bytes,
                    format=original_format,
                    thumbhash=variants.thumbhash,
                    dominant_color=variants.average_color,
                    storage_backend=self.storage.name,
                    variants=variant_keys,
                    spec={**asked, RESOLVED_KEY: resolved},
                    **spec_columns(drawn),
                    provider=provider.name,
                    model=design.model,
                    generation_cost=Decimal(0) if enhance else cost,
                    enhancement_cost=cost if enhance else Decimal(0),
                    timings=timings,
                    completed_at=now,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            if affected_rows(done) != 1:
                # Under the row lock: only a design that can never be made again (cancelled,
                # failed, deleted) loses these objects. A design another worker claimed
                # meanwhile writes the very same keys, so its objects must stay.
                status = await db.scalar(
                    select(Image.status).where(Image.id == claim.image_id).with_for_update()
                )
                await db.rollback()
                if status in (None, DesignStatus.CANCELLED, DesignStatus.FAILED):
                    await self._delete_objects([k for k, _, _ in uploads.values()], claim)
                raise ClaimLost
            if cost > 0:
                # In the transaction that keeps the design: a design made twice (a worker
                # killed after the call, before this commit) is charged once, by its key.
                await ledger.record(
                    db,
                    user_id=claim.user_id,
                    idempotency_key=f"{provider.operation}:{claim.image_id}",
                    provider=provider.vendor,
                    operation=provider.operation,
                    model=design.model,
                    charge=Charge(units=Decimal(1), unit_price=cost, amount=cost),
                    job_id=claim.job_id,
                    image_id=claim.image_id,
                    details={"provider_name": provider.name, "options": dict(claim.options)},
                )
            progress = await self._refresh_job(db, job)
            image = await db.get(Image, claim.image_id)
            await db.commit()
        self.metrics.design_ready(provider.name, (utcnow() - claim.created_at).total_seconds())
        total_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info(
            "design_ready", image_id=str(claim.image_id), job_id=str(claim.job_id), ms=total_ms
        )
        assert image is not None
        await self.events.publish(claim.user_id, "image.created", image_summary(image))
        await self._announce(claim.user_id, progress)

    async def _delete_objects(self, keys: list[str], claim: Claim) -> None:
        try:
            await self.storage.delete_many(keys)
        except Exception:
            log.exception("orphan_cleanup_failed", image_id=str(claim.image_id))

    async def _fail(self, claim: Claim, code: str, message: str) -> None:
        async with self.sessionmaker() as db:
            job = await self._lock_job(db, claim.job_id)
            failed = await db.execute(
                _while_claimed(claim).values(
                    status=DesignStatus.FAILED,
                    error_code=code,
                    error_message=message[:2000],
                    lease_expires_at=None,
                    updated_at=utcnow(),
                )
            )
            if affected_rows(failed) != 1:
                await db.rollback()
                return
            progress = await self._refresh_job(db, job)
            await db.commit()
        log.warning("design_failed", image_id=str(claim.image_id), code=code, error=message)
        await self._announce(claim.user_id, progress)

    # -- job bookkeeping ---------------------------------------------------------------
    @staticmethod
    async def _lock_job(db: AsyncSession, job_id: uuid.UUID) -> GenerationJob:
        # Row lock on PostgreSQL so two designs finishing together agree on the job's end
        # (SQLite serialises writers already).
        job = (
            await db.execute(
                select(GenerationJob).where(GenerationJob.id == job_id).with_for_update()
            )
        ).scalar_one()
        return job

    @staticmethod
    async def _refresh_job(db: AsyncSession, job: GenerationJob) -> dict[str, Any]:
        counts = dict(
            (
                await db.execute(
                    select(Image.status, func.count())
                    .where(Image.job_id == job.id)
                    .group_by(Image.status)
                )
            ).all()
        )
        cost = await db.scalar(
            select(
                func.coalesce(func.sum(Image.generation_cost + Image.enhancement_cost), 0)
            ).where(Image.job_id == job.id, Image.status == DesignStatus.READY)
        )
        job.done_count = counts.get(DesignStatus.READY, 0)
        job.failed_count = counts.get(DesignStatus.FAILED, 0)
        job.cost_usd = Decimal(str(cost or 0))
        remaining = counts.get(DesignStatus.PENDING, 0) + counts.get(DesignStatus.CLAIMED, 0)
        finished = False
        if remaining == 0 and job.status in ACTIVE_JOB:
            finished = True
            job.finished_at = utcnow()
            if job.done_count == 0:
                job.status = JobStatus.FAILED
                last_error = await db.scalar(
                    select(Image.error_message)
                    .where(Image.job_id == job.id, Image.status == DesignStatus.FAILED)
                    .order_by(Image.updated_at.desc())
                    .limit(1)
                )
                job.error_code = "all_designs_failed"
                job.error_message = f"No design could be made: {last_error or 'unknown error'}"
            else:
                job.status = JobStatus.COMPLETED
        return {
            "job_id": str(job.id),
            "done": job.done_count,
            "failed": job.failed_count,
            "total": job.quantity,
            "status": job.status,
            "finished": finished,
            "error": job.error_message,
            "cost_usd": str(job.cost_usd),
        }

    async def _announce(self, user_id: uuid.UUID, progress: dict[str, Any]) -> None:
        await self.events.publish(
            user_id,
            "job.progress",
            {
                "job_id": progress["job_id"],
                "done": progress["done"],
                "failed": progress["failed"],
                "total": progress["total"],
            },
        )
        if progress["finished"]:
            if progress["status"] == JobStatus.COMPLETED:
                await self.events.publish(
                    user_id,
                    "job.completed",
                    {
                        "job_id": progress["job_id"],
                        "done": progress["done"],
                        "failed": progress["failed"],
                        "total": progress["total"],
                        "cost_usd": progress["cost_usd"],
                    },
                )
            else:
                await self.events.publish(
                    user_id,
                    "job.failed",
                    {
                        "job_id": progress["job_id"],
                        "error": progress["error"],
                        "total": progress["total"],
                    },
                )

    # -- recovery ----------------------------------------------------------------------
    async def sweep(self) -> dict[str, int]:
        """Return expired leases to pending (or fail designs that keep killing workers)
        and re-seed queues whose messages were lost. Safe to run in many processes."""
        now = utcnow()
        released = failed = reseeded = 0
        async with self.sessionmaker() as db:
            expired = (
                await db.execute(
                    select(Image.id, Image.attempts, Image.provider, Image.user_id, Image.job_id)
                    .where(Image.status == DesignStatus.CLAIMED, Image.lease_expires_at < now)
                    .limit(500)
                )
            ).all()
        for row in expired:
            give_up = row.attempts >= self.settings.generation_max_attempts
            async with self.sessionmaker() as db:
                job = await self._lock_job(db, row.job_id)
                values: dict[str, Any] = (
                    {
                        "status": DesignStatus.FAILED,
                        "error_code": "worker_lost",
                        "error_message": "The worker making this design stopped repeatedly.",
                    }
                    if give_up
                    else {"status": DesignStatus.PENDING, "claimed_by": None}
                )
                changed = await db.execute(
                    update(Image)
                    .where(
                        Image.id == row.id,
                        Image.status == DesignStatus.CLAIMED,
                        Image.lease_expires_at < now,
                    )
                    .values(lease_expires_at=None, updated_at=now, **values)
                )
                progress = await self._refresh_job(db, job) if give_up else None
                await db.commit()
            if affected_rows(changed) == 1:
                if give_up:
                    failed += 1
                    assert progress is not None
                    await self._announce(row.user_id, progress)
                else:
                    released += 1
                    await self.queue.enqueue(row.provider)
        for provider in self.providers:
            reseeded += await self._reseed_if_stalled(provider)
        if released or failed or reseeded:
            log.info("generation_sweep", released=released, failed=failed, reseeded=reseeded)
        return {"released": released, "failed": failed, "reseeded": reseeded}

    async def _reseed_if_stalled(self, provider: str) -> int:
        stall = self.settings.generation_stall_after_s
        if time.monotonic() - self._last_reseed.get(provider, -1e9) < stall:
            return 0
        async with self.sessionmaker() as db:
            row = (
                await db.execute(
                    select(
                        func.sum(case((Image.status == DesignStatus.PENDING, 1), else_=0)),
                        func.sum(case((Image.status == DesignStatus.CLAIMED, 1), else_=0)),
                        func.max(Image.updated_at),
                    )
                    .join(GenerationJob, GenerationJob.id == Image.job_id)
                    .where(
                        and_(
                            GenerationJob.status.in_(ACTIVE_JOB), GenerationJob.provider == provider
                        )
                    )
                )
            ).one()
        pending, inflight, last_activity = int(row[0] or 0), int(row[1] or 0), row[2]
        if pending == 0 or inflight > 0 or last_activity is None:
            return 0
        if last_activity.tzinfo is None:
            last_activity = last_activity.replace(tzinfo=UTC)
        if utcnow() - last_activity < timedelta(seconds=stall):
            return 0
        self._last_reseed[provider] = time.monotonic()
        return await self.reseed(provider, pending)

    async def reseed(self, provider: str, pending: int | None = None) -> int:
        """One wake-up per pending design (extra wake-ups find nothing and end at once)."""
        if pending is None:
            async with self.sessionmaker() as db:
                pending = int(
                    await db.scalar(
                        select(func.count())
                        .select_from(Image)
                        .join(GenerationJob, GenerationJob.id == Image.job_id)
                        .where(
                            Image.status == DesignStatus.PENDING,
                            GenerationJob.status.in_(ACTIVE_JOB),
                            GenerationJob.provider == provider,
                        )
                    )
                    or 0
                )
        count = min(pending, 5000)
        if count:
            await self.queue.enqueue(provider, count)
        return count

    async def release_all_claims(self) -> None:
        """Every claim back to pending and every queue re-woken: only for a restart of the
        sole worker (embedded mode), whose earlier claims belong to a process that is gone."""
        async with self.sessionmaker() as db:
            await db.execute(
                update(Image)
                .where(Image.status == DesignStatus.CLAIMED)
                .values(status=DesignStatus.PENDING, claimed_by=None, lease_expires_at=None)
            )
            await db.commit()
        for provider in self.providers:
            await self.reseed(provider)

    async def run_sweeper(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception as exc:
                if database_unavailable(exc):  # expected while it restarts: no traceback
                    log.warning("generation_sweep_skipped_database_unavailable")
                else:
                    log.exception("generation_sweep_failed")
            await asyncio.sleep(self.settings.generation_sweep_interval_s)
