"""The local analyzer on pictures whose content we know: renderer flats and garments
drawn here with Pillow, plus refused input (corrupt bytes, decompression bombs)."""

from __future__ import annotations

import io
import math
import struct
import time
import zlib
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageDraw

from designer_bff.generation.renderer import BACKGROUND, render_flat
from designer_bff.generation.renderer.palette import COLORS
from designer_bff.vlt.base import AnalyzerError
from designer_bff.vlt.local import LocalAnalyzer
from tests.portfolio.images import BURGUNDY, WHITE, dress

RGB = tuple[int, int, int]
INK = (34, 34, 38)
SIZE = 400


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _fabric(paint: Callable[[ImageDraw.ImageDraw], None], ground: RGB) -> Image.Image:
    img = Image.new("RGB", (SIZE, SIZE), ground)
    paint(ImageDraw.Draw(img))
    return img


def _on_backdrop(fabric: Image.Image, outline: list[tuple[float, float]]) -> bytes:
    """The fabric cut to a garment outline, drawn with an ink edge on the renderer's
    light backdrop (a flat drawing, as the renderer and many portfolios make them)."""
    img = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    img.paste(fabric, (0, 0), mask)
    ImageDraw.Draw(img).line([*outline, outline[0]], fill=INK, width=2)
    return _png(img)


# A strappy A-line dress: straps, a bust wider than the waist, a flared skirt.
DRESS = [
    (150.0, 30.0), (166.0, 30.0), (172.0, 110.0), (228.0, 110.0), (234.0, 30.0),
    (250.0, 30.0), (272.0, 110.0), (256.0, 175.0), (320.0, 370.0), (80.0, 370.0),
    (144.0, 175.0), (128.0, 110.0),
]  # fmt: skip
# Trousers: a waistband and two legs with a gap between them.
PANTS = [
    (140.0, 30.0), (260.0, 30.0), (270.0, 380.0), (212.0, 380.0),
    (200.0, 150.0), (188.0, 380.0), (130.0, 380.0),
]  # fmt: skip


