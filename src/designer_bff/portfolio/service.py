"""A designer's portfolio: uploaded past work, stored as designs of type portfolio with
their variants (metadata stripped), each queued for analysis; the same bytes are kept
once. Also the VLT's batch analyses, whose inputs are kept only until analysed."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.core.errors import AppError, NotFound
from designer_bff.core.pagination import newest_first_page
from designer_bff.db.base import utcnow
from designer_bff.designs.models import DesignStatus, DesignType, Image
from designer_bff.designs.representation import image_urls
from designer_bff.garments.spec import GarmentSpec
from designer_bff.media.variants import InvalidImage, make_variants_async
from designer_bff.portfolio.uploads import Intake, IntakeFile
from designer_bff.realtime.events import EventBus
from designer_bff.storage import ObjectStore, object_key
from designer_bff.styles.models import AnalysisJob, AnalysisStatus, VltSpecification
from designer_bff.styles.service import StyleService

log = structlog.get_logger("designer_bff.portfolio")

Wake = Callable[[int], Awaitable[None]]

# Variants made at once: each holds one decoded image in memory.
_VARIANT_CONCURRENCY = 2


class NoImages(AppError):
    status_code = 422
    code = "no_images"


@dataclass
class _Prepared:
    file: IntakeFile
    image_id: uuid.UUID
    # What the row records, not the bytes: an upload of hundreds is held at once.
    width: int
    height: int
    thumbhash: str
    average_color: str
    original_size: int | None
    original_format: str | None
    keys: dict[str, str]


def _analysis_out(row: VltSpecification | None) -> dict[str, Any]:
    if row is None:
        return {
            "status": "pending",
            "provider": None,
            "spec": None,
            "confidence": None,
            "error": None,
        }
    failed = row.status == AnalysisStatus.FAILED
    return {
        "status": row.status,
        "provider": row.provider,
        "model": row.model,
        "spec": row.spec if row.status == AnalysisStatus.DONE else None,
        "confidence": row.confidence if row.status == AnalysisStatus.DONE else None,
        "error": {"code": row.error_code, "message": row.error_message} if failed else None,
    }


def portfolio_item(image: Image, analysis: VltSpecification | None) -> dict[str, Any]:
    return {
        "id": str(image.id),
        "filename": image.source_filename,
        "width": image.width,
        "height": image.height,
        "thumbhash": image.thumbhash,
        "dominant_color": image.dominant_color,
        "urls": image_urls(image.id),
        "created_at": image.created_at.isoformat(),
        "analysis": _analysis_out(analysis),
    }


class PortfolioService:
    def __init__(
        self,
        storage: ObjectStore,
        styles: StyleService,
        events: EventBus,
        wake: Wake,
        analyzer_name: str,
    ) -> None:
        self.storage = storage
        self.styles = styles
        self.events = events
        self.wake = wake
        self.analyzer_name = analyzer_name

    # -- uploads -------------------------------------------------------------------------

    async def _prepare(self, user_id: uuid.UUID, file: IntakeFile) -> _Prepared:
        data = await asyncio.to_thread(Path(file.path).read_bytes)
        variants = await make_variants_async(data, strip_metadata=True)
        del data
        image_id = uuid.uuid4()
        now = utcnow()
        renditions = {"preview": variants.preview, "thumb": variants.thumb}
        if variants.original is not None:
            renditions["original"] = variants.original
        keys: dict[str, str] = {}
        try:
            for kind, encoded in renditions.items():
                key = object_key(user_id, now, "portfolio", image_id, encoded.ext)
                if kind != "original":
                    key = object_key(user_id, now, f"portfolio-{kind}", image_id, encoded.ext)
                await self.storage.put(key, encoded.data, encoded.mime)
                keys[kind] = key
        except Exception:
            await self._delete_objects(list(keys.values()))
            raise
        original = variants.original
        return _Prepared(
            file=file,
            image_id=image_id,
            keys=keys,
            width=variants.width,
            height=variants.height,
            thumbhash=variants.thumbhash,
            average_color=variants.average_color,
            original_size=original.size if original else None,
            original_format=original.format if original else None,
        )

    async def _delete_objects(self, keys: list[str]) -> None:
        if keys:
            try:
                await self.storage.delete_many(keys)
            except Exception:
                log.warning("portfolio_objects_not_deleted", keys=keys)

    async def upload(self, db: AsyncSession, user_id: uuid.UUID, intake: Intake) -> dict[str, Any]:
        """Store every usable image of `intake` (not already in the portfolio) and queue
        its analysis. Per-file problems are reported, not fatal; nothing is half stored."""
        errors: list[dict[str, str]] = [e.to_dict() for e in intake.errors]
        hashes = [f.sha256 for f in intake.files]
        existing = (
            {
                h: i
                for h, i, deleted in (
                    await db.execute(
                        select(Image.content_hash, Image.id, Image.deleted_at).where(
                            Image.user_id == user_id, Image.content_hash.in_(hashes)
                        )
                    )
                ).all()
                if deleted is None
            }
            if hashes
            else {}
        )
        # A file whose bytes are already stored, or came earlier in this upload.
        repeats: list[IntakeFile] = []
        fresh: list[IntakeFile] = []
        seen: set[str] = set()
        for f in intake.files:
            if f.sha256 in existing or f.sha256 in seen:
                repeats.append(f)
            else:
                seen.add(f.sha256)
                fresh.append(f)

        gate = asyncio.Semaphore(_VARIANT_CONCURRENCY)
        prepared: list[_Prepared] = []

        async def prepare(f: IntakeFile) -> None:
            async with gate:
                try:
                    prepared.append(await self._prepare(user_id, f))
                except InvalidImage as exc:
                    errors.append(
                        {
                            "filename": f.filename,
                            "code": "invalid_image",
                            "message": f"{f.filename}: {exc}",
                        }
                    )

        try:
            await asyncio.gather(*(prepare(f) for f in fresh))
        except Exception:
            await self._delete_objects([k for p in prepared for k in p.keys.values()])
            raise
        # A repeat points at the design its bytes are (one made just now included).
        made = {p.file.sha256: str(p.image_id) for p in prepared}
        stored = {h: str(i) for h, i in existing.items()} | made
        duplicates = [
            {"filename": f.filename, "id": stored[f.sha256]} for f in repeats if f.sha256 in stored
        ]
        if not prepared:
            await db.rollback()
            if duplicates:
                return {
                    "accepted": [],
                    "duplicates": duplicates,
                    "errors": errors,
                    "analysis": None,
                }
            raise NoImages("None of the files is an image we can use.", details={"errors": errors})

        order = {f.sha256: i for i, f in enumerate(intake.files)}
        prepared.sort(key=lambda p: order[p.file.sha256])
        now = utcnow()
        try:
            # An earlier copy that was deleted (in its grace period) gives up its hash.
            await db.execute(
                update(Image)
                .where(
                    Image.user_id == user_id,
                    Image.content_hash.in_([p.file.sha256 for p in prepared]),
                    Image.deleted_at.is_not(None),
                )
                .values(content_hash=None)
            )
            job = AnalysisJob(
                user_id=user_id,
                kind="portfolio",
                status="running",
                total=len(prepared),
                done=0,
                failed=0,
            )
            db.add(job)
            await db.flush()
            images: list[tuple[Image, VltSpecification]] = []
            for p in prepared:
                image = Image(
                    id=p.image_id,
                    user_id=user_id,
                    type=DesignType.PORTFOLIO,
                    status=DesignStatus.READY,
                    title=Path(p.file.filename).stem[:200] or None,
                    source_filename=p.file.filename[:255],
                    content_hash=p.file.sha256,
                    width=p.width,
                    height=p.height,
                    bytes=p.original_size or p.file.size_bytes,
                    format=p.original_format or p.file.format,
                    thumbhash=p.thumbhash,
                    dominant_color=p.average_color,
                    storage_backend=self.storage.name,
                    variants=p.keys,
                    spec={},
                    attribute_tags=[],
                    provider="upload",
                    completed_at=now,
                )
                analysis = VltSpecification(
                    user_id=user_id,
                    image_id=p.image_id,
                    job_id=job.id,
                    filename=p.file.filename[:255],
                    status=AnalysisStatus.PENDING,
                    provider=self.analyzer_name,
                    attempts=0,
                )
                db.add(image)
                db.add(analysis)
                images.append((image, analysis))
            await db.commit()
        except Exception:
            await db.rollback()
            await self._delete_objects([k for p in prepared for k in p.keys.values()])
            raise
        await self.wake(len(prepared))
        return {
            "accepted": [portfolio_item(i, a) for i, a in images],
            "duplicates": duplicates,
            "errors": errors,
            "analysis": {"job_id": str(job.id), "total": job.total},
        }

    # -- the portfolio ---------------------------------------------------------------------

    async def page(
        self, db: AsyncSession, user_id: uuid.UUID, *, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        stmt = select(Image).where(
            Image.user_id == user_id,
            Image.type == DesignType.PORTFOLIO,
            Image.deleted_at.is_(None),
        )
        rows, next_cursor = await newest_first_page(db, stmt, Image, limit=limit, cursor=cursor)
        analyses = (
            {
                a.image_id: a
                for a in (
                    await db.scalars(
                        select(VltSpecification).where(
                            VltSpecification.user_id == user_id,
                            VltSpecification.image_id.in_([r.id for r in rows]),
                        )
                    )
                ).all()
            }
            if rows
            else {}
        )
        total = await db.scalar(
            select(func.count())
            .select_from(Image)
            .where(
                Image.user_id == user_id,
                Image.type == DesignType.PORTFOLIO,
                Image.deleted_at.is_(None),
            )
        )
        return {
            "items": [portfolio_item(r, analyses.get(r.id)) for r in rows],
            "next_cursor": next_cursor,
            "total": int(total or 0),
        }

    async def delete(self, db: AsyncSession, user_id: uuid.UUID, image_id: uuid.UUID) -> None:
        """Remove a portfolio image, its files and its analysis; the profile loses what
        it counted from it."""
        image = await db.scalar(
            select(Image)
            .where(
                Image.id == image_id,
                Image.user_id == user_id,
                Image.type == DesignType.PORTFOLIO,
                Image.deleted_at.is_(None),
            )
            .with_for_update()
        )
        if image is None:
            raise NotFound("No such portfolio image.")
        analysis = await db.scalar(
            select(VltSpecification).where(VltSpecification.image_id == image.id).with_for_update()
        )
        version = None
        if analysis is not None and analysis.status == AnalysisStatus.DONE:
            version = await self.styles.remove_image(
                db,
                user_id,
                GarmentSpec.from_stored(analysis.spec or {}),
                dict(analysis.confidence or {}),
                reason=f"removed {image.source_filename or 'an image'}"[:200],
            )
        keys = [k for k in (image.variants or {}).values() if isinstance(k, str)]
        if (
            analysis is not None
            and analysis.job_id is not None
            and analysis.status in (AnalysisStatus.PENDING, AnalysisStatus.RUNNING)
        ):
            # No longer to be analysed: the job's progress counts it no more (in SQL, as
            # analyses finishing meanwhile count theirs).
            finished = AnalysisJob.done + AnalysisJob.failed
            await db.execute(
                update(AnalysisJob)
                .where(AnalysisJob.id == analysis.job_id)
                .values(
                    total=case(
                        (AnalysisJob.total - 1 > finished, AnalysisJob.total - 1), else_=finished
                    )
                )
            )
            await db.execute(
                update(AnalysisJob)
                .where(
                    AnalysisJob.id == analysis.job_id,
                    AnalysisJob.status != "completed",
                    finished >= AnalysisJob.total,
                )
                .values(status="completed", completed_at=utcnow())
            )
        if analysis is not None:
            await db.delete(analysis)
            await db.flush()  # before the image: its cascade would remove the row first
        await db.delete(image)
        await db.commit()
        await self._delete_objects(keys)
        if version is not None:
            await self.events.publish(user_id, "profile.updated", {"version": version})

    async def jobs_progress(
        self, db: AsyncSession, job_ids: list[uuid.UUID]
    ) -> tuple[int, int, int]:
        """(done, failed, still to analyse) over analysis jobs (an import's progress)."""
        rows = (
            await db.execute(
                select(AnalysisJob.total, AnalysisJob.done, AnalysisJob.failed).where(
                    AnalysisJob.id.in_(job_ids)
                )
            )
        ).all()
        done = sum(r.done for r in rows)
        failed = sum(r.failed for r in rows)
        return done, failed, sum(max(r.total - r.done - r.failed, 0) for r in rows)

    # -- batch analyses (the VLT's, outside the portfolio) ----------------------------------

    async def analyze_batch(
        self, db: AsyncSession, user_id: uuid.UUID, intake: Intake
    ) -> dict[str, Any]:
        """Queue each image of `intake` for analysis only: its bytes are kept until it has
        been analysed, its record for as long as the designer keeps the job."""
        if not intake.files:
            raise NoImages(
                "None of the files is an image we can analyse.",
                details={"errors": [e.to_dict() for e in intake.errors]},
            )
        job = AnalysisJob(
            user_id=user_id,
            kind="batch",
            status="running",
            total=len(intake.files),
            done=0,
            failed=0,
        )
        db.add(job)
        await db.flush()
        now = utcnow()
        keys: list[str] = []
        try:
            for f in intake.files:
                analysis_id = uuid.uuid4()
                key = object_key(user_id, now, "vlt-batch", analysis_id, f.format.lower())
                data = await asyncio.to_thread(Path(f.path).read_bytes)
                await self.storage.put(key, data, f.mime)
                keys.append(key)
                db.add(
                    VltSpecification(
                        id=analysis_id,
                        user_id=user_id,
                        job_id=job.id,
                        input_key=key,
                        filename=f.filename[:255],
                        status=AnalysisStatus.PENDING,
                        provider=self.analyzer_name,
                        attempts=0,
                    )
                )
            await db.commit()
        except Exception:
            await db.rollback()
            await self._delete_objects(keys)
            raise
        await self.wake(len(keys))
        return {
            **(await self.batch_job(db, user_id, job.id)),
            "errors": [e.to_dict() for e in intake.errors],
        }

    async def batch_job(
        self, db: AsyncSession, user_id: uuid.UUID, job_id: uuid.UUID
    ) -> dict[str, Any]:
        job = await db.scalar(
            select(AnalysisJob).where(AnalysisJob.id == job_id, AnalysisJob.user_id == user_id)
        )
        if job is None:
            raise NotFound("No such analysis job.")
        rows = (
            await db.scalars(
                select(VltSpecification)
                .where(VltSpecification.job_id == job.id)
                .order_by(VltSpecification.created_at, VltSpecification.id)
            )
        ).all()
        return {
            "job_id": str(job.id),
            "kind": job.kind,
            "status": job.status,
            "total": job.total,
            "done": job.done,
            "failed": job.failed,
            "created_at": job.created_at.isoformat(),
            "completed_at": job.completed_at.isoformat() if job.completed_at else None,
            "items": [
                {
                    "id": str(r.id),
                    "image_id": str(r.image_id) if r.image_id else None,
                    "filename": r.filename,
                    **_analysis_out(r),
                    "record": r.record if r.status == AnalysisStatus.DONE else None,
                }
                for r in rows
            ],
        }
