"""A designer's style profile: kept as running totals of their analysed portfolio plus
their own edits, rebuilt incrementally as images are analysed or removed, versioned,
and handed to the prompt builder to fill what a command leaves open."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.core.errors import AppError
from designer_bff.db.base import utcnow
from designer_bff.designs.models import Image
from designer_bff.garments.spec import GarmentSpec
from designer_bff.generation.prompting.model import Preferences, StyleProfile
from designer_bff.styles import profile as core
from designer_bff.styles.models import (
    AnalysisStatus,
    StyleProfileVersion,
    VltSpecification,
)
from designer_bff.styles.models import (
    StyleProfile as ProfileRow,
)

HISTORY_LIMIT = 100


class ProfileEditRefused(AppError):
    status_code = 422
    code = "invalid_edit"


class StyleService:
    async def _row(self, db: AsyncSession, user_id: uuid.UUID, *, lock: bool) -> ProfileRow:
        """The designer's profile row, created on first use; locked when it is to change
        (analyses finishing at once each add to the same totals)."""
        dialect = db.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        if lock:
            await db.execute(
                insert(ProfileRow)
                .values(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    attributes={},
                    overrides={},
                    source_image_count=0,
                    version=0,
                )
                .on_conflict_do_nothing(index_elements=["user_id"])
            )
        stmt = select(ProfileRow).where(ProfileRow.user_id == user_id)
        if lock:
            stmt = stmt.with_for_update()
        row = await db.scalar(stmt)
        if row is None:
            return ProfileRow(
                user_id=user_id, attributes={}, overrides={}, source_image_count=0, version=0
            )
        return row

    @staticmethod
    def _parts(row: ProfileRow) -> tuple[core.ProfileTotals, core.Edits]:
        return (
            core.ProfileTotals.from_dict(row.attributes or {}),
            core.Edits.from_dict(row.overrides or {}),
        )

    async def _save(
        self,
        db: AsyncSession,
        row: ProfileRow,
        totals: core.ProfileTotals,
        edits: core.Edits,
        reason: str | None,
    ) -> core.ProfileView:
        """Store the new totals and edits as the next version; `reason` also writes it to
        the history (individual analyses of a job are summed into one entry instead)."""
        view = core.build_profile(totals, edits)
        now = utcnow()
        row.attributes = totals.to_dict()
        row.overrides = edits.to_dict()
        row.summary = view.generated_summary
        row.source_image_count = totals.image_count
        row.version = (row.version or 0) + 1
        row.analyzed_at = now
        row.updated_at = now
        if reason is not None:
            db.add(
                StyleProfileVersion(
                    user_id=row.user_id,
                    version=row.version,
                    reason=reason[:200],
                    summary=view.summary,
                    image_count=totals.image_count,
                    top=view.to_dict()["top"],
                    created_at=now,
                )
            )
        await db.flush()
        return view

    # -- what analyses and removals change (in the caller's transaction) ---------------

    async def add_image(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        spec: GarmentSpec,
        confidence: dict[str, float],
        reason: str | None = None,
    ) -> int:
        return await self._change(db, user_id, spec, confidence, reason, add=True)

    async def remove_image(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        spec: GarmentSpec,
        confidence: dict[str, float],
        reason: str | None = None,
    ) -> int:
        return await self._change(db, user_id, spec, confidence, reason, add=False)

    async def _change(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        spec: GarmentSpec,
        confidence: dict[str, float],
        reason: str | None,
        *,
        add: bool,
    ) -> int:
        row = await self._row(db, user_id, lock=True)
        totals, edits = self._parts(row)
        if add:
            totals.add(spec, confidence)
        else:
            totals.remove(spec, confidence)
        await self._save(db, row, totals, edits, reason)
        return row.version

    async def note(self, db: AsyncSession, user_id: uuid.UUID, reason: str) -> int:
        """A history entry for the profile as it is now (e.g. a finished upload's analyses)."""
        row = await self._row(db, user_id, lock=True)
        totals, edits = self._parts(row)
        await self._save(db, row, totals, edits, reason)
        return row.version

    async def portfolio_visibility(self, db: AsyncSession, image: Image, hidden: bool) -> None:
        """A portfolio design deleted in the gallery (restorable) leaves the profile, and
        comes back into it when restored."""
        analysis = await db.scalar(
            select(VltSpecification).where(
                VltSpecification.image_id == image.id,
                VltSpecification.status == AnalysisStatus.DONE,
            )
        )
        if analysis is None:
            return
        spec = GarmentSpec.from_stored(analysis.spec or {})
        confidence = dict(analysis.confidence or {})
        name = image.source_filename or "an image"
        if hidden:
            await self.remove_image(db, image.user_id, spec, confidence, f"deleted {name}"[:200])
        else:
            await self.add_image(db, image.user_id, spec, confidence, f"restored {name}"[:200])

    # -- what the designer sees and edits ------------------------------------------------

    async def _pending(self, db: AsyncSession, user_id: uuid.UUID) -> int:
        return int(
            await db.scalar(
                select(func.count())
                .select_from(VltSpecification)
                .where(
                    VltSpecification.user_id == user_id,
                    VltSpecification.image_id.is_not(None),
                    VltSpecification.status.in_((AnalysisStatus.PENDING, AnalysisStatus.RUNNING)),
                )
            )
            or 0
        )

    async def profile(self, db: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
        row = await self._row(db, user_id, lock=False)
        totals, edits = self._parts(row)
        out = core.build_profile(totals, edits).to_dict()
        out["version"] = row.version or 0
        out["updated_at"] = row.analyzed_at.isoformat() if row.analyzed_at else None
        out["pending"] = await self._pending(db, user_id)
        return out

    async def edit(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        ops: list[dict[str, Any]],
        *,
        summary: str | None = None,
        set_summary: bool = False,
    ) -> dict[str, Any]:
        """Apply the designer's edits in order, all or none, as one new version."""
        row = await self._row(db, user_id, lock=True)
        totals, edits = self._parts(row)
        said: list[str] = []
        for op in ops:
            try:
                edits = core.apply_edit(
                    edits, op["op"], op["attribute"], op["value"], op.get("factor")
                )
            except core.ProfileEditError as exc:
                await db.rollback()
                raise ProfileEditRefused(exc.message, code=exc.code, details={"edit": op}) from exc
            factor = f" ×{op['factor']:g}" if op.get("factor") else ""
            said.append(f"{op['op']} {op['attribute']} {op['value']}{factor}")
        if set_summary:
            text = summary.strip() if summary else None
            edits = dataclasses.replace(edits, summary=text or None)
            said.append("edited the summary" if text else "went back to the generated summary")
        if not said:
            await db.rollback()
            return await self.profile(db, user_id)
        await self._save(db, row, totals, edits, "; ".join(said))
        await db.commit()
        return await self.profile(db, user_id)

    async def history(self, db: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
        rows = (
            await db.scalars(
                select(StyleProfileVersion)
                .where(StyleProfileVersion.user_id == user_id)
                .order_by(StyleProfileVersion.version.desc())
                .limit(HISTORY_LIMIT)
            )
        ).all()
        return {
            "items": [
                {
                    "version": r.version,
                    "created_at": r.created_at.isoformat(),
                    "reason": r.reason,
                    "summary": r.summary,
                    "image_count": r.image_count,
                    "top": r.top,
                }
                for r in rows
            ]
        }

    async def prompt_inputs(
        self, db: AsyncSession, user_id: uuid.UUID
    ) -> tuple[StyleProfile | None, Preferences | None]:
        """What the prompt builder takes from this designer's profile and edits."""
        row = await db.scalar(select(ProfileRow).where(ProfileRow.user_id == user_id))
        if row is None:
            return None, None
        totals, edits = self._parts(row)
        return core.prompt_inputs(totals, edits)
