"""Named fashion colours and palettes as RGB, plus small colour helpers.

The names are the canonical colour and palette values of the fashion taxonomy (checked
when the render weights load, see `.weights`; synonyms such as "gray" are resolved by
the taxonomy before a name gets here). The RGB values are chosen to read as the fabric
colour a designer means (a "navy" that is not black, a "camel" that is not brown), not
as CSS keywords. A palette here may hold more colours than the taxonomy's
`palette_colors` (never fewer): these are the colours a design in it is drawn from.
"""

from __future__ import annotations

RGB = tuple[int, int, int]

COLORS: dict[str, RGB] = {
    "black": (30, 30, 33),
    "white": (255, 255, 255),
    "ivory": (255, 251, 234),
    "cream": (243, 231, 200),
    "beige": (222, 203, 170),
    "camel": (193, 150, 98),
    "tan": (208, 176, 132),
    "brown": (112, 74, 48),
    "rust": (176, 72, 30),
    "terracotta": (201, 101, 74),
    "burgundy": (122, 20, 45),
    "maroon": (104, 28, 38),
    "red": (200, 32, 46),
    "coral": (246, 122, 98),
    "pink": (240, 155, 182),
    "blush": (236, 196, 188),
    "fuchsia": (214, 38, 138),
    "lavender": (190, 172, 226),
    "lilac": (199, 160, 203),
    "purple": (108, 58, 150),
    "plum": (112, 46, 86),
    "navy": (30, 42, 84),
    "blue": (44, 92, 170),
    "cobalt": (18, 71, 186),
    "sky-blue": (140, 196, 232),
    "teal": (0, 118, 122),
    "turquoise": (48, 196, 196),
    "mint": (168, 226, 196),
    "sage": (160, 176, 140),
    "olive": (112, 114, 52),
    "emerald": (16, 136, 88),
    "green": (52, 140, 64),
    "khaki": (186, 174, 128),
    "mustard": (214, 166, 40),
    "yellow": (246, 214, 62),
    "gold": (206, 164, 62),
    "orange": (238, 122, 36),
    "charcoal": (62, 64, 70),
    "grey": (150, 150, 152),
    "silver": (196, 198, 204),
}

PALETTES: dict[str, tuple[str, ...]] = {
    "earth-tones": (
        "brown",
        "rust",
        "terracotta",
        "olive",
        "camel",
        "tan",
        "khaki",
        "mustard",
        "sage",
        "beige",
    ),
    "pastels": ("blush", "pink", "lavender", "lilac", "mint", "sky-blue", "cream", "yellow"),
    "neutrals": ("black", "white", "ivory", "cream", "beige", "camel", "tan", "grey", "charcoal"),
    "jewel-tones": ("emerald", "cobalt", "purple", "plum", "burgundy", "teal", "fuchsia", "navy"),
    "monochrome": ("black", "white", "grey", "charcoal", "silver"),
}

INK: RGB = (34, 34, 38)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from a (t=0) to b (t=1)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def lighten(c: RGB, t: float) -> RGB:
    return mix(c, (255, 255, 255), t)


def darken(c: RGB, t: float) -> RGB:
    return mix(c, (0, 0, 0), t)


def luminance(c: RGB) -> float:
    """Perceived brightness in 0..1 (Rec. 601 weights are plenty for contrast choices)."""
    return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255.0


def distance(a: RGB, b: RGB) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2) ** 0.5)


def hex_color(c: RGB) -> str:
    return f"#{c[0]:02x}{c[1]:02x}{c[2]:02x}"


def detail_ink(base: RGB) -> RGB:
    """Colour for seams and stitching drawn on a fabric: dark on light, light on dark."""
    if luminance(base) < 0.3:
        return lighten(base, 0.5)
    return darken(base, 0.62)
