"""Fill a PostgreSQL database with a large, realistic gallery for `bench/gallery.py`.

    .venv/bin/python bench/seed_gallery.py [--images 1000000] [--users 1000]
        [--name dbff_bench_gallery] [--database-url URL] [--reuse] [--drop] [--seed 5]

The database `--name` is created on the server of `--database-url` (default: DATABASE_URL,
else postgresql://postgres@127.0.0.1:5432/test), migrated with
`designer_bff.db.migrate.upgrade`, and filled with binary COPY (asyncpg
`copy_records_to_table`, streamed in batches while rows are generated):

- users `bench-user-0000@example.com` ... with one known password (`--password`,
  default "bench-password"; ONE argon2 hash is computed and shared). Skewed sizes:
  user i owns a share proportional to 1/(i+5)^0.9, so user 0000 has ~28x the median
  (1M images over 1,000 users: ~28,000 for user 0000, ~440 median, ~240 least);
- generation jobs of 1-100 designs (generated images reference them, (job_id, seq)
  unique; every design of a job shares its created_at, as the service writes them),
  plus single portfolio uploads and enhanced images;
- images over the last ~90 days: spec JSON from the taxonomy (garment_type, styles,
  colors, patterns, ...; `garment_type` denormalised), prompt, provider/model/seed,
  variants keys, thumbhash-like base64 strings, widths/heights, bytes, cost, timings;
  ~5% outliers (is_outlier + outlier_marked_at), ~0.3% failed, ~0.5% soft-deleted;
  types ~95% generated, ~3% portfolio, ~2% enhanced; when the schema has them,
  `attribute_tags` (the service's own attribute_tags(resolved spec)) and `rating` (the
  owner's feedback rating, 0 = none) are filled as the service keeps them;
- image_feedback on ~10% of images (every outlier, plus favorites/likes/dislikes/ratings),
  one row per user and image;
- 5 collections per user with ~20 of that user's images each (some shared).

Secondary indexes of the bulk tables are dropped during the load and recreated from their
own definitions afterwards (so an index a later migration adds is rebuilt too), foreign
key triggers are skipped while copying (session_replication_role = replica, when the
role may), then VACUUM ANALYZE. The seed parameters are kept as the database's COMMENT, so
`--reuse` knows what is there and `bench/gallery.py` finds the password.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from _common import pg_admin, pg_urls
from sqlalchemy.engine import make_url

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_NAME = "dbff_bench_gallery"
DEFAULT_PASSWORD = "bench-password"
EMAIL = "bench-user-{:04d}@example.com"
COMMENT_TAG = "dbff-bench-gallery "
BATCH = 20_000
# Dropping a database of a million images takes a while.
ADMIN_TIMEOUT_S = 120.0
DAYS = 90
# The last ~90 days up to today's midnight (UTC): the same --seed gives the same data all
# day, and soft-deleted designs stay inside their grace period.
NOW = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
START = NOW - timedelta(days=DAYS)
# Tables whose secondary indexes are dropped during the COPY and rebuilt after it.
BULK_TABLES = ("images", "image_feedback", "collection_images", "generation_jobs")

PROVIDERS = (("local-flats", "flats-v1", 0.0), ("openai", "gpt-image-1", 0.04))
COLLECTION_NAMES = (
    "Summer Capsule",
    "Resort 26",
    "Client picks",
    "Evening wear ideas",
    "Moodboard",
    "Fall preview",
    "Bridal",
    "Street looks",
)
SIZES = ((1024, 1024), (1024, 1536), (832, 1216), (1536, 1024), (768, 1024), (1024, 1280))
COMMENTS = ("love the neckline", "too busy", "show to client", "more like this", "colour off")
TAGS = ("client", "hero", "lookbook", "rework", "print")


# -- helpers ---------------------------------------------------------------------------


def server_url(arg: str | None) -> str:
    return arg or os.environ.get("DATABASE_URL") or DEFAULT_SERVER


def sqlalchemy_url(dsn: str) -> str:
    return make_url(dsn).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def user_counts(images: int, users: int) -> list[int]:
    """Images per user, heaviest first: a share proportional to 1/(i+5)^0.9."""
    weights = [1.0 / (i + 5) ** 0.9 for i in range(users)]
    total = sum(weights)
    counts = [max(1, int(images * w / total)) for w in weights]
    # Hand the rounding remainder out from the top (or take an excess back from it).
    diff = images - sum(counts)
    i = 0
    while diff != 0 and users:
        step = 1 if diff > 0 else -1
        if counts[i % users] + step >= 1:
            counts[i % users] += step
            diff -= step
        i += 1
    return counts


def fmt_s(seconds: float) -> str:
    return f"{seconds:.1f} s"


def progress(label: str, done: int, total: int, t0: float) -> None:
    rate = done / max(time.perf_counter() - t0, 1e-9)
    print(f"  {label}: {done:>9,}/{total:,} ({rate:,.0f} rows/s)", flush=True)


# -- specs -----------------------------------------------------------------------------


def tags_of(resolved: dict[str, Any]) -> list[str]:
    """images.attribute_tags of a design: the service's own function when it has one."""
    from designer_bff.garments.spec import GarmentSpec

    return GarmentSpec.from_stored(resolved).attribute_tags()


