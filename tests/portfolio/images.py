"""Garment pictures drawn for the tests: a dress shape on a studio-white background, solid
or striped, in taxonomy colours, each slightly different so no two are the same bytes."""

from __future__ import annotations

import io
import zipfile

from PIL import Image, ImageDraw

NAVY = (31, 42, 84)
WHITE = (250, 250, 250)
BURGUNDY = (110, 22, 42)


def dress(
    fill: tuple[int, int, int],
    stripes: tuple[int, int, int] | None = None,
    *,
    variant: int = 0,
    size: tuple[int, int] = (320, 400),
    fmt: str = "PNG",
) -> bytes:
    w, h = size
    img = Image.new("RGB", size, WHITE)
    body = Image.new("RGB", size, fill)
    if stripes is not None:
        d = ImageDraw.Draw(body)
        for x in range(0, w, 24):
            d.rectangle([x, 0, x + 9, h], fill=stripes)
    mask = Image.new("L", size, 0)
    m = ImageDraw.Draw(mask)
    shift = variant % 7
    # bodice, waist, flared skirt
    m.polygon(
        [
            (w * 0.38 + shift, h * 0.06),
            (w * 0.62 - shift, h * 0.06),
            (w * 0.66, h * 0.38),
            (w * 0.86 + shift, h * 0.94),
            (w * 0.14 - shift, h * 0.94),
            (w * 0.34, h * 0.38),
        ],
        fill=255,
    )
    img.paste(body, (0, 0), mask)
    # A pixel of its own: every picture is different bytes.
    img.putpixel((variant % w, h - 1), (variant % 256, 250, 250))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()
