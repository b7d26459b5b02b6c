"""What feedback teaches, kept per designer and (anonymously) for everyone.

Personal: a designer's learning events are replayed into each design's current verdict,
tallied per attribute value with time decay (designs shown without feedback count as weak
failures), and turned into Beta posteriors that the prompt builder samples from where a
command leaves an attribute open. The tally is cached (Redis when configured) and
cleared by feedback, so the next generation uses it at once.

Global: a periodic task counts, per attribute value, designs with a verdict and the
designers who gave them, and keeps in `global_learning` only the values at least k
designers contributed to. Those figures are the prior of designers with little feedback
of their own (cold start) and what `/api/trends` shows; nothing else crosses users.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from designer_bff.core.errors import AppError, NotFound
from designer_bff.db.base import utcnow
from designer_bff.designs.models import DesignStatus, DesignType, Image
from designer_bff.designs.service import credited_attributes
from designer_bff.garments.taxonomy import get_taxonomy
from designer_bff.generation.prompting.model import Preferences, StyleProfile
from designer_bff.learning import core
from designer_bff.learning.cache import FiguresCache
from designer_bff.learning.models import GlobalLearning, LearningEvent, UserPreference

log = structlog.get_logger("designer_bff.learning")

VERDICT_KINDS = ("outlier", "favorite", "like", "dislike", "rating")
CORRECTIONS = ("forget", "avoid", "prefer")
# A value the designer says to lean to is filled this many times as often.
PREFER_WEIGHT = 3.0
# Events older than this many half-lives weigh under 0.4%: not read.
HORIZON_HALF_LIVES = 8
# Designs shown without feedback that are counted (newest first).
MAX_SHOWN = 2000
# Below this many designs with a verdict a designer is "new": the global prior leads.
COLD_START_DESIGNS = 10

StyleInputs = Callable[
    [AsyncSession, uuid.UUID], Awaitable[tuple[StyleProfile | None, Preferences | None]]
]


class InvalidPreference(AppError):
    status_code = 422
    code = "invalid_preference"


@dataclass(frozen=True)
class LearningConfig:
    half_life_days: float = 30.0
    explore: float = 0.1
    k: int = 5
    prior_strength: float = 6.0
    cache_s: float = 300.0


def _evidence_to_json(t: core.Tally) -> dict[str, Any]:
    return {
        attribute: {
            value: [e.success, e.failure, e.successes, e.failures, e.shown]
            for value, e in values.items()
        }
        for attribute, values in t.items()
    }


def _evidence_from_json(data: Mapping[str, Any]) -> core.Tally:
    return {
        attribute: {
            value: core.Evidence(
                success=float(v[0]),
                failure=float(v[1]),
                successes=int(v[2]),
                failures=int(v[3]),
                shown=int(v[4]),
            )
            for value, v in values.items()
        }
        for attribute, values in data.items()
    }


class LearningService:
    def __init__(
        self,
        config: LearningConfig,
        cache: FiguresCache,
        *,
        profile_inputs: StyleInputs | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = config
        self.cache = cache
        self.profile_inputs = profile_inputs
        self.clock = clock
        self._prior: tuple[float, dict[str, dict[str, core.GlobalRate]]] | None = None

    # -- personal -------------------------------------------------------------------------

    @staticmethod
    def _key(user_id: uuid.UUID) -> str:
        return f"learning:tally:{user_id}"

    async def invalidate(self, user_id: uuid.UUID) -> None:
        """Feedback changed: the next read recomputes (in every process, through Redis)."""
        await self.cache.delete(self._key(user_id))

    async def _corrections(self, db: AsyncSession, user_id: uuid.UUID) -> list[UserPreference]:
        return list(
            (
                await db.scalars(select(UserPreference).where(UserPreference.user_id == user_id))
            ).all()
        )

    async def _figures(self, db: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
        """{"tally": Tally as JSON, "judged": designs with a verdict, "shown": without}."""
        cached = await self.cache.get(self._key(user_id))
        if cached is not None:
            return cached
        now = self.clock()
        since = now - timedelta(days=self.config.half_life_days * HORIZON_HALF_LIVES)
        events = (
            await db.scalars(
                select(LearningEvent)
                .where(
                    LearningEvent.user_id == user_id,
                    LearningEvent.kind.in_(VERDICT_KINDS),
                    LearningEvent.image_id.is_not(None),
                    LearningEvent.created_at >= since,
                )
                .order_by(LearningEvent.created_at)
            )
        ).all()
        verdicts = core.replay(events)
        designs: list[tuple[Mapping[str, Any], float, float, datetime]] = []
        judged = 0
        for verdict, attributes, at in verdicts.values():
            success, failure = core.verdict_weights(verdict)
            if success or failure >= 1.0:
                judged += 1
            designs.append((attributes, success, failure, at))
        shown = 0
        for image in (
            await db.scalars(
                select(Image)
                .where(
                    Image.user_id == user_id,
                    Image.type == DesignType.GENERATED,
                    Image.status == DesignStatus.READY,
                    Image.deleted_at.is_(None),
                    Image.created_at >= since,
                )
                .order_by(Image.created_at.desc())
                .limit(MAX_SHOWN + len(verdicts))
            )
        ).all():
            if image.id in verdicts or shown >= MAX_SHOWN:
                continue
            success, failure = core.verdict_weights(None)
            designs.append((credited_attributes(image), success, failure, image.created_at))
            shown += 1
        forget = {
            (c.attribute_type, c.attribute_value): c.reset_at
            for c in await self._corrections(db, user_id)
            if c.reset_at is not None
        }
        t = core.tally(designs, now=now, half_life_days=self.config.half_life_days, forget=forget)
        figures = {"tally": _evidence_to_json(t), "judged": judged, "shown": shown}
        await self.cache.set(self._key(user_id), figures, self.config.cache_s)
        return figures

    async def tally(self, db: AsyncSession, user_id: uuid.UUID) -> core.Tally:
        return _evidence_from_json((await self._figures(db, user_id))["tally"])

    async def preferences(self, db: AsyncSession, user_id: uuid.UUID) -> Preferences:
        """What the prompt builder samples from: own posteriors over the k-anonymous global
        prior, the designer's corrections (avoid: never filled; prefer: leaned to)."""
        t = await self.tally(db, user_id)
        prior = await self.global_prior(db)
        posteriors = core.posteriors(t, prior=prior, prior_strength=self.config.prior_strength)
        banned: dict[str, set[str]] = {}
        weights: dict[str, dict[str, float]] = {}
        for c in await self._corrections(db, user_id):
            if c.correction == "avoid":
                banned.setdefault(c.attribute_type, set()).add(c.attribute_value)
            elif c.correction == "prefer":
                weights.setdefault(c.attribute_type, {})[c.attribute_value] = PREFER_WEIGHT
        for attribute, values in banned.items():
            for value in values:
                posteriors.get(attribute, {}).pop(value, None)
        return Preferences(
            weights=weights,
            banned={k: frozenset(v) for k, v in banned.items()},
            posteriors={k: v for k, v in posteriors.items() if v},
            explore=self.config.explore,
        )

    async def prompt_inputs(
        self, db: AsyncSession, user_id: uuid.UUID
    ) -> tuple[StyleProfile | None, Preferences | None]:
        """The style profile's inputs with what was learned merged in: the profile's bans
        and boosts stay; learned posteriors and corrections are added."""
        profile, from_profile = (
            await self.profile_inputs(db, user_id)
            if self.profile_inputs is not None
            else (None, None)
        )
        learned = await self.preferences(db, user_id)
        if from_profile is None:
            return profile, learned
        banned = {k: set(v) for k, v in from_profile.banned.items()}
        for k, values in learned.banned.items():
            banned.setdefault(k, set()).update(values)
        weights = {k: dict(w) for k, w in from_profile.weights.items()}
        for k, w in learned.weights.items():
            weights.setdefault(k, {}).update(w)
        posteriors = {
            k: {value: ab for value, ab in v.items() if value not in banned.get(k, ())}
            for k, v in learned.posteriors.items()
        }
        return profile, Preferences(
            weights=weights,
            banned={k: frozenset(v) for k, v in banned.items()},
            posteriors={k: v for k, v in posteriors.items() if v},
            explore=learned.explore,
        )

    async def report(self, db: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
        """What was learned, in plain words and in figures (GET /api/preferences)."""
        figures = await self._figures(db, user_id)
        t = _evidence_from_json(figures["tally"])
        prior = await self.global_prior(db)
        posteriors = core.posteriors(t, prior=prior, prior_strength=self.config.prior_strength)
        corrections = {
            (c.attribute_type, c.attribute_value): c.correction
            for c in await self._corrections(db, user_id)
        }
        values: list[dict[str, Any]] = []
        for attribute in core.LEARNED_ATTRIBUTES:
            for value, e in sorted(t.get(attribute, {}).items()):
                a, b = posteriors.get(attribute, {}).get(value, (1.0, 1.0))
                values.append(
                    {
                        "attribute": attribute,
                        "value": value,
                        "successes": e.successes,
                        "failures": e.failures,
                        "shown": e.shown,
                        "score": round(a / (a + b), 4),
                        "correction": corrections.get((attribute, value)),
                    }
                )
        for (attribute, value), correction in corrections.items():
            if correction and not any(
                v["attribute"] == attribute and v["value"] == value for v in values
            ):
                values.append(
                    {
                        "attribute": attribute,
                        "value": value,
                        "successes": 0,
                        "failures": 0,
                        "shown": 0,
                        "score": None,
                        "correction": correction,
                    }
                )
        return {
            "designs_considered": figures["judged"] + figures["shown"],
            "feedback_count": figures["judged"],
            "cold_start": figures["judged"] < COLD_START_DESIGNS,
            "explore": self.config.explore,
            "statements": [
                {
                    "attribute": s.attribute,
                    "value": s.value,
                    "text": s.text,
                    "ratio": round(s.ratio, 2),
                    "direction": s.direction,
                }
                for s in core.describe(t)
            ],
            "values": values,
        }

    @staticmethod
    def canonical(attribute: str, value: str) -> str:
        if attribute not in core.LEARNED_ATTRIBUTES:
            raise InvalidPreference(
                f"Nothing is learned about {attribute!r}; one of: "
                + ", ".join(core.LEARNED_ATTRIBUTES),
                details={"attributes": list(core.LEARNED_ATTRIBUTES)},
            )
        canonical = get_taxonomy().canonicalize(attribute, value)
        if canonical is None:
            raise NotFound(f"{value!r} is not a known {attribute} value.")
        return canonical

    async def correct(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        attribute: str,
        value: str,
        correction: str | None,
    ) -> None:
        """forget: what was learned about the value so far no longer counts; avoid: never
        filled in; prefer: leaned to; None: avoid/prefer removed (a forget stays)."""
        value = self.canonical(attribute, value)
        if correction is not None and correction not in CORRECTIONS:
            raise InvalidPreference(f"correction must be one of {', '.join(CORRECTIONS)} or null")
        now = self.clock()
        dialect = db.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        t = await self.tally(db, user_id)
        e = t.get(attribute, {}).get(value)
        row: dict[str, Any] = {
            "correction": correction,
            "positive_count": e.successes if e else 0,
            "negative_count": e.failures if e else 0,
            "updated_at": now,
        }
        if correction == "forget":
            row["reset_at"] = now
        await db.execute(
            insert(UserPreference)
            .values(
                id=uuid.uuid4(),
                user_id=user_id,
                attribute_type=attribute,
                attribute_value=value,
                weight=0.0,
                **row,
            )
            .on_conflict_do_update(
                index_elements=["user_id", "attribute_type", "attribute_value"], set_=row
            )
        )
        await db.commit()
        await self.invalidate(user_id)

    async def forget_all(self, db: AsyncSession, user_id: uuid.UUID) -> None:
        """Everything learned so far stops counting, and corrections are removed. The
        feedback itself stays (the gallery and analytics show it): each value learned
        about gets a reset point instead."""
        now = self.clock()
        t = await self.tally(db, user_id)
        await db.execute(delete(UserPreference).where(UserPreference.user_id == user_id))
        for attribute, values in t.items():
            for value in values:
                db.add(
                    UserPreference(
                        user_id=user_id,
                        attribute_type=attribute,
                        attribute_value=value,
                        weight=0.0,
                        correction=None,
                        reset_at=now,
                        updated_at=now,
                    )
                )
        await db.commit()
        await self.invalidate(user_id)

    # -- global ---------------------------------------------------------------------------

    async def refresh_global(self, db: AsyncSession) -> int:
        """Recount `global_learning` from every designer's current verdicts; keep only the
        values at least k designers contributed to. Returns the rows kept."""
        totals: dict[tuple[str, str], list[int]] = {}  # success, total, users
        users = (await db.scalars(select(LearningEvent.user_id).distinct())).all()
        for user_id in users:
            events = (
                await db.scalars(
                    select(LearningEvent)
                    .where(
                        LearningEvent.user_id == user_id,
                        LearningEvent.kind.in_(VERDICT_KINDS),
                        LearningEvent.image_id.is_not(None),
                    )
                    .order_by(LearningEvent.created_at)
                )
            ).all()
            mine: dict[tuple[str, str], list[int]] = {}
            for verdict, attributes, _at in core.replay(events).values():
                success, failure = core.verdict_weights(verdict)
                if not success and failure < 1.0:
                    continue  # no verdict: not counted globally
                for key in _values(attributes):
                    counts = mine.setdefault(key, [0, 0])
                    counts[0] += 1 if success else 0
                    counts[1] += 1
            for key, (s, n) in mine.items():
                agg = totals.setdefault(key, [0, 0, 0])
                agg[0] += s
                agg[1] += n
                agg[2] += 1
        kept = {key: v for key, v in totals.items() if v[2] >= self.config.k and v[1] > 0}
        now = self.clock()
        dialect = db.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for (attribute, value), (s, n, users_n) in kept.items():
            row = {
                "success_count": s,
                "total_count": n,
                "success_rate": s / n,
                "user_count": users_n,
                "updated_at": now,
            }
            await db.execute(
                insert(GlobalLearning)
                .values(id=uuid.uuid4(), attribute_type=attribute, attribute_value=value, **row)
                .on_conflict_do_update(
                    index_elements=["attribute_type", "attribute_value"], set_=row
                )
            )
        stale = [
            r
            for r in (await db.scalars(select(GlobalLearning))).all()
            if (r.attribute_type, r.attribute_value) not in kept
        ]
        for r in stale:
            await db.delete(r)
        await db.commit()
        self.drop_cached_prior()
        log.info("global_learning_refreshed", values=len(kept), designers=len(users))
        return len(kept)

    def drop_cached_prior(self) -> None:
        """The next read of the global prior goes to the table."""
        self._prior = None

    async def _global_rows(self, db: AsyncSession) -> list[GlobalLearning]:
        return list(
            (
                await db.scalars(
                    select(GlobalLearning).where(GlobalLearning.user_count >= self.config.k)
                )
            ).all()
        )

    async def global_prior(self, db: AsyncSession) -> dict[str, dict[str, core.GlobalRate]]:
        """The k-anonymous global rates (reused for `cache_s` in this process)."""
        if self._prior is not None and self._prior[0] > self.clock().timestamp():
            return self._prior[1]
        prior: dict[str, dict[str, core.GlobalRate]] = {}
        for r in await self._global_rows(db):
            prior.setdefault(r.attribute_type, {})[r.attribute_value] = core.GlobalRate(
                success_rate=r.success_rate, total=r.total_count
            )
        self._prior = (self.clock().timestamp() + self.config.cache_s, prior)
        return prior

    async def trends(self, db: AsyncSession, limit: int = 10) -> dict[str, Any]:
        rows = await self._global_rows(db)
        by_attribute: dict[str, list[GlobalLearning]] = {}
        for r in rows:
            by_attribute.setdefault(r.attribute_type, []).append(r)

        def items(rs: list[GlobalLearning]) -> list[dict[str, Any]]:
            rs = sorted(rs, key=lambda r: (-r.success_rate, -r.total_count, r.attribute_value))
            return [
                {
                    "value": r.attribute_value,
                    "success_rate": round(r.success_rate, 4),
                    "successes": r.success_count,
                    "designs": r.total_count,
                    "designers": r.user_count,
                }
                for r in rs[:limit]
            ]

        updated = max((r.updated_at for r in rows), default=None)
        return {
            "k": self.config.k,
            "updated_at": updated,
            "styles": items(by_attribute.get("styles", [])),
            "attributes": {
                a: items(by_attribute[a])
                for a in core.LEARNED_ATTRIBUTES
                if a != "styles" and a in by_attribute
            },
        }

    async def admin_global(self, db: AsyncSession) -> dict[str, Any]:
        rows = sorted(
            await self._global_rows(db),
            key=lambda r: (r.attribute_type, -r.success_rate, r.attribute_value),
        )
        count = await db.scalar(select(func.count()).select_from(GlobalLearning))
        return {
            "k": self.config.k,
            "values": count or 0,
            "items": [
                {
                    "attribute_type": r.attribute_type,
                    "attribute_value": r.attribute_value,
                    "success_count": r.success_count,
                    "total_count": r.total_count,
                    "success_rate": round(r.success_rate, 4),
                    "user_count": r.user_count,
                    "updated_at": r.updated_at,
                }
                for r in rows
            ],
        }


def _values(attributes: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for attribute in core.LEARNED_ATTRIBUTES:
        value = attributes.get(attribute)
        if isinstance(value, str):
            yield attribute, value
        elif isinstance(value, list):
            for v in dict.fromkeys(value):
                if isinstance(v, str):
                    yield attribute, v


async def refresh_global_forever(
    learning: LearningService,
    sessionmaker: async_sessionmaker[AsyncSession],
    interval_s: float,
) -> None:
    """The periodic task (roles all and scheduler): recount, then wait. Several processes
    may run it: each writes the same figures."""
    while True:
        try:
            async with sessionmaker() as db:
                await learning.refresh_global(db)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed round is retried next time; the loop must live on
            log.exception("global_learning_failed")
        await asyncio.sleep(interval_s)