class SpecPool:
    """Pre-built spec JSON (as the engine stores it: the canonical spec plus `resolved`),
    with the matching garment_type and prompt; images draw from the pool."""

    def __init__(self, rng: random.Random, size: int) -> None:
        from designer_bff.garments.taxonomy import get_taxonomy

        tax = get_taxonomy()
        v = {family: list(tax.values(family)) for family in tax.families}
        # Designers lean towards a few values: a Zipf-ish weight by taxonomy order.
        w = {family: [1.0 / (k + 1) ** 0.6 for k in range(len(vals))] for family, vals in v.items()}

        def pick(family: str) -> str:
            return rng.choices(v[family], w[family])[0]

        def picks(family: str, lo: int, hi: int) -> list[str]:
            n = rng.randint(lo, hi)
            return list(dict.fromkeys(pick(family) for _ in range(n)))

        self.entries: list[tuple[str, str, str, str, str]] = []
        for _ in range(size):
            spec: dict[str, Any] = {
                "quantity": None,
                "garment_type": pick("garment_type"),
                "silhouette": pick("silhouette") if rng.random() < 0.5 else None,
                "length": pick("length") if rng.random() < 0.4 else None,
                "neckline": pick("neckline") if rng.random() < 0.3 else None,
                "sleeve": pick("sleeve") if rng.random() < 0.3 else None,
                "styles": picks("styles", 1, 2),
                "colors": picks("colors", 1, 3),
                "palettes": picks("palettes", 0, 1) if rng.random() < 0.2 else [],
                "patterns": picks("patterns", 0, 1),
                "fabrics": picks("fabrics", 0, 2),
                "occasions": picks("occasions", 0, 1),
                "seasons": picks("seasons", 0, 1),
                "details": picks("details", 0, 2),
                "exclude": {
                    "colors": [pick("colors")] if rng.random() < 0.05 else [],
                    "patterns": [],
                    "fabrics": [],
                    "styles": [],
                    "garment_types": [],
                    "silhouettes": [],
                    "lengths": [],
                    "necklines": [],
                },
            }
            # What the renderer reports it drew: every attribute, chosen ones filled in.
            resolved = {
                "garment_type": spec["garment_type"],
                "silhouette": spec["silhouette"] or pick("silhouette"),
                "length": spec["length"] or pick("length"),
                "neckline": spec["neckline"] or pick("neckline"),
                "sleeve": spec["sleeve"] or pick("sleeve"),
                "styles": spec["styles"],
                "colors": spec["colors"],
                "palettes": spec["palettes"],
                "patterns": spec["patterns"][:1] or ["solid"],
                "fabrics": spec["fabrics"][:1] or [pick("fabrics")],
                "occasions": spec["occasions"],
                "seasons": spec["seasons"],
                "details": spec["details"],
            }
            prompt = " ".join(
                [
                    *spec["styles"],
                    *spec["colors"],
                    *spec["patterns"],
                    *(x for x in (spec["silhouette"], spec["length"]) if x),
                    spec["garment_type"],
                    *(f"in {f}" for f in spec["fabrics"]),
                    *(f"for {o}" for o in spec["occasions"]),
                    *(f"with {d}" for d in spec["details"]),
                ]
            )
            prompt = f"Fashion flat sketch of a {prompt}, technical drawing, white background"
            negative = "blurry, low quality, watermark, text, model, mannequin"
            full = {**spec, "resolved": resolved}
            self.entries.append(
                (
                    json.dumps(full, separators=(",", ":")),
                    spec["garment_type"],
                    prompt,
                    negative,
                    json.dumps(tags_of(resolved)),
                )
            )


