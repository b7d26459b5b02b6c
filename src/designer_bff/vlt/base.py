"""The analyzer interface: what every VLT implementation takes and gives."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Literal

from designer_bff.garments.spec import GarmentSpec


@dataclass(frozen=True)
class Analysis:
    """One image analysed.

    `record`: the VLT record, in the Visual Descriptor API's shape (image_id,
    garment_type, silhouette, fabric{...}, garment{...}, colors{primary, secondary,
    pattern{type, foreground, background, ratio_foreground, orientation}},
    color_palette[], construction{...}, fit_and_drape, details[], prompt_text,
    confidence{}, version), kept whole. `spec`: the record mapped onto our garment spec
    (canonical taxonomy values only; an attribute the analyzer is unsure of is left
    open). `confidence`: spec attribute -> 0..1 for each attribute it did fill.
    `billable`: a paid call was made (a cache hit or the local analyzer: False)."""

    record: dict[str, Any]
    spec: GarmentSpec
    confidence: dict[str, float]
    provider: str
    model: str | None = None
    prompt_text: str | None = None
    billable: bool = False
    cached: bool = False
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalyzerHealth:
    status: Literal["healthy", "unhealthy"]
    endpoint: str
    detail: str | None = None


class AnalyzerError(Exception):
    """An analysis failed. `transient`: worth trying again later (timeouts, 5xx, 429);
    otherwise final for these bytes (unreadable image, refused input, bad credentials)."""

    code = "analysis_failed"
    transient = False

    def __init__(self, message: str, *, code: str | None = None, transient: bool | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if transient is not None:
            self.transient = transient


class ImageAnalyzer(abc.ABC):
    """Turns image bytes into an `Analysis`. Implementations never store anything."""

    #: provider name kept in vlt_specifications.provider ("local-analyzer", "vlt-api")
    name: str

    @abc.abstractmethod
    async def analyze(self, data: bytes, *, image_id: str | None = None) -> Analysis: ...

    @abc.abstractmethod
    async def health(self) -> AnalyzerHealth: ...

    async def close(self) -> None:
        return None
