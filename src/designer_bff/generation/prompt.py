"""The prompt builder (pure): a garment spec -> the spec to draw and its provider prompt.

Kept as the import path the rest of the service uses; the builder lives in
`designer_bff.generation.prompting`."""

from __future__ import annotations

from designer_bff.generation.prompting import (
    PROMPT_FAMILIES,
    AttributeWeights,
    BuiltPrompt,
    Preferences,
    PromptFamily,
    StyleProfile,
    build_prompt,
)

__all__ = [
    "PROMPT_FAMILIES",
    "AttributeWeights",
    "BuiltPrompt",
    "Preferences",
    "PromptFamily",
    "StyleProfile",
    "build_prompt",
]