# -- row generators --------------------------------------------------------------------

IMAGE_COLUMNS = [
    "id", "user_id", "type", "status", "job_id", "seq", "attempts", "claimed_by",
    "claimed_at", "lease_expires_at", "error_code", "error_message", "spec", "garment_type",
    "prompt", "negative_prompt", "provider", "model", "seed", "title", "source_filename",
    "width", "height", "bytes", "format", "thumbhash", "dominant_color", "storage_backend",
    "variants", "timings", "generation_cost", "is_outlier", "outlier_marked_at",
    "completed_at", "deleted_at", "purge_after", "created_at", "updated_at",
]  # fmt: skip
JOB_COLUMNS = [
    "id", "user_id", "status", "source", "spec", "prompt", "negative_prompt",
    "model_provider", "model", "params", "quantity", "done_count", "failed_count",
    "priority", "cost_usd", "started_at", "finished_at", "created_at", "updated_at",
]  # fmt: skip
FEEDBACK_COLUMNS = [
    "id", "user_id", "image_id", "is_outlier", "is_favorite", "reaction", "rating",
    "comment", "tags", "created_at", "updated_at",
]  # fmt: skip
COLLECTION_COLUMNS = [
    "id", "user_id", "name", "name_key", "description", "cover_image_id", "share_token",
    "shared_at", "created_at", "updated_at",
]  # fmt: skip
CI_COLUMNS = ["collection_id", "image_id", "position", "added_at"]
# Filled when the schema has them (denormalised for the gallery's filters and rating sort).
OPTIONAL_IMAGE_COLUMNS = ("attribute_tags", "rating")


