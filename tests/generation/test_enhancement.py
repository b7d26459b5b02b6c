"""Enhancement: the local upscaler (size, sharpness against a plain resize, fidelity,
determinism, its refusals), POST /api/images/{id}/enhance (validation, isolation) and an
enhanced design made end to end by the embedded worker, served and charged like any
design."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image, ImageFilter
from sqlalchemy import select, update

from designer_bff.app import create_app
from designer_bff.auth.models import User
from designer_bff.billing.models import CostEntry
from designer_bff.db.base import utcnow
from designer_bff.designs.models import DesignStatus, DesignType
from designer_bff.designs.models import Image as Design
from designer_bff.garments.spec import GarmentSpec
from designer_bff.generation.enhancement import MAX_PIXELS, MAX_SIDE, enhancement_source
from designer_bff.generation.providers import DesignRequest, PermanentProviderError, local_upscale
from designer_bff.generation.providers.local_upscale import (
    LocalUpscaleProvider,
    decode_source,
    edge_energy,
    upscale,
)
from designer_bff.generation.renderer import render_flat
from designer_bff.services import Services, build_services
from designer_bff.storage import ObjectStore
from tests.conftest import AuthedUser, Backend, make_settings, register_user, running
from tests.generation.helpers import start_job, wait_for_job

# -- the provider ----------------------------------------------------------------------


def _encode(image: Image.Image, fmt: str = "PNG", **kw: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def _flat(size: int = 256, seed: int = 5) -> Image.Image:
    spec = {"garment_type": "dress", "patterns": ["floral"]}
    return render_flat(spec, seed, size).image.convert("RGB")


def _bicubic(image: Image.Image, scale: int) -> Image.Image:
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC)


def _psnr(a: Image.Image, b: Image.Image) -> float:
    d = np.asarray(a, np.float32) - np.asarray(b, np.float32)
    return float(10 * np.log10(255**2 / max(float((d * d).mean()), 1e-9)))


def _noisy_photo(size: int = 160, seed: int = 2) -> Image.Image:
    """Soft-edged discs on a gradient with sensor noise, as a JPEG would hold it."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    img = np.stack([150 + 60 * xx, 120 + 50 * yy, 100 + 40 * xx], -1)
    for _ in range(12):
        cx, cy, r = rng.random(), rng.random(), rng.uniform(0.05, 0.2)
        inside = np.clip((r - np.hypot(xx - cx, yy - cy)) * size, 0, 1)[..., None]
        img = img * (1 - inside) + rng.uniform(0, 255, 3) * inside
    img += rng.normal(0, 3, img.shape)
    jpeg = _encode(Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)), "JPEG", quality=85)
    return Image.open(io.BytesIO(jpeg)).convert("RGB")


@pytest.mark.parametrize("scale", [2, 4])
def test_upscale_multiplies_the_pixels_by_the_square_of_the_scale(scale):
    source = _flat(size=128)
    out = upscale(source, scale)
    assert out.size == (128 * scale, 128 * scale)
    assert out.width * out.height == 128 * 128 * scale * scale  # ×4 and ×16 the pixels
    assert out.mode == "RGB"


@pytest.mark.parametrize("scale", [2, 4])
@pytest.mark.parametrize("kind", ["flat", "photo"])
def test_upscale_is_sharper_than_a_plain_resize_and_stays_faithful(kind, scale):
    source = _flat() if kind == "flat" else _noisy_photo()
    ours, plain = upscale(source, scale), _bicubic(source, scale)
    (g_ours, l_ours), (g_plain, l_plain) = edge_energy(ours), edge_energy(plain)
    # Measured here: flats 1.2-1.4× the gradient and 4-7× the Laplacian variance; the
    # photo-like image 1.15× and 2.5×.
    assert g_ours > 1.08 * g_plain, (g_ours, g_plain)
    assert l_ours > 1.8 * l_plain, (l_ours, l_plain)
    # Sharper without inventing detail: shrunk back, it is the source again.
    back = ours.resize(source.size, Image.Resampling.BOX)
    assert _psnr(back, source) > 35


