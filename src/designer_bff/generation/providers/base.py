"""The image provider interface: one module per provider, chosen by name per job."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from designer_bff.billing.pricing import PriceTable
from designer_bff.garments.spec import GarmentSpec

# How a provider wants its prompt phrased: one of the prompt builder's families.
from designer_bff.generation.prompting.model import PromptFamily as PromptFamily


@dataclass(frozen=True)
class DesignRequest:
    spec: GarmentSpec
    prompt: str
    negative_prompt: str | None
    seed: int
    size: int = 1024
    # Provider options the designer chose: {"size": "1024x1024", "quality": "high"}; for
    # enhancement {"scale": 2, "face_fix": False}.
    options: Mapping[str, Any] = field(default_factory=dict)
    # Enhancement: the source design's original bytes.
    source: bytes | None = None


@dataclass
class GeneratedDesign:
    """What a provider made: encoded bytes (`data`, from remote providers) or a decoded
    Pillow image (`image`, from local renderers: saves a decode). `extra` holds other
    renditions worth keeping (the flat's SVG) as kind -> (data, ext, mime)."""

    data: bytes | None
    format: str
    model: str
    seed: int
    cost_usd: Decimal = Decimal(0)
    timings: dict[str, float] = field(default_factory=dict)
    # Every attribute really drawn, the ones chosen included (stored with the design).
    resolved_spec: dict[str, Any] | None = None
    extra: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)
    image: Any = None


class ProviderError(Exception):
    """A provider failed. `transient` errors are retried with backoff; others are final."""

    transient = False
    code = "provider_error"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class TransientProviderError(ProviderError):
    transient = True
    code = "provider_unavailable"


class PermanentProviderError(ProviderError):
    code = "provider_rejected"


class ImageProvider(abc.ABC):
    """One way of making a design. `name` is what jobs, settings and the API call it
    ("openai-gpt-image-1"); `vendor` and `model` are what the price table and the ledger
    call it ("openai", "gpt-image-1")."""

    name: str
    model: str
    vendor: str
    operation: ClassVar[str] = "generate"  # or "enhance"
    prompt_family: ClassVar[PromptFamily] = "sentence"
    # Designs this provider may make at once in one worker process.
    default_concurrency: int = 2

    def __init__(self, prices: PriceTable) -> None:
        self.prices = prices

    def price(self, options: Mapping[str, Any]) -> Decimal:
        """What one call with these options costs (before making it: estimates, budgets)."""
        return self.prices.image(
            self.vendor,
            self.model,
            self.operation,
            size=options.get("size"),
            quality=options.get("quality"),
        )

    @abc.abstractmethod
    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        """Make one design. Raises ProviderError subclasses on failure."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook; most providers hold nothing
        """Release connections."""
