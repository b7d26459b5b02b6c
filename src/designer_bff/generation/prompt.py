"""The prompt builder (pure): a garment spec -> a provider prompt and negative prompt.

Attribute order follows how designers describe a garment: style, colour, fabric, shape,
then details; exclusions become the negative prompt."""

from __future__ import annotations

from typing import Any


def _words(value: str) -> str:
    return value.replace("-", " ")


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _list(spec: dict[str, Any], key: str) -> list[str]:
    value = spec.get(key) or []
    return [_words(str(v)) for v in value] if isinstance(value, list) else [_words(str(value))]


def build_prompt(spec: dict[str, Any]) -> tuple[str, str | None]:
    garment = _words(str(spec.get("garment_type") or "garment"))
    head = " ".join(
        part
        for part in (
            _join(_list(spec, "styles")),
            _words(str(spec.get("length") or "")),
            _words(str(spec.get("silhouette") or "")),
            garment,
        )
        if part
    )
    phrases = [f"Technical fashion flat sketch of a {head}"]
    colors = _list(spec, "colors")
    if colors:
        phrases.append(f"in {_join(colors)}")
    if spec.get("palettes"):
        phrases.append(f"{_join(_list(spec, 'palettes'))} palette")
    patterns = [p for p in _list(spec, "patterns") if p != "solid"]
    if patterns:
        phrases.append(f"{_join(patterns)} print")
    if spec.get("fabrics"):
        phrases.append(f"made of {_join(_list(spec, 'fabrics'))}")
    if spec.get("neckline"):
        phrases.append(f"{_words(str(spec['neckline']))} neckline")
    if spec.get("sleeve"):
        phrases.append(f"{_words(str(spec['sleeve']))} sleeves")
    if spec.get("details"):
        phrases.append(f"with {_join(_list(spec, 'details'))}")
    if spec.get("occasions"):
        phrases.append(f"for {_join(_list(spec, 'occasions'))}")
    if spec.get("seasons"):
        phrases.append(f"{_join(_list(spec, 'seasons'))} collection")
    phrases.append("front view, clean line drawing, flat colour, white background")
    prompt = ", ".join(phrases)

    exclude = spec.get("exclude") or {}
    negatives = [
        _words(str(v)) for values in exclude.values() if isinstance(values, list) for v in values
    ]
    negative = ", ".join(negatives) if negatives else None
    return prompt, negative