def test_flat_areas_stay_smooth_noise_is_hardly_amplified(monkeypatch):
    rng = np.random.default_rng(7)
    noisy = np.clip(128 + rng.normal(0, 2, (96, 96, 3)), 0, 255).astype(np.uint8)
    source = Image.fromarray(noisy)
    plain = np.asarray(_bicubic(source, 2), np.float32).std()
    ours = np.asarray(upscale(source, 2), np.float32).std()
    # The same unsharp mask without its edge awareness (full strength everywhere).
    monkeypatch.setattr(local_upscale, "_EDGE_KNEE", 1e-3)
    blind = np.asarray(upscale(source, 2), np.float32).std()
    # Measured: ours 1.12× the plain resize's noise, the blind mask 1.47×.
    assert ours < 1.2 * plain, (ours, plain)
    assert ours - plain < 0.5 * (blind - plain), (ours, blind, plain)


@pytest.mark.parametrize("scale", [2, 4])
def test_edges_get_steeper_without_halos(scale):
    step = np.zeros((64, 64, 3), np.uint8)
    step[:, 32:] = 200
    step[:, :32] = 40
    # A photographed edge: a little soft.
    source = Image.fromarray(step).filter(ImageFilter.GaussianBlur(1.0))
    size = (64 * scale, 64 * scale)
    ours = np.asarray(upscale(source, scale), np.int16)[32 * scale, :, 0]
    lanczos = np.asarray(source.resize(size, Image.Resampling.LANCZOS), np.int16)[32 * scale, :, 0]
    # Steeper (measured: 1.4-1.5× the steepest step of Lanczos) ...
    assert np.abs(np.diff(ours)).max() > 1.25 * np.abs(np.diff(lanczos)).max()
    # ... with no bright or dark rim on either side.
    assert ours.min() >= 40 and ours.max() <= 200, (ours.min(), ours.max())


def test_upscale_is_deterministic_and_strips_do_not_show():
    source = _flat(size=96)
    whole = np.asarray(upscale(source, 2, strip_rows=10_000))
    assert np.array_equal(whole, np.asarray(upscale(source, 2, strip_rows=10_000)))
    # Strips of 7 rows give exactly what one pass gives: no seams.
    assert np.array_equal(whole, np.asarray(upscale(source, 2, strip_rows=7)))
    assert np.array_equal(
        np.asarray(upscale(source, 4, strip_rows=5)), np.asarray(upscale(source, 4))
    )


def test_transparency_is_kept_and_resampled_only():
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[10:30, 10:30] = (200, 30, 30, 255)
    source = Image.fromarray(rgba, "RGBA")
    out = upscale(source, 2)
    assert out.mode == "RGBA" and out.size == (80, 80)
    expected = source.resize((80, 80), Image.Resampling.LANCZOS).getchannel("A")
    assert np.array_equal(np.asarray(out.getchannel("A")), np.asarray(expected))


