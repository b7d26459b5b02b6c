"""build_providers: the local renderer always, each vendor's providers when its key is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from designer_bff.billing.pricing import PriceTable
from designer_bff.config import Settings
from designer_bff.generation.providers.openai_images import DallE3Provider
from designer_bff.generation.providers.registry import build_providers
from designer_bff.generation.providers.replicate import RealEsrganProvider, ReplicateEnhancer
from designer_bff.media.variants import make_variants
from tests.generation.providers.fakes import (
    FakeOpenAI,
    FakeReplicate,
    FakeStability,
    design_request,
    make_png,
)

OPENAI = {"openai-gpt-image-1", "openai-dall-e-3"}
REPLICATE = {
    "replicate-imagen-4",
    "replicate-flux-schnell",
    "replicate-flux-1.1-pro",
    "replicate-real-esrgan",
    "replicate-gfpgan",
}
STABILITY = {"stability-core", "stability-ultra", "stability-sd3.5-large"}

# Offline providers, always offered (they draw or upscale without a network).
LOCAL = {"local-flats", "local-upscale"}


def settings(tmp_path: Path, **kw: Any) -> Settings:
    keys = {"openai_api_key": None, "replicate_api_token": None, "stability_api_key": None}
    return Settings(_env_file=None, data_dir=tmp_path, **{**keys, **kw})  # type: ignore[call-arg]


def test_only_local_without_keys(tmp_path: Path, prices: PriceTable) -> None:
    assert set(build_providers(prices, settings(tmp_path))) == LOCAL


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"openai_api_key": "sk-1"}, OPENAI),
        ({"replicate_api_token": "r8_1"}, REPLICATE),
        ({"stability_api_key": "sk-2"}, STABILITY),
        (
            {"openai_api_key": "a", "replicate_api_token": "b", "stability_api_key": "c"},
            OPENAI | REPLICATE | STABILITY,
        ),
    ],
)
async def test_each_vendor_with_its_key(
    tmp_path: Path, prices: PriceTable, keys: dict[str, str], expected: set[str]
) -> None:
    providers = build_providers(prices, settings(tmp_path, **keys))
    try:
        assert set(providers) == LOCAL | expected
        for name, provider in providers.items():
            assert provider.name == name
            # Every provider offered has a price (an empty table entry would fail here).
            assert provider.price({}) >= 0
            assert provider.operation == (
                "enhance"
                if isinstance(provider, ReplicateEnhancer) or name == "local-upscale"
                else "generate"
            )
    finally:
        for provider in providers.values():
            await provider.aclose()


def test_an_empty_key_is_no_key(tmp_path: Path, prices: PriceTable, monkeypatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", "  ")
    monkeypatch.setenv("STABILITY_API_KEY", "")
    s = Settings(_env_file=None, data_dir=tmp_path, openai_api_key=None)  # type: ignore[call-arg]
    assert (s.replicate_api_token, s.stability_api_key) == (None, None)
    assert set(build_providers(prices, s)) == LOCAL


async def test_settings_reach_the_providers(tmp_path: Path, prices: PriceTable) -> None:
    s = settings(
        tmp_path,
        openai_api_key="sk-1",
        openai_base_url="http://text.example",
        openai_images_base_url="http://images.example/",
        replicate_api_token="r8_1",
        replicate_base_url="http://replicate.example",
        replicate_real_esrgan_version="abc123",
        provider_timeout_s=7.5,
        provider_poll_interval_s=0.25,
    )
    providers = build_providers(prices, s)
    dalle = providers["openai-dall-e-3"]
    esrgan = providers["replicate-real-esrgan"]
    assert isinstance(dalle, DallE3Provider) and isinstance(esrgan, RealEsrganProvider)
    assert dalle.base_url == "http://images.example"
    assert (dalle.timeout_s, esrgan.timeout_s, esrgan.poll_interval_s) == (7.5, 7.5, 0.25)
    assert esrgan.version == "abc123"
    assert esrgan.base_url == "http://replicate.example"
    # Without OPENAI_IMAGES_BASE_URL, images go where OPENAI_BASE_URL says.
    fallback = build_providers(
        prices, settings(tmp_path, openai_api_key="k", openai_base_url="http://gw")
    )
    assert fallback["openai-gpt-image-1"].base_url == "http://gw"  # type: ignore[attr-defined]


def test_timeouts_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        settings(tmp_path, provider_timeout_s=0)
    with pytest.raises(ValueError):
        settings(tmp_path, provider_poll_interval_s=-1)


async def test_every_provider_wired_from_settings_makes_a_storable_design(
    tmp_path: Path,
    prices: PriceTable,
    openai_server: FakeOpenAI,
    replicate_server: FakeReplicate,
    stability_server: FakeStability,
) -> None:
    """Settings pointed at the fake vendors (as an end-to-end test would): each remote
    provider's design decodes with the engine's own decoder, at the table's price."""
    s = settings(
        tmp_path,
        openai_api_key=openai_server.api_key,
        openai_base_url=openai_server.base_url,
        replicate_api_token=replicate_server.api_key,
        replicate_base_url=replicate_server.base_url,
        stability_api_key=stability_server.api_key,
        stability_base_url=stability_server.base_url,
        provider_timeout_s=5,
        provider_poll_interval_s=0.01,
    )
    providers = build_providers(prices, s)
    try:
        for name, provider in providers.items():
            if name in LOCAL:
                continue
            for server in (openai_server, replicate_server, stability_server):
                server.script(["starting", "ok"] if server is replicate_server else ["ok"])
            source = make_png(16, 16) if provider.operation == "enhance" else None
            design = await provider.generate(design_request(source=source))
            assert design.data is not None, name
            variants = make_variants(design.data, original_format=None)
            assert variants.thumb.data, name
            assert design.cost_usd == provider.price({}) > 0, name
    finally:
        for provider in providers.values():
            await provider.aclose()
