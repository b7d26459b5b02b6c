"""The image provider interface: one module per provider, chosen by name per job."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class DesignRequest:
    spec: dict[str, Any]
    prompt: str
    negative_prompt: str | None
    seed: int
    size: int = 1024


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
    name: str
    model: str
    # Designs this provider may make at once in one worker process.
    default_concurrency: int = 2

    @abc.abstractmethod
    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        """Make one design. Raises ProviderError subclasses on failure."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook; most providers hold nothing
        """Release connections."""
