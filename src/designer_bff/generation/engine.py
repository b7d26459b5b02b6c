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
import contextlib
import dataclasses
import hashlib
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from designer_bff.config import Settings
from designer_bff.db.base import utcnow
from designer_bff.gallery.models import Image, attribute_tags
from designer_bff.generation.models import GenerationJob
from designer_bff.generation.providers import (
    DesignRequest,
    GeneratedDesign,
    ImageProvider,
    ProviderError,
)
from designer_bff.generation.queue import TaskQueue
from designer_bff.media import InvalidImage, make_variants_async
from designer_bff.realtime.events import EventBus
from designer_bff.storage import ObjectStore, object_key

log = structlog.get_logger("designer_bff.generation")

ACTIVE_JOB = ("queued", "running")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def design_seed(job_id: uuid.UUID, seq: int) -> int:
    """Stable per design, so a retried design is the same design."""
    digest = hashlib.sha256(f"{job_id}:{seq}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Claim:
    image_id: uuid.UUID
    user_id: uuid.UUID
    job_id: uuid.UUID
    seq: int
    spec: dict[str, Any]
    prompt: str
    negative_prompt: str | None
    seed: int
    provider: str
    token: str
    attempts: int
    created_at: datetime


class ClaimLost(Exception):
    """The design was cancelled, or its lease passed to another worker."""


def image_urls(image_id: uuid.UUID | str) -> dict[str, str]:
    base = f"/api/images/{image_id}/file"
    return {
        "thumb": f"{base}?variant=thumb",
        "preview": f"{base}?variant=preview",
        "original": f"{base}?variant=original",
    }


def image_summary(image: Image) -> dict[str, Any]:
    return {
        "id": str(image.id),
        "job_id": str(image.job_id) if image.job_id else None,
        "seq": image.seq,
        "width": image.width,
        "height": image.height,
        "thumbhash": image.thumbhash,
        "dominant_color": image.dominant_color,
        "thumbnail_url": image_urls(image.id)["thumb"],
        "urls": image_urls(image.id),
        "garment_type": image.garment_type,
        "provider": image.provider,
        "created_at": image.created_at.isoformat() if image.created_at else None,
    }


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
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.storage = storage
        self.providers = providers
        self.queue = queue
        self.events = events
        self.worker_id = worker_id
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
                    func.sum(case((Image.status == "pending", 1), else_=0)).label("pending"),
                    func.sum(case((Image.status == "claimed", 1), else_=0)).label("inflight"),
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
                            Image.status == "pending",
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
                now = utcnow()
                token = f"{self.worker_id}:{uuid.uuid4().hex[:8]}"
                won = await db.execute(
                    update(Image)
                    .where(Image.id == image.id, Image.status == "pending")
                    .values(
                        status="claimed",
                        claimed_by=token,
                        claimed_at=now,
                        lease_expires_at=now + self.lease,
                        attempts=Image.attempts + 1,
                        updated_at=now,
                    )
                )
                if won.rowcount != 1:
                    await db.rollback()
                    continue
                await db.execute(
                    update(GenerationJob)
                    .where(GenerationJob.id == job.id, GenerationJob.status == "queued")
                    .values(status="running", started_at=now, updated_at=now)
                )
                await db.commit()
                return Claim(
                    image_id=image.id,
                    user_id=image.user_id,
                    job_id=job.id,
                    seq=image.seq or 0,
                    spec=dict(image.spec or {}),
                    prompt=image.prompt or "",
                    negative_prompt=image.negative_prompt,
                    seed=int(image.seed or 0),
                    provider=provider,
                    token=token,
                    attempts=image.attempts + 1,
                    created_at=image.created_at,
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
                        Image.status == "claimed",
                    )
                    .values(lease_expires_at=utcnow() + self.lease)
                )
                await db.commit()
            if renewed.rowcount != 1:
                return  # cancelled or taken over; the finaliser will notice

    async def _still_claimed(self, claim: Claim) -> bool:
        async with self.sessionmaker() as db:
            status = await db.scalar(
                select(Image.status).where(
                    Image.id == claim.image_id, Image.claimed_by == claim.token
                )
            )
        return status == "claimed"

    # -- making one design -------------------------------------------------------------
    async def process(self, claim: Claim) -> None:
        started = time.perf_counter()
        renew = asyncio.create_task(self._renew_lease(claim))
        try:
            design = await self._generate_with_retries(claim)
            if design is None:
                return
            await self._store_and_finalise(claim, design, started)
        except ClaimLost:
            log.info("design_claim_lost", image_id=str(claim.image_id))
        except Exception as exc:  # anything unexpected fails this design, not the worker
            log.exception("design_failed_unexpectedly", image_id=str(claim.image_id))
            await self._fail(claim, "internal_error", f"Unexpected error: {type(exc).__name__}")
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew

    async def _generate_with_retries(self, claim: Claim) -> GeneratedDesign | None:
        provider = self.providers[claim.provider]
        request = DesignRequest(
            spec=claim.spec,
            prompt=claim.prompt,
            negative_prompt=claim.negative_prompt,
            seed=claim.seed,
            size=self.settings.image_size,
        )
        attempt = claim.attempts
        while True:
            try:
                return await provider.generate(request)
            except ProviderError as exc:
                if not exc.transient or attempt >= self.settings.generation_max_attempts:
                    await self._fail(claim, exc.code, exc.message)
                    return None
                delay = exc.retry_after or self.settings.generation_retry_base_s * (
                    2 ** (attempt - 1)
                )
                delay = min(delay, 60.0) * (0.5 + random.random())  # noqa: S311 - jitter
                log.info(
                    "provider_retry",
                    image_id=str(claim.image_id),
                    attempt=attempt,
                    delay_s=round(delay, 2),
                    error=exc.message,
                )
                await asyncio.sleep(delay)
                if not await self._still_claimed(claim):
                    raise ClaimLost from exc
                attempt += 1
                async with self.sessionmaker() as db:
                    await db.execute(
                        update(Image).where(Image.id == claim.image_id).values(attempts=attempt)
                    )
                    await db.commit()

    async def _store_and_finalise(
        self, claim: Claim, design: GeneratedDesign, started: float
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

        resolved = design.resolved_spec or claim.spec
        timings = {
            **design.timings,
            "variants_ms": round(t_variants * 1000, 2),
            "store_ms": round(t_store * 1000, 2),
            "variant_steps": {
                k: round(v, 2) for k, v in dataclasses.asdict(variants.timings).items()
            },
        }
        now = utcnow()
        async with self.sessionmaker() as db:
            job = await self._lock_job(db, claim.job_id)
            done = await db.execute(
                update(Image)
                .where(
                    Image.id == claim.image_id,
                    Image.status == "claimed",
                    Image.claimed_by == claim.token,
                )
                .values(
                    status="ready",
                    width=variants.width,
                    height=variants.height,
                    bytes=original_bytes,
                    format=original_format,
                    thumbhash=variants.thumbhash,
                    dominant_color=variants.average_color,
                    storage_backend=self.storage.name,
                    variants=variant_keys,
                    spec={**claim.spec, "resolved": resolved},
                    garment_type=resolved.get("garment_type") or claim.spec.get("garment_type"),
                    attribute_tags=attribute_tags(resolved),
                    model=design.model,
                    cost_usd=design.cost_usd,
                    timings=timings,
                    completed_at=now,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            if done.rowcount != 1:
                # Under the row lock: only a design that can never be made again (cancelled,
                # failed, deleted) loses these objects. A design another worker claimed
                # meanwhile writes the very same keys, so its objects must stay.
                status = await db.scalar(
                    select(Image.status).where(Image.id == claim.image_id).with_for_update()
                )
                await db.rollback()
                if status in (None, "cancelled", "failed"):
                    await self._delete_objects([k for k, _, _ in uploads.values()], claim)
                raise ClaimLost
            progress = await self._refresh_job(db, job)
            image = await db.get(Image, claim.image_id)
            await db.commit()
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
                update(Image)
                .where(
                    Image.id == claim.image_id,
                    Image.status == "claimed",
                    Image.claimed_by == claim.token,
                )
                .values(
                    status="failed",
                    error_code=code,
                    error_message=message[:2000],
                    lease_expires_at=None,
                    updated_at=utcnow(),
                )
            )
            if failed.rowcount != 1:
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
            select(func.coalesce(func.sum(Image.cost_usd), 0)).where(
                Image.job_id == job.id, Image.status == "ready"
            )
        )
        job.done_count = counts.get("ready", 0)
        job.failed_count = counts.get("failed", 0)
        job.cost_usd = Decimal(str(cost or 0))
        remaining = counts.get("pending", 0) + counts.get("claimed", 0)
        finished = False
        if remaining == 0 and job.status in ACTIVE_JOB:
            finished = True
            job.finished_at = utcnow()
            if job.done_count == 0:
                job.status = "failed"
                last_error = await db.scalar(
                    select(Image.error_message)
                    .where(Image.job_id == job.id, Image.status == "failed")
                    .order_by(Image.updated_at.desc())
                    .limit(1)
                )
                job.error_code = "all_designs_failed"
                job.error_message = f"No design could be made: {last_error or 'unknown error'}"
            else:
                job.status = "completed"
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
            if progress["status"] == "completed":
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
                    .where(Image.status == "claimed", Image.lease_expires_at < now)
                    .limit(500)
                )
            ).all()
        for row in expired:
            give_up = row.attempts >= self.settings.generation_max_attempts
            async with self.sessionmaker() as db:
                job = await self._lock_job(db, row.job_id)
                values: dict[str, Any] = (
                    {
                        "status": "failed",
                        "error_code": "worker_lost",
                        "error_message": "The worker making this design stopped repeatedly.",
                    }
                    if give_up
                    else {"status": "pending", "claimed_by": None}
                )
                changed = await db.execute(
                    update(Image)
                    .where(
                        Image.id == row.id, Image.status == "claimed", Image.lease_expires_at < now
                    )
                    .values(lease_expires_at=None, updated_at=now, **values)
                )
                progress = await self._refresh_job(db, job) if give_up else None
                await db.commit()
            if changed.rowcount == 1:
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
                        func.sum(case((Image.status == "pending", 1), else_=0)),
                        func.sum(case((Image.status == "claimed", 1), else_=0)),
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
                            Image.status == "pending",
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

    async def run_sweeper(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("generation_sweep_failed")
            await asyncio.sleep(self.settings.generation_sweep_interval_s)
