"""Builds the providers this deployment offers from its settings: the local renderer
always; each remote vendor's providers only when its key is set."""

from __future__ import annotations

from designer_bff.billing.pricing import PriceTable
from designer_bff.config import Settings
from designer_bff.generation.providers.base import ImageProvider
from designer_bff.generation.providers.local_flats import LocalFlatsProvider
from designer_bff.generation.providers.local_upscale import LocalUpscaleProvider
from designer_bff.generation.providers.openai_images import DallE3Provider, GptImage1Provider
from designer_bff.generation.providers.replicate import (
    Flux11ProProvider,
    FluxSchnellProvider,
    GfpganProvider,
    Imagen4Provider,
    RealEsrganProvider,
)
from designer_bff.generation.providers.stability import (
    StabilityCoreProvider,
    StabilitySD35LargeProvider,
    StabilityUltraProvider,
)


def build_providers(prices: PriceTable, settings: Settings) -> dict[str, ImageProvider]:
    providers: list[ImageProvider] = [LocalFlatsProvider(prices), LocalUpscaleProvider(prices)]
    timeout_s = settings.provider_timeout_s
    poll_s = settings.provider_poll_interval_s
    if settings.openai_api_key:
        base_url = settings.openai_images_base_url or settings.openai_base_url
        for openai_cls in (GptImage1Provider, DallE3Provider):
            providers.append(
                openai_cls(
                    prices,
                    api_key=settings.openai_api_key,
                    base_url=base_url,
                    timeout_s=timeout_s,
                    poll_interval_s=poll_s,
                )
            )
    if settings.replicate_api_token:
        token, replicate_url = settings.replicate_api_token, settings.replicate_base_url
        for model_cls in (Imagen4Provider, FluxSchnellProvider, Flux11ProProvider):
            providers.append(
                model_cls(
                    prices,
                    api_key=token,
                    base_url=replicate_url,
                    timeout_s=timeout_s,
                    poll_interval_s=poll_s,
                )
            )
        for enhancer_cls, version in (
            (RealEsrganProvider, settings.replicate_real_esrgan_version),
            (GfpganProvider, settings.replicate_gfpgan_version),
        ):
            providers.append(
                enhancer_cls(
                    prices,
                    api_key=token,
                    version=version,
                    base_url=replicate_url,
                    timeout_s=timeout_s,
                    poll_interval_s=poll_s,
                )
            )
    if settings.stability_api_key:
        for stability_cls in (
            StabilityCoreProvider,
            StabilityUltraProvider,
            StabilitySD35LargeProvider,
        ):
            providers.append(
                stability_cls(
                    prices,
                    api_key=settings.stability_api_key,
                    base_url=settings.stability_base_url,
                    timeout_s=timeout_s,
                    poll_interval_s=poll_s,
                )
            )
    return {p.name: p for p in providers}
