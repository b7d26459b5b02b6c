"""`local-flats`: parametric technical flats drawn from the garment spec, offline."""

from __future__ import annotations

import asyncio
from typing import Any

from designer_bff.generation.providers.base import (
    DesignRequest,
    GeneratedDesign,
    ImageProvider,
    PermanentProviderError,
)
from designer_bff.generation.renderer import render_flat


class LocalFlatsProvider(ImageProvider):
    name = "local-flats"
    model = "local-flats-v1"
    vendor = "local-flats"
    prompt_family = "flat"  # its prompt is the technical-flat wording; it draws the spec
    default_concurrency = 2

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        try:
            # CPU-bound drawing runs in a thread so the event loop keeps serving.
            flat = await asyncio.to_thread(render_flat, request.spec, request.seed, request.size)
        except (ValueError, TypeError) as exc:
            raise PermanentProviderError(f"cannot draw this spec: {exc}") from exc
        timings: dict[str, Any] = dict(getattr(flat, "timings", {}) or {})
        return GeneratedDesign(
            data=None,
            image=flat.image,
            format="png",
            model=self.model,
            seed=request.seed,
            timings={k: float(v) for k, v in timings.items() if isinstance(v, int | float)},
            resolved_spec=dict(flat.resolved_spec),
            extra={"svg": (flat.svg.encode(), "svg", "image/svg+xml")},
        )
