"""A VLT record (the Visual Descriptor API's shape) mapped onto our garment spec.

Only canonical taxonomy values reach the spec: every word goes through the taxonomy's
synonym and typo resolution (`Taxonomy.canonicalize`, then a phrase scan with
`Taxonomy.match_at` for longer wording such as "A-Line Midi Dress"). What does not
resolve is dropped and the attribute left open: a wrong value would be learnt from,
an open one is merely not known. Details are the exception: the spec keeps them as
short free text when no canonical detail matches.

    spec, confidence = record_to_spec(record)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from designer_bff.garments.spec import SCALAR_FIELDS, GarmentSpec
from designer_bff.garments.taxonomy import Attribute, Taxonomy, get_taxonomy, normalize_phrase
from designer_bff.generation.renderer.palette import COLORS, RGB, distance

# Confidence of a filled attribute the record gives none for (nor an "overall" one).
DEFAULT_CONFIDENCE = 0.7
MAX_COLORS = 5
MAX_DETAILS = 5
# Free-text details longer than this are sentences, not details: dropped.
MAX_DETAIL_CHARS = 40
# How far (RGB distance) a hex-only palette colour may be from the nearest named colour
# and still be called by its name; farther, it is not any colour we name, so it is dropped.
MAX_HEX_DISTANCE = 60.0
# Scanning a long text for values of a family reads this much of it, at most.
MAX_SCAN_CHARS = 200

# Spec attribute -> the record's confidence keys that speak for it, most specific first.
CONFIDENCE_KEYS: dict[str, tuple[str, ...]] = {
    "garment_type": ("garment_type", "garment"),
    "silhouette": ("silhouette", "fit_and_drape", "fit"),
    "length": ("length",),
    "neckline": ("neckline", "garment.top_style", "top_style"),
    "sleeve": ("sleeve", "sleeves", "garment.top_sleeve", "top_sleeve"),
    "colors": ("colors", "colors.primary", "primary_color", "color", "color_palette"),
    "palettes": ("palettes", "color_palette", "colors"),
    "patterns": ("patterns", "pattern", "colors.pattern", "colors.pattern.type", "pattern_type"),
    "fabrics": ("fabrics", "fabric", "fabric.type", "fabric_type", "material"),
    "details": ("details", "construction"),
}

# Details the taxonomy holds for edit commands ("make it longer"): relative to another
# design, so never something an image shows.
RELATIVE_DETAILS = frozenset(
    {"shorter", "longer", "looser", "tighter", "brighter", "darker", "simpler", "bolder"}
)

_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def record_to_spec(record: Mapping[str, Any]) -> tuple[GarmentSpec, dict[str, float]]:
    """The spec a VLT record describes, and a 0..1 confidence for each attribute filled.

    Never raises on a messy record: wrong types and unknown values are skipped."""
    tax = get_taxonomy()
    spec = GarmentSpec()
    if not isinstance(record, Mapping):
        return spec, {}
    fabric = _mapping(record.get("fabric"))
    garment = _mapping(record.get("garment"))
    colors = _mapping(record.get("colors"))
    pattern = _mapping(colors.get("pattern"))
    construction = _mapping(record.get("construction"))

    # The garment type's wording often carries more ("Midi Dress", "Wide-Leg Trousers"):
    # those extras fill their attributes unless the record names them itself.
    garment_type = _text(record.get("garment_type"))
    found = _find(tax, "garment_type", garment_type)
    extras: list[Attribute] = []
    if found is not None:
        spec.garment_type = found
        extras = [a for a in _scan(tax, garment_type) if a.family != "garment_type"]

    _set_scalar(spec, tax, "silhouette", record.get("silhouette"))
    _set_scalar(spec, tax, "length", record.get("length"))
    _set_scalar(spec, tax, "neckline", record.get("neckline"))
    _set_scalar(spec, tax, "neckline", garment.get("top_style"))
    _set_scalar(spec, tax, "sleeve", record.get("sleeve"))
    _set_scalar(spec, tax, "sleeve", garment.get("top_sleeve"))
    for attribute in extras:
        if attribute.family in SCALAR_FIELDS:
            spec.set_attribute(attribute.family, attribute.value, overwrite=False)
        elif attribute.family in ("fabrics", "patterns", "seasons", "details"):
            spec.set_attribute(attribute.family, attribute.value)

    _add(spec, tax, "fabrics", fabric.get("type"))
    _add(spec, tax, "patterns", pattern.get("type"))
    _map_colors(spec, tax, colors, pattern, record.get("color_palette"))
    _map_details(spec, tax, record.get("details"), construction)
    return spec, _confidence(spec, record.get("confidence"))


# --- values -------------------------------------------------------------------------


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:MAX_SCAN_CHARS] if text else None


def _scan(tax: Taxonomy, text: str | None) -> list[Attribute]:
    """Every taxonomy value named in `text`, in order (each phrase's default reading),
    typos corrected word by word as the command parser does."""
    if not text:
        return []
    tokens = [tax.correct(t) or t for t in normalize_phrase(text).split(" ") if t]
    found: list[Attribute] = []
    i = 0
    while i < len(tokens):
        match = tax.match_at(tokens, i)
        if match is None:
            i += 1
            continue
        found.extend(match.attributes)
        i += match.length
    return found


def _find(tax: Taxonomy, family: str, value: object) -> str | None:
    """The canonical `family` value `value` names: the whole text first ("Navy Blue"),
    else the first one a phrase in it names ("Linen Blend" -> linen)."""
    text = _text(value)
    if text is None:
        return None
    whole = tax.canonicalize(family, text)
    if whole is not None:
        return whole
    tokens = [tax.correct(t) or t for t in normalize_phrase(text).split(" ") if t]
    i = 0
    while i < len(tokens):
        match = tax.match_at(tokens, i)
        if match is None:
            i += 1
            continue
        # Any reading of the phrase will do: the field already says which family it is.
        for reading in match.readings:
            for attribute in reading:
                if attribute.family == family:
                    return attribute.value
        i += match.length
    return None


def _set_scalar(spec: GarmentSpec, tax: Taxonomy, family: str, value: object) -> None:
    if getattr(spec, family) is not None:
        return  # the first field naming it wins (record order = most specific first)
    found = _find(tax, family, value)
    if found is not None:
        setattr(spec, family, found)


def _add(spec: GarmentSpec, tax: Taxonomy, family: str, value: object) -> None:
    found = _find(tax, family, value)
    if found is not None:
        spec.set_attribute(family, found)


def nearest_color(hex_value: str) -> str | None:
    """The taxonomy colour a hex code is close enough to be called ("#1f2a55" -> navy),
    or None when it is near none of them (or not a hex code)."""
    match = _HEX.match(hex_value.strip())
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    rgb: RGB = (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    name, rgb_named = min(COLORS.items(), key=lambda item: distance(rgb, item[1]))
    if distance(rgb, rgb_named) > MAX_HEX_DISTANCE:
        return None
    return name if get_taxonomy().is_canonical("colors", name) else None


def _color_of(tax: Taxonomy, value: object) -> tuple[str, str] | None:
    """(family, value) for one colour mention: a string (name or hex) or a palette entry
    {name, hex, ...}. A name beats the hex; a palette name ("earth tones") is a palette."""
    if isinstance(value, Mapping):
        for key in ("name", "color", "label"):
            found = _color_of(tax, value.get(key))
            if found is not None:
                return found
        hex_value = value.get("hex")
        if isinstance(hex_value, str):
            named = nearest_color(hex_value)
            return ("colors", named) if named else None
        return None
    text = _text(value)
    if text is None:
        return None
    if _HEX.match(text):
        named = nearest_color(text)
        return ("colors", named) if named else None
    for family in ("colors", "palettes"):
        name = _find(tax, family, text)
        if name is not None:
            return family, name
    return None


def _map_colors(
    spec: GarmentSpec,
    tax: Taxonomy,
    colors: Mapping[str, Any],
    pattern: Mapping[str, Any],
    palette: object,
) -> None:
    mentions: list[object] = [
        colors.get("primary"),
        colors.get("secondary"),
        pattern.get("foreground"),
        pattern.get("background"),
    ]
    if isinstance(palette, list):
        mentions.extend(palette)
    for mention in mentions:
        found = _color_of(tax, mention)
        if found is None:
            continue
        family, value = found
        if family == "colors" and len(spec.colors) >= MAX_COLORS:
            continue
        spec.set_attribute(family, value)


def _map_details(
    spec: GarmentSpec, tax: Taxonomy, details: object, construction: Mapping[str, Any]
) -> None:
    """Canonical details where the words name one ("Patch pockets" -> pocket), else the
    detail as short free text ("contrast topstitching"); a closure adds its canonical
    detail only ("Back zipper" -> zipper), as construction notes are not design details."""
    items: list[str] = []
    for detail in details if isinstance(details, list) else []:
        text = _text(detail)
        if text is None:
            continue
        canonical = _find(tax, "details", text)
        if canonical in RELATIVE_DETAILS:
            continue
        if canonical is not None:
            items.append(canonical)
        elif len(text) <= MAX_DETAIL_CHARS:
            items.append(text.lower())
    closure = _find(tax, "details", construction.get("closure"))
    if closure is not None and closure not in RELATIVE_DETAILS:
        items.append(closure)
    for item in items:
        if len(spec.details) >= MAX_DETAILS:
            break
        spec.set_attribute("details", item)


# --- confidence ---------------------------------------------------------------------


def _flatten(value: object, prefix: str = "") -> Iterable[tuple[str, object]]:
    """Confidence may be flat ({"fabric": 0.8}) or nested ({"fabric": {"type": 0.8}}):
    both read as dotted keys, a nested block also under its own name when it has "score"."""
    if not isinstance(value, Mapping):
        return
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            if "score" in item:
                yield name, item["score"]
            yield from _flatten(item, f"{name}.")
        else:
            yield name, item


def _score(value: object) -> float | None:
    # Booleans are ints in Python, but `true` is no confidence; out-of-range is not guessed at.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    score = float(value)
    return score if math.isfinite(score) and 0.0 <= score <= 1.0 else None


def _confidence(spec: GarmentSpec, raw: object) -> dict[str, float]:
    scores: dict[str, float] = {}
    for key, value in _flatten(raw):
        score = _score(value)
        if score is not None:
            scores[key.lower()] = score
    fallback = scores.get("overall", DEFAULT_CONFIDENCE)
    confidence: dict[str, float] = {}
    for name, _ in spec.attribute_items():
        if name in confidence:
            continue
        keys = CONFIDENCE_KEYS.get(name, (name,))
        confidence[name] = next((scores[k] for k in keys if k in scores), fallback)
    return confidence
