"""The prompt builder: fills what a command left open (style rules, the designer's
profile and preferences, variety across a batch) and phrases the result per provider
family. See `builder.build_prompt`."""

from .builder import build_prompt
from .model import (
    PROMPT_FAMILIES,
    AttributeWeights,
    BuiltPrompt,
    Preferences,
    PromptFamily,
    StyleProfile,
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