def _stripes(vertical: bool, a: RGB, b: RGB, period: int = 24) -> Image.Image:
    def paint(d: ImageDraw.ImageDraw) -> None:
        for k in range(0, SIZE, period):
            box = (
                (k, 0, k + period // 2 - 1, SIZE) if vertical else (0, k, SIZE, k + period // 2 - 1)
            )
            d.rectangle(box, fill=b)

    return _fabric(paint, a)


@pytest.fixture(scope="module")
def analyzer() -> LocalAnalyzer:
    return LocalAnalyzer()


async def test_navy_solid_renderer_dress(analyzer: LocalAnalyzer) -> None:
    flat = render_flat(
        {"garment_type": "dress", "colors": ["navy"], "patterns": ["solid"], "fabrics": ["cotton"]},
        seed=3,
        size=512,
    )
    a = await analyzer.analyze(flat.png, image_id="img-1")
    assert a.spec.colors[0] == "navy"
    assert a.spec.patterns == ["solid"]
    assert a.record["colors"]["primary"] == "navy"
    assert a.record["colors"]["pattern"]["type"] == "solid"
    assert a.record["image_id"] == "img-1"
    assert a.record["analyzer"] == "local"
    # The backdrop is seen and named apart from the garment.
    assert a.record["background"] == "#f8f7f4"
    assert a.provider == "local-analyzer" and a.model is None and a.billable is False
    assert set(a.confidence) <= {"colors", "patterns", "garment_type", "silhouette"}
    assert {"colors", "patterns"} <= set(a.confidence)
    assert all(0.0 <= v <= 1.0 for v in a.confidence.values())
    # What pixels cannot show stays null.
    assert a.record["fabric"] == {"type": None, "texture": None, "weight": None, "finish": None}
    assert a.spec.fabrics == []
    assert a.prompt_text and "navy" in a.prompt_text.lower()


async def test_vertical_red_and_white_stripes(analyzer: LocalAnalyzer) -> None:
    data = _on_backdrop(_stripes(True, COLORS["red"], COLORS["white"]), DRESS)
    a = await analyzer.analyze(data)
    assert a.spec.patterns == ["striped"]
    assert a.record["colors"]["pattern"]["orientation"] == "vertical"
    assert set(a.spec.colors[:2]) == {"red", "white"}
    assert a.record["colors"]["pattern"]["foreground"] in ("red", "white")


async def test_horizontal_stripes(analyzer: LocalAnalyzer) -> None:
    data = _on_backdrop(_stripes(False, COLORS["navy"], COLORS["ivory"], period=30), DRESS)
    a = await analyzer.analyze(data)
    assert a.spec.patterns == ["striped"]
    assert a.record["colors"]["pattern"]["orientation"] == "horizontal"


async def test_gingham_check(analyzer: LocalAnalyzer) -> None:
    light, dark = np.array(COLORS["white"], float), np.array(COLORS["cobalt"], float)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    cover = (((xx % 20) < 10).astype(float) + ((yy % 20) < 10).astype(float)) / 2
    arr = (light * (1 - cover[..., None]) + dark * cover[..., None]).astype(np.uint8)
    a = await analyzer.analyze(_on_backdrop(Image.fromarray(arr), DRESS))
    assert a.spec.patterns and a.spec.patterns[0] in ("check", "gingham", "plaid")
    assert a.record["colors"]["pattern"]["orientation"] is None
    # The half-tone crossings are a weave's mix, not a third colour.
    assert set(a.spec.colors) <= {"white", "cobalt"}


async def test_polka_dots(analyzer: LocalAnalyzer) -> None:
    def paint(d: ImageDraw.ImageDraw) -> None:
        for row, y in enumerate(range(0, SIZE + 30, 26)):
            for x in range(-13 * (row % 2), SIZE + 30, 30):
                d.ellipse((x - 6, y - 6, x + 6, y + 6), fill=COLORS["white"])

    a = await analyzer.analyze(_on_backdrop(_fabric(paint, COLORS["black"]), DRESS))
    assert a.spec.patterns == ["polka-dot"]
    assert a.spec.colors[0] == "black"


async def test_shapes_name_dress_and_trousers(analyzer: LocalAnalyzer) -> None:
    plain = Image.new("RGB", (SIZE, SIZE), COLORS["emerald"])
    a_dress = await analyzer.analyze(_on_backdrop(plain, DRESS))
    assert a_dress.spec.garment_type == "dress"
    assert a_dress.spec.colors[0] == "emerald"
    a_pants = await analyzer.analyze(_on_backdrop(plain, PANTS))
    assert a_pants.spec.garment_type == "pants"
    assert a_pants.record["garment"]["bottom"] == "trousers"
    assert 0.5 <= a_pants.confidence["garment_type"] <= 1.0


async def test_background_is_not_a_garment_colour(analyzer: LocalAnalyzer) -> None:
    a = await analyzer.analyze(dress(BURGUNDY))
    assert a.spec.colors[0] == "burgundy"
    names = {p["name"] for p in a.record["color_palette"]}
    assert "white" not in names and "ivory" not in names
    assert a.record["background"] == "#{:02x}{:02x}{:02x}".format(*WHITE)
    assert abs(sum(p["proportion"] for p in a.record["color_palette"]) - 1.0) < 0.05


async def test_photo_like_noise_gets_no_garment_type(analyzer: LocalAnalyzer) -> None:
    rng = np.random.default_rng(7)
    coarse = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    # Smooth colour fields with grain: no backdrop, no outline, no repeat.
    img = Image.fromarray(coarse).resize((SIZE, SIZE), Image.Resampling.BICUBIC)
    grain = rng.normal(0, 12, (SIZE, SIZE, 3))
    arr = np.clip(np.asarray(img, dtype=float) + grain, 0, 255).astype(np.uint8)
    a = await analyzer.analyze(_png(Image.fromarray(arr)))
    assert a.spec.garment_type is None and a.record["garment_type"] is None
    assert a.spec.silhouette is None and a.record["silhouette"] is None
    assert "garment_type" not in a.confidence
    assert a.spec.patterns in ([], ["solid"]) or a.spec.patterns[0] not in ("striped", "check")
    assert a.record["background"] is None


async def test_corrupt_bytes_are_refused(analyzer: LocalAnalyzer) -> None:
    with pytest.raises(AnalyzerError) as err:
        await analyzer.analyze(b"this is not an image at all")
    assert err.value.code == "invalid_image" and err.value.transient is False
    truncated = dress(BURGUNDY)[:200]
    with pytest.raises(AnalyzerError) as err2:
        await analyzer.analyze(truncated)
    assert err2.value.code == "invalid_image"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


async def test_decompression_bomb_is_refused_from_the_header(analyzer: LocalAnalyzer) -> None:
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    # A valid header and a tiny, bogus data chunk: decoding would fail differently.
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"\x00" * 16)
    t0 = time.perf_counter()
    with pytest.raises(AnalyzerError) as err:
        await analyzer.analyze(data)
    assert err.value.code == "image_too_large"
    assert time.perf_counter() - t0 < 1.0


async def test_transparent_cutout_uses_alpha(analyzer: LocalAnalyzer) -> None:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    ImageDraw.Draw(img).polygon(DRESS, fill=(*COLORS["mustard"], 255))
    a = await analyzer.analyze(_png(img))
    assert a.spec.colors == ["mustard"]
    assert a.record["background"] is None
    assert a.spec.garment_type == "dress"


async def test_health(analyzer: LocalAnalyzer) -> None:
    h = await analyzer.health()
    assert h.status == "healthy"
    assert h.endpoint == "local://analyzer"


def test_diagonal_stripes_orientation() -> None:
    # Synchronous path used by the worker thread, on a diagonal stripe field.
    from designer_bff.vlt.local import analyze_image

    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    t = math.radians(45)
    band = ((xx * math.cos(t) + yy * math.sin(t)) % 28) < 12
    arr = np.where(band[..., None], COLORS["yellow"], COLORS["teal"]).astype(np.uint8)
    a = analyze_image(_png(Image.fromarray(arr)))
    assert a.spec.patterns == ["striped"]
    assert a.record["colors"]["pattern"]["orientation"] == "diagonal"
    assert a.spec.garment_type is None  # a swatch fills the frame: no garment to name