def uuid4_fast(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class Generator:
    """Makes every row, user by user, and keeps what later tables need (per-user image
    ids for collections, feedback rows, jobs)."""

    def __init__(
        self, args: argparse.Namespace, user_ids: list[uuid.UUID], extras: list[str]
    ) -> None:
        self.rng = random.Random(args.seed)
        self.with_tags = "attribute_tags" in extras
        self.with_rating = "rating" in extras
        self.user_ids = user_ids
        self.counts = user_counts(args.images, len(user_ids))
        self.specs = SpecPool(self.rng, 20_000).entries
        self.thumbhashes = [
            base64.b64encode(self.rng.randbytes(self.rng.choice((21, 23, 24)))).decode()
            for _ in range(5_000)
        ]
        self.colors = [f"#{self.rng.getrandbits(24):06x}" for _ in range(2_000)]
        self.timings = [
            json.dumps(
                {
                    "render_ms": round(self.rng.uniform(40, 400), 2),
                    "variants_ms": round(self.rng.uniform(20, 90), 2),
                    "store_ms": round(self.rng.uniform(2, 30), 2),
                }
            )
            for _ in range(1_000)
        ]
        self.jobs: list[tuple[Any, ...]] = []
        self.feedback: list[tuple[Any, ...]] = []
        self.collections: list[tuple[Any, ...]] = []
        self.collection_images: list[tuple[Any, ...]] = []
        self.stats = {"outliers": 0, "deleted": 0, "failed": 0, "generated": 0}

    def rand_time(self) -> datetime:
        # Slightly more recent activity than old (designers produce more over time).
        frac = self.rng.random() ** 0.8
        return START + timedelta(seconds=frac * DAYS * 86400)

    def images(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for u, (user_id, n) in enumerate(zip(self.user_ids, self.counts, strict=True)):
            mine: list[uuid.UUID] = []
            left = n
            while left > 0:
                roll = rng.random()
                if roll < 0.45:
                    kind = "generated"
                    size = min(left, rng.choice((1, 4, 10, 10, 10, 20, 25, 50, 100)))
                elif roll < 0.8:
                    kind, size = "portfolio", 1
                else:
                    kind, size = "enhanced", 1
                created = self.rand_time()
                job_id = None
                provider, model, unit_cost = PROVIDERS[0 if rng.random() < 0.8 else 1]
                spec_json, garment, prompt, negative, tags = rng.choice(self.specs)
                if kind == "generated":
                    job_id = uuid4_fast(rng)
                    finished = created + timedelta(seconds=rng.uniform(1, 4) + size * 0.15)
                    self.jobs.append(
                        (
                            job_id, user_id, "completed", rng.choice(("command", "spec", "prompt")),
                            spec_json, prompt, negative, provider, model, "{}", size, size, 0, 0,
                            round(unit_cost * size, 6), created, finished, created, finished,
                        )
                    )  # fmt: skip
                for seq in range(size):
                    if kind != "generated":
                        spec_json, garment, prompt, negative, tags = rng.choice(self.specs)
                        created = self.rand_time()
                    yield self._image(
                        user_id, kind, job_id, seq, created, spec_json, garment, prompt,
                        negative, tags, provider, model, unit_cost, mine,
                    )  # fmt: skip
                left -= size
            self._collections(u, user_id, mine)

    def _image(
        self,
        user_id: uuid.UUID,
        kind: str,
        job_id: uuid.UUID | None,
        seq: int,
        created: datetime,
        spec_json: str,
        garment: str,
        prompt: str,
        negative: str,
        tags: str,
        provider: str,
        model: str,
        unit_cost: float,
        mine: list[uuid.UUID],
    ) -> tuple[Any, ...]:
        rng = self.rng
        image_id = uuid4_fast(rng)
        completed = created + timedelta(seconds=1 + seq * 0.15 + rng.random())
        roll = rng.random()
        status = "failed" if roll < 0.003 else "ready"
        deleted = purge = None
        if 0.003 <= roll < 0.008:
            deleted = completed + timedelta(days=rng.uniform(0, 10))
            purge = deleted + timedelta(days=30)
            self.stats["deleted"] += 1
        width, height = rng.choice(SIZES)
        day = created.date().isoformat()
        variants = (
            f'{{"original":"{user_id}/{day}/original/{image_id}.png",'
            f'"preview":"{user_id}/{day}/preview/{image_id}.webp",'
            f'"thumb":"{user_id}/{day}/thumb/{image_id}.webp"}}'
        )
        outlier = status == "ready" and rng.random() < 0.05
        marked = completed + timedelta(hours=rng.uniform(0.1, 72)) if outlier else None
        if marked and marked > NOW:
            marked = NOW
        updated = marked or deleted or completed
        if status == "failed":
            self.stats["failed"] += 1
            row = (
                image_id, user_id, kind, "failed", job_id, seq if job_id else None, 4, None,
                None, None, "provider_error", "The provider did not answer in time.",
                spec_json, garment, prompt, negative, provider, model, rng.getrandbits(31),
                None, None, None, None, None, None, None, None, None, "{}", "{}", 0,
                False, None, None, deleted, purge, created, updated,
            )  # fmt: skip
            return (*row, *self._extras("[]", 0))
        if kind == "generated":
            self.stats["generated"] += 1
        if status == "ready" and deleted is None:
            mine.append(image_id)
        if outlier:
            self.stats["outliers"] += 1
        rating = self._feedback(user_id, image_id, outlier, completed, marked)
        row = (
            image_id, user_id, kind, "ready", job_id, seq if job_id else None, 1,
            None, created, None, None, None, spec_json, garment,
            prompt if kind != "portfolio" else None,
            negative if kind != "portfolio" else None,
            provider if kind != "portfolio" else None,
            model if kind != "portfolio" else None,
            rng.getrandbits(31) if kind != "portfolio" else None,
            None, f"look-{seq:03d}.jpg" if kind == "portfolio" else None,
            width, height, rng.randint(180_000, 2_400_000), "png",
            rng.choice(self.thumbhashes), rng.choice(self.colors), "local",
            variants, rng.choice(self.timings), unit_cost if kind != "portfolio" else 0,
            outlier, marked, completed, deleted, purge, created, updated,
        )  # fmt: skip
        return (*row, *self._extras(tags, rating or 0))

    def _extras(self, tags: str, rating: int) -> tuple[Any, ...]:
        if self.with_tags:
            return (tags, rating) if self.with_rating else (tags,)
        return (rating,) if self.with_rating else ()

    def _feedback(
        self,
        user_id: uuid.UUID,
        image_id: uuid.UUID,
        outlier: bool,
        completed: datetime,
        marked: datetime | None,
    ) -> int | None:
        """Maybe a feedback row for this design; returns its rating."""
        rng = self.rng
        # Every outlier has a row; ~5.3% of the others too, so ~10% of images in all.
        if not outlier and rng.random() >= 0.053:
            return None
        at = marked or min(NOW, completed + timedelta(hours=rng.uniform(0.05, 96)))
        favorite = rng.random() < (0.35 if outlier else 0.3)
        r = rng.random()
        reaction = (
            ("like" if r < 0.75 else None)
            if outlier
            else ("like" if r < 0.45 else "dislike" if r < 0.7 else None)
        )
        rating = None
        if rng.random() < 0.4:
            rating = rng.choice((4, 5)) if outlier else rng.randint(1, 5)
        comment = rng.choice(COMMENTS) if rng.random() < 0.05 else None
        tags = json.dumps([rng.choice(TAGS)]) if rng.random() < 0.05 else "[]"
        self.feedback.append(
            (uuid4_fast(rng), user_id, image_id, outlier, favorite, reaction, rating, comment,
             tags, at, at)
        )  # fmt: skip
        return rating

    def _collections(self, u: int, user_id: uuid.UUID, mine: list[uuid.UUID]) -> None:
        rng = self.rng
        names = rng.sample(COLLECTION_NAMES, 5)
        for name in names:
            cid = uuid4_fast(rng)
            members = rng.sample(mine, min(len(mine), rng.randint(15, 25)))
            created = self.rand_time()
            shared = rng.random() < 0.1
            self.collections.append(
                (
                    cid, user_id, name, name.lower(), None, members[0] if members else None,
                    base64.urlsafe_b64encode(rng.randbytes(24)).decode() if shared else None,
                    created if shared else None, created, created,
                )
            )  # fmt: skip
            for pos, image_id in enumerate(members):
                self.collection_images.append(
                    (cid, image_id, pos, created + timedelta(minutes=pos))
                )


# -- database --------------------------------------------------------------------------


async def database_exists(admin_dsn: str, name: str) -> tuple[bool, str | None]:
    conn = await asyncpg.connect(admin_dsn, timeout=10)
    try:
        row = await conn.fetchrow(
            "SELECT d.datname, shobj_description(d.oid, 'pg_database') AS comment "
            "FROM pg_database d WHERE d.datname = $1",
            name,
        )
        return (row is not None, row["comment"] if row else None)
    finally:
        await conn.close()


def read_seed_comment(comment: str | None) -> dict[str, Any] | None:
    if not comment or not comment.startswith(COMMENT_TAG):
        return None
    try:
        return json.loads(comment[len(COMMENT_TAG) :])
    except ValueError:
        return None


async def check_columns(
    conn: asyncpg.Connection, table: str, columns: list[str], optional: tuple[str, ...] = ()
) -> list[str]:
    """Refuse clearly when the schema has moved on (a required column we do not fill);
    returns the `optional` columns the table has."""
    rows = await conn.fetch(
        "SELECT column_name, is_nullable, column_default, is_generated "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        table,
    )
    have = {r["column_name"] for r in rows}
    columns = columns + [c for c in optional if c in have]
    missing = [c for c in columns if c not in have]
    required = [
        r["column_name"]
        for r in rows
        if r["column_name"] not in columns
        and r["is_nullable"] == "NO"
        and r["column_default"] is None
        and r["is_generated"] == "NEVER"
    ]
    if missing or required:
        raise SystemExit(
            f"seed_gallery: the {table} table differs from what this seeder fills "
            f"(columns gone: {missing or 'none'}; required columns not filled: "
            f"{required or 'none'}); update bench/seed_gallery.py"
        )
    return [c for c in optional if c in have]


async def drop_secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """Drop the bulk tables' indexes that back no constraint; returns (name, definition)."""
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        list(BULK_TABLES),
    )
    for r in rows:
        await conn.execute(f'DROP INDEX "{r["indexname"]}"')
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def stream(
    rows: Iterator[tuple[Any, ...]], label: str, total: int, t0: float
) -> AsyncIterator[tuple[Any, ...]]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % BATCH == 0:
            if done % (BATCH * 10) == 0:
                progress(label, done, total, t0)
            await asyncio.sleep(0)  # let asyncpg flush the batch
    if done % (BATCH * 10):
        progress(label, done, total, t0)


def batched(rows: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    yield from rows


async def seed(args: argparse.Namespace, dsn: str) -> dict[str, Any]:
    from designer_bff.auth.passwords import hash_password

    t_all = time.perf_counter()
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("SET maintenance_work_mem = '512MB'")
        try:
            await conn.execute("SET session_replication_role = replica")
            fk_note = "foreign key triggers skipped during the load"
        except asyncpg.InsufficientPrivilegeError:
            fk_note = "foreign keys checked row by row (role may not skip them)"
        for table, cols in (
            ("users", ["id", "email", "password_hash", "name", "role", "timezone",
                       "preferences", "is_active", "created_at", "updated_at"]),
            ("generation_jobs", JOB_COLUMNS),
            ("image_feedback", FEEDBACK_COLUMNS),
            ("collections", COLLECTION_COLUMNS),
            ("collection_images", CI_COLUMNS),
        ):  # fmt: skip
            await check_columns(conn, table, cols)
        extras = await check_columns(conn, "images", IMAGE_COLUMNS, OPTIONAL_IMAGE_COLUMNS)
        dropped = await drop_secondary_indexes(conn)
        print(f"  dropped {len(dropped)} secondary indexes for the load; {fk_note}")

        # users: one argon2 hash shared by all (computing 1,000 would take minutes).
        t0 = time.perf_counter()
        password_hash = await hash_password(args.password)
        rng = random.Random(args.seed * 7919)
        user_ids = [uuid4_fast(rng) for _ in range(args.users)]
        joined = START - timedelta(days=30)
        await conn.copy_records_to_table(
            "users",
            columns=["id", "email", "password_hash", "name", "role", "timezone",
                     "preferences", "is_active", "created_at", "updated_at"],
            records=[
                (uid, EMAIL.format(i), password_hash, f"Bench User {i:04d}", "user", "UTC",
                 "{}", True, joined, joined)
                for i, uid in enumerate(user_ids)
            ],
        )  # fmt: skip
        print(f"  users: {args.users:,} in {fmt_s(time.perf_counter() - t0)}", flush=True)

        gen = Generator(args, user_ids, extras)
        t0 = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "images",
                columns=IMAGE_COLUMNS + extras,
                records=stream(gen.images(), "images", args.images, t0),
            )
        t_images = time.perf_counter() - t0
        print(f"  images: {args.images:,} in {fmt_s(t_images)}", flush=True)

        for table, cols, rows in (
            ("generation_jobs", JOB_COLUMNS, gen.jobs),
            ("image_feedback", FEEDBACK_COLUMNS, gen.feedback),
            ("collections", COLLECTION_COLUMNS, gen.collections),
            ("collection_images", CI_COLUMNS, gen.collection_images),
        ):
            t0 = time.perf_counter()
            await conn.copy_records_to_table(
                table, columns=cols, records=stream(batched(rows), table, len(rows), t0)
            )
            print(f"  {table}: {len(rows):,} in {fmt_s(time.perf_counter() - t0)}", flush=True)

        t0 = time.perf_counter()
        await conn.execute("SET max_parallel_maintenance_workers = 2")
        for name, definition in dropped:
            t1 = time.perf_counter()
            await conn.execute(definition)
            print(f"  index {name}: {fmt_s(time.perf_counter() - t1)}", flush=True)
        print(f"  indexes rebuilt in {fmt_s(time.perf_counter() - t0)}", flush=True)
        t0 = time.perf_counter()
        for table in (*BULK_TABLES, "users", "collections"):
            await conn.execute(f"VACUUM (ANALYZE) {table}", timeout=None)
        print(f"  VACUUM ANALYZE in {fmt_s(time.perf_counter() - t0)}", flush=True)
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()
    counts = gen.counts
    return {
        "images": args.images,
        "users": args.users,
        "seed": args.seed,
        "password": args.password,
        "email": EMAIL,
        "jobs": len(gen.jobs),
        "feedback": len(gen.feedback),
        "collections": len(gen.collections),
        "collection_images": len(gen.collection_images),
        "outliers": gen.stats["outliers"],
        "deleted": gen.stats["deleted"],
        "failed": gen.stats["failed"],
        "max_user_images": max(counts),
        "median_user_images": sorted(counts)[len(counts) // 2],
        "min_user_images": min(counts),
        "size": size,
        "seed_s": round(time.perf_counter() - t_all, 1),
    }


async def main_async(args: argparse.Namespace) -> int:
    server = server_url(args.database_url)
    admin_dsn, dsn = pg_urls(server, args.name)
    exists, comment = await database_exists(admin_dsn, args.name)
    if args.drop:
        await pg_admin(
            admin_dsn, f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)', ADMIN_TIMEOUT_S
        )
        print(f"Dropped database {args.name}" if exists else f"No database {args.name}")
        return 0
    info = read_seed_comment(comment)
    if (
        exists
        and args.reuse
        and info
        and info.get("images") == args.images
        and info.get("users") == args.users
    ):
        print(f"Reusing {args.name}: seeded earlier in {info.get('seed_s')} s")
        report(info, dsn)
        return 0
    if exists:
        why = (
            "--reuse given but it holds a different or unfinished seed"
            if args.reuse
            else ("already exists (use --reuse to keep it)")
        )
        print(f"Database {args.name} {why}: dropping and seeding again")
        await pg_admin(
            admin_dsn, f'DROP DATABASE IF EXISTS "{args.name}" WITH (FORCE)', ADMIN_TIMEOUT_S
        )
    t0 = time.perf_counter()
    await pg_admin(admin_dsn, f'CREATE DATABASE "{args.name}"', ADMIN_TIMEOUT_S)
    from designer_bff.db.migrate import upgrade

    await asyncio.to_thread(upgrade, sqlalchemy_url(dsn))
    print(f"Created and migrated {args.name} in {fmt_s(time.perf_counter() - t0)}")
    print(f"Seeding {args.images:,} images over {args.users:,} users ...", flush=True)
    info = await seed(args, dsn)
    info["seed_s"] = round(time.perf_counter() - t0, 1)
    comment = (COMMENT_TAG + json.dumps(info)).replace("'", "''")
    await pg_admin(
        admin_dsn, f"COMMENT ON DATABASE \"{args.name}\" IS '{comment}'", ADMIN_TIMEOUT_S
    )
    report(info, dsn)
    return 0


def report(info: dict[str, Any], dsn: str) -> None:
    safe = make_url(dsn).render_as_string(hide_password=True)
    print()
    print(f"Database      {safe} ({info.get('size')})")
    print(
        f"Images        {info['images']:,} over {info['users']:,} users "
        f"(per user: max {info['max_user_images']:,}, median {info['median_user_images']:,}, "
        f"min {info['min_user_images']:,})"
    )
    print(
        f"              {info['outliers']:,} outliers, {info['failed']:,} failed, "
        f"{info['deleted']:,} soft-deleted; {info['jobs']:,} generation jobs"
    )
    print(
        f"Feedback      {info['feedback']:,} rows; collections {info['collections']:,} "
        f"with {info['collection_images']:,} images"
    )
    print(f"Logins        {info['email'].format(0)} ... {info['email'].format(info['users'] - 1)}")
    print(f"Password      {info['password']}")
    print(f"Seed time     {info['seed_s']} s (create + migrate + load + indexes + analyze)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--images", type=int, default=1_000_000)
    p.add_argument("--users", type=int, default=1_000)
    p.add_argument("--name", default=DEFAULT_NAME, help="database name (default %(default)s)")
    p.add_argument("--database-url", help=f"server URL (default DATABASE_URL or {DEFAULT_SERVER})")
    p.add_argument("--password", default=DEFAULT_PASSWORD)
    p.add_argument("--seed", type=int, default=5, help="random seed (same seed, same data)")
    p.add_argument("--reuse", action="store_true", help="keep an existing seed of this size")
    p.add_argument("--drop", action="store_true", help="remove the database and exit")
    args = p.parse_args(argv)
    if args.users < 1 or args.images < args.users:
        p.error("need --users >= 1 and --images >= --users")
    if not args.name.replace("_", "").isalnum():
        p.error("--name: letters, digits and _ only")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