def test_decode_follows_exif_orientation_and_refuses_what_is_not_an_image():
    wide = Image.new("RGB", (40, 20), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: displayed 20 wide, 40 high
    decoded = decode_source(_encode(wide, "JPEG", exif=exif), 2)
    assert decoded.size == (20, 40)
    with pytest.raises(PermanentProviderError):
        decode_source(b"not an image at all", 2)
    huge = _encode(Image.new("L", (4000, 4000)))  # 16 MP ×16 = 256 MP: refused unread
    with pytest.raises(PermanentProviderError, match="exceed"):
        decode_source(huge, 4)


def _request(source: bytes | None, **options: Any) -> DesignRequest:
    return DesignRequest(
        spec=GarmentSpec(garment_type="dress"),
        prompt="",
        negative_prompt=None,
        seed=11,
        options=options,
        source=source,
    )


async def test_provider_makes_a_priced_png_design(services: Services):
    provider = LocalUpscaleProvider(services.prices)
    assert (provider.name, provider.vendor, provider.model, provider.operation) == (
        "local-upscale",
        "local-upscale",
        "local-upscale-v1",
        "enhance",
    )
    source = _encode(_flat(size=64))
    made = await provider.generate(_request(source, scale=4, face_fix=False))
    assert made.image.size == (256, 256) and made.format == "png" and made.data is None
    assert made.cost_usd == Decimal(0) and made.model == "local-upscale-v1" and made.seed == 11
    assert made.resolved_spec is not None and made.resolved_spec["garment_type"] == "dress"
    assert "upscale_ms" in made.timings


@pytest.mark.parametrize(
    ("source", "options", "message"),
    [
        (None, {"scale": 2}, "needs the design"),
        (b"png", {"scale": 3}, "scale"),
        (b"png", {"scale": True}, "scale"),
        (b"png", {"scale": 2, "face_fix": True}, "faces"),
    ],
)
async def test_provider_refusals_are_permanent(services: Services, source, options, message):
    provider = LocalUpscaleProvider(services.prices)
    data = _encode(_flat(size=32)) if source else None
    with pytest.raises(PermanentProviderError, match=message):
        await provider.generate(_request(data, **options))


class _Store:
    """Just enough of an object store for `enhancement_source`."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    async def get(self, key: str) -> bytes:
        from designer_bff.storage import ObjectNotFound

        if key not in self.objects:
            raise ObjectNotFound(key)
        return self.objects[key]


async def test_enhancement_source_is_the_raster_original_else_the_preview():
    store: Any = _Store({"o.png": b"original", "p.webp": b"preview"})
    variants = {"original": "o.png", "preview": "p.webp", "thumb": "t.webp"}
    photo = Design(format="PNG", variants=variants)
    assert await enhancement_source(store, photo) == b"original"
    drawn = Design(format="svg", variants={**variants, "original": "o.svg", "svg": "o.svg"})
    assert await enhancement_source(store, drawn) == b"preview"
    lost = Design(format="JPEG", variants={"original": "gone.jpg", "preview": "p.webp"})
    with pytest.raises(PermanentProviderError, match="lost"):
        await enhancement_source(store, lost)
    with pytest.raises(PermanentProviderError):
        await enhancement_source(store, Design(format="PNG", variants={}))


# -- the API -----------------------------------------------------------------------------


async def _made_design(client: httpx.AsyncClient, user: AuthedUser) -> dict[str, Any]:
    job = await start_job(client, user, {"garment_type": "dress", "colors": ["red"]})
    done = await wait_for_job(client, user, job["id"])
    assert done["status"] == "completed", done
    return done["images"][0]


async def _insert_design(services: Services, user: AuthedUser, **values: Any) -> uuid.UUID:
    """A design row as the engine would leave it (no files: only validation reads it)."""
    now = utcnow()
    row = Design(
        user_id=uuid.UUID(user.id),
        type=values.pop("type", DesignType.GENERATED),
        status=values.pop("status", DesignStatus.READY),
        spec={"garment_type": "dress"},
        garment_type="dress",
        created_at=now,
        updated_at=now,
        **values,
    )
    async with services.sessionmaker() as db:
        db.add(row)
        await db.commit()
        return row.id


async def _enhance(
    client: httpx.AsyncClient, user: AuthedUser, image_id: Any, **body: Any
) -> httpx.Response:
    return await client.post(f"/api/images/{image_id}/enhance", headers=user.headers, json=body)


async def test_another_designers_design_is_not_found_and_nothing_of_it_shows(
    client: httpx.AsyncClient, two_users: tuple[AuthedUser, AuthedUser]
):
    alice, bob = two_users
    design = await _made_design(client, alice)
    for target in (design["id"], uuid.uuid4()):
        resp = await _enhance(client, bob, target, scale=2)
        assert resp.status_code == 404, resp.text
        assert resp.json() == {
            "error": {"code": "not_found", "message": "No such image.", "details": None}
        }
    # Bob made nothing: no job of his, and Alice's gallery holds only her design.
    jobs = (await client.get("/api/generations", headers=bob.headers)).json()
    assert jobs["items"] == []
    gallery = (await client.get("/api/images", headers=alice.headers)).json()
    assert [i["id"] for i in gallery["items"]] == [design["id"]]


async def test_validation(client: httpx.AsyncClient, services: Services, user: AuthedUser):
    design = await _made_design(client, user)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"scale": 3}, 422, "validation_error"),
        ({"scale": "2"}, 422, "validation_error"),
        ({"scale": 2, "face_fix": "yes"}, 422, "validation_error"),
        ({"scale": 2, "sharpness": 9}, 422, "validation_error"),
        ({"scale": 2, "provider": "local-flats"}, 422, "unknown_provider"),
        ({"scale": 2, "provider": "no-such-thing"}, 422, "unknown_provider"),
        ({"scale": 2, "face_fix": True, "provider": "local-upscale"}, 422, "face_fix_unavailable"),
    ]
    for body, status, code in cases:
        resp = await _enhance(client, user, design["id"], **body)
        assert resp.status_code == status, (body, resp.text)
        assert resp.json()["error"]["code"] == code, (body, resp.text)
    refused = (await _enhance(client, user, design["id"], provider="local-flats")).json()
    assert "local-upscale" in refused["error"]["details"]["available"]

    # Unfinished designs: 409, whatever their state.
    for state in (DesignStatus.PENDING, DesignStatus.CLAIMED, DesignStatus.FAILED):
        pending = await _insert_design(services, user, status=state)
        resp = await _enhance(client, user, pending, scale=2)
        assert resp.status_code == 409, resp.text
        assert resp.json()["error"]["code"] == "not_ready"
        assert resp.json()["error"]["details"] == {"status": state}

    # A design in the trash is gone.
    assert (
        await client.delete(f"/api/images/{design['id']}", headers=user.headers)
    ).status_code == 200
    resp = await _enhance(client, user, design["id"], scale=2)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"


async def test_size_limits(client: httpx.AsyncClient, services: Services, user: AuthedUser):
    # 4096² ×2 is 8192 a side (allowed) but 67 MP (more than the variant maker takes).
    square = await _insert_design(services, user, format="PNG", width=4096, height=4096)
    resp = await _enhance(client, user, square, scale=2)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "too_large"
    assert resp.json()["error"]["details"] == {
        "width": 8192,
        "height": 8192,
        "max_side": MAX_SIDE,
        "max_pixels": MAX_PIXELS,
    }
    # 2500×1000 ×4 is 10000 a side.
    wide = await _insert_design(services, user, format="PNG", width=2500, height=1000)
    resp = await _enhance(client, user, wide, scale=4)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "too_large"
    # A vector original is enhanced from its 1024 px preview, whatever its drawn size.
    drawn = await _insert_design(services, user, format="svg", width=4096, height=4096)
    accepted = await _enhance(client, user, drawn, scale=4)
    assert accepted.status_code == 202, accepted.text
    assert (accepted.json()["width"], accepted.json()["height"]) == (4096, 4096)
    # An enhanced design may be enhanced again while it stays within the limits.
    enhanced = await _insert_design(
        services, user, type=DesignType.ENHANCED, format="PNG", width=2048, height=2048
    )
    again = await _enhance(client, user, enhanced, scale=2)
    assert again.status_code == 202, again.text
    assert again.json()["source_image_id"] == str(enhanced)
    resp = await _enhance(client, user, enhanced, scale=4)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "too_large"
    for queued in (accepted.json(), again.json()):  # these rows have no files to start from
        await client.post(f"/api/generations/{queued['job_id']}/cancel", headers=user.headers)


async def _file(client: httpx.AsyncClient, user: AuthedUser, image_id: str, variant: str):
    resp = await client.get(
        f"/api/images/{image_id}/file", params={"variant": variant}, headers=user.headers
    )
    assert resp.status_code == 200, resp.text
    return resp


async def test_an_enhanced_design_is_made_served_and_kept_apart(
    client: httpx.AsyncClient, two_users: tuple[AuthedUser, AuthedUser]
):
    alice, bob = two_users
    design = await _made_design(client, alice)
    source = await client.get(f"/api/images/{design['id']}", headers=alice.headers)
    # A drawn flat keeps an SVG original: it is enhanced from its raster preview.
    assert source.json()["format"] == "svg"
    preview = Image.open(io.BytesIO((await _file(client, alice, design["id"], "preview")).content))

    resp = await _enhance(client, alice, design["id"], scale=2)
    assert resp.status_code == 202, resp.text
    queued = resp.json()
    assert queued["status"] == "pending" and queued["type"] == "enhanced"
    assert queued["source_image_id"] == design["id"]
    assert (queued["provider"], queued["model"]) == ("local-upscale", "local-upscale-v1")
    assert (queued["scale"], queued["face_fix"]) == (2, False)
    assert (queued["width"], queued["height"]) == (preview.width * 2, preview.height * 2)
    assert Decimal(queued["price_usd"]) == 0
    assert queued["job_url"] == f"/api/generations/{queued['job_id']}"

    job = await wait_for_job(client, alice, queued["job_id"])
    assert job["status"] == "completed", job
    assert job["source"] == "enhance" and job["quantity"] == 1
    assert [i["id"] for i in job["images"]] == [queued["id"]]

    detail = (await client.get(f"/api/images/{queued['id']}", headers=alice.headers)).json()
    assert detail["type"] == "enhanced"
    assert detail["source_image_id"] == design["id"]
    assert (detail["width"], detail["height"]) == (preview.width * 2, preview.height * 2)
    assert detail["provider"] == "local-upscale" and detail["format"] == "PNG"
    assert detail["garment_type"] == "dress"
    assert detail["job"]["source"] == "enhance"
    # The source's own detail names no source.
    assert source.json()["source_image_id"] is None

    original = await _file(client, alice, queued["id"], "original")
    assert original.headers["content-type"] == "image/png"
    big = Image.open(io.BytesIO(original.content)).convert("RGB")
    assert big.size == (preview.width * 2, preview.height * 2)
    # Sharper than the same preview enlarged plainly.
    plain = _bicubic(preview.convert("RGB"), 2)
    # (Measured: ~1.25× the mean gradient; Lanczos alone gives ~1.08×.)
    assert edge_energy(big)[0] > 1.15 * edge_energy(plain)[0]
    for variant in ("preview", "thumb"):
        served = await _file(client, alice, queued["id"], variant)
        assert served.headers["content-type"] == "image/webp"

    # It joins the gallery as an enhanced design; Bob sees none of it.
    enhanced = await client.get("/api/images", params={"type": "enhanced"}, headers=alice.headers)
    assert [i["id"] for i in enhanced.json()["items"]] == [queued["id"]]
    for path in (f"/api/images/{queued['id']}", f"/api/images/{queued['id']}/file"):
        assert (await client.get(path, headers=bob.headers)).status_code == 404
    assert (await _enhance(client, bob, queued["id"], scale=2)).status_code == 404

    # The enhanced design can be enhanced again: ×4 would pass the limits, so it says so.
    again = await _enhance(client, alice, queued["id"], scale=4)
    assert again.status_code == 422 and again.json()["error"]["code"] == "too_large"


# -- charged like any design --------------------------------------------------------------

PRICE = Decimal("0.02")


@pytest.fixture
async def priced(
    backend: Backend, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """An app whose local upscaler costs PRICE (as a deployment may price any provider),
    drawing small flats so the test stays quick."""
    prices = tmp_path / "prices.yaml"
    prices.write_text(f"providers:\n  local-upscale:\n    local-upscale-v1: {{enhance: {PRICE}}}\n")
    settings = make_settings(
        backend.settings.data_dir if backend.name == "embedded" else tmp_path,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix + "enhance:",
        prices_file=prices,
        image_size=256,
        speech_provider="none",
    )
    services = build_services(settings)
    try:
        async with running(create_app(services=services)) as client:
            yield client, services
    finally:
        await services.close()


async def test_an_enhancement_is_charged_once_and_refused_over_budget(priced):
    client, services = priced
    user = await register_user(client, "enhance-costs")
    design = await _made_design(client, user)
    resp = await _enhance(client, user, design["id"], scale=4)
    assert resp.status_code == 202, resp.text
    assert Decimal(resp.json()["price_usd"]) == PRICE
    job = await wait_for_job(client, user, resp.json()["job_id"])
    assert job["status"] == "completed", job
    assert Decimal(job["cost_usd"]) == PRICE

    async with services.sessionmaker() as db:
        entries = (
            await db.scalars(select(CostEntry).where(CostEntry.user_id == uuid.UUID(user.id)))
        ).all()
        made = await db.get(Design, uuid.UUID(resp.json()["id"]))
    assert [(e.provider, e.operation, e.model, e.amount_usd) for e in entries] == [
        ("local-upscale", "enhance", "local-upscale-v1", PRICE)
    ]
    assert entries[0].image_id == made.id
    assert (made.enhancement_cost, made.generation_cost) == (PRICE, 0)
    assert (made.width, made.height) == (1024, 1024)  # the 256 px preview ×4

    async with services.sessionmaker() as db:
        await db.execute(
            update(User)
            .where(User.id == uuid.UUID(user.id))
            .values(monthly_budget_usd=PRICE + Decimal("0.01"))
        )
        await db.commit()
    over = await _enhance(client, user, design["id"], scale=2)
    assert over.status_code == 402, over.text
    assert over.json()["error"]["code"] == "budget_exceeded"
    jobs = (await client.get("/api/generations", headers=user.headers)).json()["items"]
    assert len(jobs) == 2  # the design's job and the one enhancement: nothing queued since


async def test_source_bytes_come_from_the_store(client, services: Services, user: AuthedUser):
    """`enhancement_source` on a real design: the bytes of its stored preview."""
    design = await _made_design(client, user)
    async with services.sessionmaker() as db:
        row = await db.get(Design, uuid.UUID(design["id"]))
    assert row is not None
    store: ObjectStore = services.storage
    data = await enhancement_source(store, row)
    served = await _file(client, user, design["id"], "preview")
    assert data == served.content
