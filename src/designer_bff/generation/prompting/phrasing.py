"""A filled garment spec in words, per prompt family.

Every attribute of the spec is said in every family (so every attribute the designer
stated is); exclusions are said only in the negative prompt, and the fixed wording around
the attributes never uses an excluded value (no "white background" when white is out).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

from designer_bff.garments.spec import EXCLUDE_FAMILY, GarmentSpec

from .model import PromptFamily

# How strongly a tags prompt weighs what the designer said, and a style they named.
STATED_WEIGHT = 1.3
# What a tags prompt always asks to avoid: not a flat drawing.
TAGS_NEGATIVE = ("photo", "person", "model", "blurry", "low quality", "watermark", "text")

_LENGTH_WORDS = {"knee": "knee length", "floor": "floor length", "ankle": "ankle length"}
_SLEEVE_WORDS = {
    "sleeveless": "sleeveless",
    "strapless": "strapless",
    "spaghetti-strap": "spaghetti straps",
}
_NECKLINE_WORDS = {"turtleneck": "turtleneck", "collared": "collared neckline"}
_UNSAFE_TAG = re.compile(r"[()\[\]{}:<>\\]")


def words(value: str) -> str:
    """A canonical value as written in a prompt ("off-shoulder" -> "off shoulder")."""
    return value if value == "t-shirt" else value.replace("-", " ")


def join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def phrase(attribute: str, value: str) -> str:
    """One attribute value as a phrase that names it ("long" sleeve -> "long sleeves")."""
    text = words(value)
    if attribute == "length":
        return _LENGTH_WORDS.get(value, text)
    if attribute == "sleeve":
        return _SLEEVE_WORDS.get(value, f"{text} sleeves")
    if attribute == "neckline":
        return _NECKLINE_WORDS.get(value, f"{text} neckline")
    if attribute == "patterns":
        return "solid colour" if value == "solid" else f"{text} print"
    if attribute == "palettes":
        return f"{text} palette"
    if attribute == "details":
        return f"{text} detail"
    if attribute == "occasions":
        return f"for {text}"
    if attribute == "seasons":
        return f"{text} collection"
    if attribute == "silhouette":
        return f"{text} silhouette"
    return text


def mentions(text: str, value: str) -> bool:
    """Whether `text` names `value` as words of their own (hyphens read as spaces)."""
    norm = text.lower().replace("-", " ")
    return (
        re.search(rf"(?<![a-z]){re.escape(words(value).lower().replace('-', ' '))}(?![a-z])", norm)
        is not None
    )


def excluded_phrases(spec: GarmentSpec) -> list[str]:
    return [
        phrase(EXCLUDE_FAMILY[key], value)
        for key, values in spec.exclude.non_empty().items()
        for value in values
    ]


def _background(spec: GarmentSpec, avoid: Collection[str]) -> str:
    white = "white" in spec.exclude.colors or "white" in avoid
    return "plain light background" if white else "white background"


def _garment(spec: GarmentSpec) -> str:
    return words(spec.garment_type) if spec.garment_type else "garment"


def _head(spec: GarmentSpec) -> str:
    """ "bohemian maxi tiered dress": style, length, silhouette, garment."""
    parts = [
        join([words(s) for s in spec.styles]),
        _LENGTH_WORDS.get(spec.length, words(spec.length)) if spec.length else "",
        words(spec.silhouette) if spec.silhouette else "",
        _garment(spec),
    ]
    return " ".join(p for p in parts if p)


def _colour_phrase(spec: GarmentSpec) -> str:
    colours = join([words(c) for c in spec.colors])
    solid = spec.patterns[:1] == ["solid"]
    if colours:
        return f"in solid {colours}" if solid else f"in {colours}"
    return "in a solid colour" if solid else ""


def _print_phrases(spec: GarmentSpec) -> list[str]:
    """Prints other than a solid already said with the colours."""
    said_solid = bool(spec.colors) or spec.patterns[:1] == ["solid"]
    return [
        phrase("patterns", p)
        for i, p in enumerate(spec.patterns)
        if not (p == "solid" and (i == 0 and said_solid))
    ]


def _a(text: str) -> str:
    return f"an {text}" if text[:1] in "aeiou" else f"a {text}"


def flat(spec: GarmentSpec, avoid: Collection[str] = ()) -> str:
    phrases = [f"Technical fashion flat sketch of {_a(_head(spec))}"]
    phrases.append(_colour_phrase(spec))
    phrases += [join(_print_phrases(spec))]
    phrases += [f"{join([words(p) for p in spec.palettes])} palette"] if spec.palettes else []
    phrases += [f"made of {join([words(f) for f in spec.fabrics])}"] if spec.fabrics else []
    phrases += [phrase("neckline", spec.neckline)] if spec.neckline else []
    phrases += [phrase("sleeve", spec.sleeve)] if spec.sleeve else []
    phrases += [f"with {join([words(d) for d in spec.details])}"] if spec.details else []
    phrases += [f"for {join([words(o) for o in spec.occasions])}"] if spec.occasions else []
    phrases += [f"{join([words(s) for s in spec.seasons])} collection"] if spec.seasons else []
    phrases.append(f"front view, clean line drawing, flat colour, {_background(spec, avoid)}")
    return ", ".join(p for p in phrases if p)


def sentence(spec: GarmentSpec, avoid: Collection[str] = ()) -> str:
    first = f"A fashion design of {_a(_head(spec))}"
    material = join([words(f) for f in spec.fabrics])
    colour = _colour_phrase(spec)
    if colour or material:
        first += " " + " ".join(p for p in (colour, material) if p)
    sentences = [first + "."]
    prints = _print_phrases(spec)
    if prints:
        sentences.append(f"The fabric has a {join(prints)}.")
    neck = f"a {phrase('neckline', spec.neckline)}" if spec.neckline else ""
    bare = spec.sleeve in ("sleeveless", "strapless")
    sleeve = phrase("sleeve", spec.sleeve) if spec.sleeve else ""
    if bare and neck:
        sentences.append(f"It is {sleeve}, with {neck}.")
    elif bare:
        sentences.append(f"It is {sleeve}.")
    elif neck or sleeve:
        sentences.append(f"It has {join([neck, sleeve])}.")
    if spec.details:
        sentences.append(f"It is finished with {join([words(d) for d in spec.details])} details.")
    context = []
    if spec.palettes:
        context.append(f"in {_a(join([words(p) for p in spec.palettes]))} palette")
    if spec.occasions:
        context.append(f"for {join([words(o) for o in spec.occasions])}")
    if spec.seasons:
        context.append(f"for a {join([words(s) for s in spec.seasons])} collection")
    if context:
        sentences.append(f"It is designed {join(context)}.")
    sentences.append(
        f"Shown as a clean front-view technical flat drawing on a {_background(spec, avoid)}."
    )
    return " ".join(sentences)


def _tag(text: str, weight: float | None) -> str:
    text = _UNSAFE_TAG.sub(" ", text).strip()
    return f"({text}:{weight:g})" if weight is not None and weight != 1 else text


def tags(spec: GarmentSpec, stated: Iterable[str], avoid: Collection[str] = ()) -> str:
    said = set(stated)

    def weight(attribute: str) -> float | None:
        return STATED_WEIGHT if attribute in said else None

    out = ["fashion design", "technical flat sketch", "front view"]
    single = (
        ("garment_type", [spec.garment_type] if spec.garment_type else []),
        ("styles", spec.styles),
        ("length", [spec.length] if spec.length else []),
        ("silhouette", [spec.silhouette] if spec.silhouette else []),
        ("colors", spec.colors),
        ("palettes", spec.palettes),
        ("patterns", spec.patterns),
        ("fabrics", spec.fabrics),
        ("neckline", [spec.neckline] if spec.neckline else []),
        ("sleeve", [spec.sleeve] if spec.sleeve else []),
        ("details", spec.details),
        ("occasions", spec.occasions),
        ("seasons", spec.seasons),
    )
    for attribute, values in single:
        out += [_tag(phrase(attribute, v), weight(attribute)) for v in values]
    out += ["clean linework", "flat colour", _background(spec, avoid)]
    return ", ".join(out)


def positive(
    family: PromptFamily, spec: GarmentSpec, stated: Iterable[str], avoid: Collection[str] = ()
) -> str:
    """The prompt; `avoid`: words the fixed wording must not use (banned colours)."""
    if family == "flat":
        return flat(spec, avoid)
    if family == "tags":
        return tags(spec, stated, avoid)
    if family == "sentence":
        return sentence(spec, avoid)
    raise ValueError(f"unknown prompt family {family!r}")


def negative(family: PromptFamily, spec: GarmentSpec) -> str | None:
    excluded = excluded_phrases(spec)
    if family == "tags":
        return ", ".join([*(_tag(p, STATED_WEIGHT) for p in excluded), *TAGS_NEGATIVE])
    return ", ".join(excluded) if excluded else None
