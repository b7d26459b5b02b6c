"""What the prompt builder takes and gives: the designer's profile and learned preferences
(filled in by the portfolio and learning features), and the built prompt."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from designer_bff.garments.spec import ATTRIBUTE_FIELDS, GarmentSpec

# How a provider wants its prompt phrased:
#   flat      the local renderer's technical-flat wording;
#   tags      Stable-Diffusion-style weighted tags, "(denim:1.3)";
#   sentence  natural English sentences (OpenAI, Imagen, Flux).
PromptFamily = Literal["flat", "tags", "sentence"]
PROMPT_FAMILIES: tuple[PromptFamily, ...] = ("flat", "tags", "sentence")

# spec attribute (a GarmentSpec field) -> value -> weight
AttributeWeights = Mapping[str, Mapping[str, float]]


def _check_weights(owner: str, weights: AttributeWeights) -> None:
    for attribute, values in weights.items():
        if attribute not in ATTRIBUTE_FIELDS:
            raise ValueError(f"{owner}: {attribute!r} is not a garment spec attribute")
        for value, weight in values.items():
            if not isinstance(weight, int | float) or not math.isfinite(weight) or weight < 0:
                raise ValueError(f"{owner}: {attribute}.{value} weight {weight!r} is not >= 0")


@dataclass(frozen=True)
class StyleProfile:
    """What a designer's own work is made of (the portfolio's style profile).

    `weights`: per attribute, value -> weight, relative (how much of their work has it).
    Where a command leaves an attribute open, the builder mixes this distribution with the
    style rules' own: `strength` 0 ignores the profile, 1 follows only the profile (always
    inside the style rules, never against what the designer said).

    `pinned`: per attribute, the values the designer pinned: where a command leaves the
    attribute open (and does not exclude them) they are used as if said, every time."""

    weights: AttributeWeights = field(default_factory=dict)
    strength: float = 0.6
    pinned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_weights("StyleProfile", self.weights)
        if not 0.0 <= self.strength <= 1.0:
            raise ValueError("StyleProfile.strength must be within 0 and 1")
        for attribute in self.pinned:
            if attribute not in ATTRIBUTE_FIELDS:
                raise ValueError(f"StyleProfile: {attribute!r} is not a garment spec attribute")

    def is_empty(self) -> bool:
        return not any(self.pinned.values()) and not any(
            any(w > 0 for w in v.values()) for v in self.weights.values()
        )


@dataclass(frozen=True)
class Preferences:
    """What the designer's feedback taught (learned preferences).

    `weights`: per attribute, value -> multiplier on how often the value is filled in
    (1 neutral, 2 twice as often, 0 never; a posterior success rate divided by the
    prior's works). `banned`: per attribute, values the builder never fills in (a value
    the designer names in a command is still theirs to ask for)."""

    weights: AttributeWeights = field(default_factory=dict)
    banned: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Learned from feedback: per attribute, value -> (alpha, beta) of a Beta posterior of
    # "this value makes a standout". Where a command leaves the attribute open, each design
    # samples from them (Thompson sampling, reproducible per seed and index), except a
    # share `explore` of the draws, which follow the other inputs alone.
    posteriors: Mapping[str, Mapping[str, tuple[float, float]]] = field(default_factory=dict)
    explore: float = 0.1

    def __post_init__(self) -> None:
        _check_weights("Preferences", self.weights)
        for attribute in (*self.banned, *self.posteriors):
            if attribute not in ATTRIBUTE_FIELDS:
                raise ValueError(f"Preferences: {attribute!r} is not a garment spec attribute")
        for attribute, values in self.posteriors.items():
            for value, (a, b) in values.items():
                if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
                    raise ValueError(f"Preferences: {attribute}.{value} posterior needs a, b > 0")
        if not 0.0 <= self.explore <= 1.0:
            raise ValueError("Preferences.explore must be within 0 and 1")

    def is_empty(self) -> bool:
        return not self.weights and not any(self.banned.values()) and not self.posteriors


@dataclass(frozen=True)
class BuiltPrompt:
    """A design's prompt, and the spec every provider is asked to draw.

    `spec` is the asked spec with its open attributes filled; `params` (JSON-safe) says
    how: {"family", "seed", "index", "stated": [attributes the designer gave],
    "filled": {attribute: value(s) the builder chose}, "style_rules": [styles whose rules
    bounded the fills], "profile": bool, "preferences": bool, "dropped": {attribute:
    [stated values left out because they are also excluded]}}."""

    prompt: str
    negative_prompt: str | None
    params: dict[str, Any]
    spec: GarmentSpec
