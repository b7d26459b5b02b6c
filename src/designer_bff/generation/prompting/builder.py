"""The prompt builder (pure, no I/O): a design's garment spec -> what every provider is
asked to draw (the spec with its open attributes filled) and its prompt in the words the
provider's family understands."""

from __future__ import annotations

from designer_bff.garments.spec import GarmentSpec

from . import phrasing
from .fill import fill
from .model import PROMPT_FAMILIES, BuiltPrompt, Preferences, PromptFamily, StyleProfile


def build_prompt(
    spec: GarmentSpec,
    *,
    family: PromptFamily = "flat",
    profile: StyleProfile | None = None,
    preferences: Preferences | None = None,
    seed: int = 0,
    index: int = 0,
) -> BuiltPrompt:
    """Design `index` of a batch sharing `seed`: deterministic per (seed, index), and the
    designs of one batch vary in what the command left open.

    What the designer said wins (an exclusion even over a value also named); exclusions
    are never filled nor said in the prompt, only in the negative prompt; banned values
    are never filled. Building again from the returned `spec` (with the same seed and
    index) fills nothing new: a fallback provider only rewords it."""
    if family not in PROMPT_FAMILIES:
        raise ValueError(f"unknown prompt family {family!r}")
    done = fill(spec, profile=profile, preferences=preferences, seed=seed, index=index)
    params: dict[str, object] = {
        "family": family,
        "seed": int(seed),
        "index": index,
        "stated": done.stated,
        "filled": done.filled,
        "style_rules": done.style_rules,
        "profile": done.profile_used,
        "preferences": done.preferences_used,
    }
    if done.dropped:
        params["dropped"] = done.dropped
    if done.pinned:
        params["pinned"] = done.pinned
    return BuiltPrompt(
        prompt=phrasing.positive(
            family, done.spec, done.stated, (preferences or Preferences()).banned.get("colors", ())
        ),
        negative_prompt=phrasing.negative(family, done.spec),
        params=dict(params),
        spec=done.spec,
    )
