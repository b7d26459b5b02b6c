"""Pricing and provider routing, pure: no server, database or network."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from designer_bff.billing.ledger import effective_budget, period_start
from designer_bff.billing.pricing import PriceTable, PriceUnknown, cents
from designer_bff.core.errors import AppError
from designer_bff.generation.providers import DesignRequest, GeneratedDesign, ImageProvider
from designer_bff.generation.routing import route

PRICES = PriceTable.load()


def test_documented_defaults_price_sizes_and_qualities():
    assert PRICES.image("openai", "gpt-image-1", size="1024x1024", quality="high") == Decimal(
        "0.167"
    )
    assert PRICES.image("openai", "gpt-image-1", size="1024x1536", quality="low") == Decimal(
        "0.016"
    )
    # A size without a quality entry takes the model's default.
    assert PRICES.image("openai", "gpt-image-1") == Decimal("0.042")
    assert PRICES.image("openai", "dall-e-3", size="1792x1024", quality="hd") == Decimal("0.12")
    assert PRICES.image("replicate", "google/imagen-4") == Decimal("0.04")
    assert PRICES.image("local-flats", "local-flats-v1") == 0


def test_usage_prices_tokens_and_minutes_to_the_micro_dollar():
    chat = PRICES.usage("openai", "gpt-4o-mini", "interpret", tokens_in=1000, tokens_out=500)
    assert chat.amount == Decimal("0.000450")  # 1k x 0.00015 + 0.5k x 0.0006
    audio = PRICES.usage("openai", "whisper-1", "transcribe", seconds=90)
    assert audio.amount == Decimal("0.009000")


def test_unknown_prices_are_refused_not_guessed():
    with pytest.raises(PriceUnknown):
        PRICES.image("openai", "no-such-model")
    with pytest.raises(PriceUnknown):
        PRICES.image("openai", "gpt-4o-mini", "interpret")  # priced by usage


def test_an_override_file_replaces_single_entries(tmp_path: Path):
    override = tmp_path / "prices.yaml"
    override.write_text("providers:\n  replicate:\n    google/imagen-4: {generate: 0.05}\n")
    table = PriceTable.load(override)
    assert table.image("replicate", "google/imagen-4") == Decimal("0.05")
    assert table.image("replicate", "black-forest-labs/flux-schnell") == Decimal("0.003")


@pytest.mark.parametrize(
    "text",
    [
        "providers:\n  x:\n    m: {generate: -1}\n",
        "providers:\n  x:\n    m: {generate: cheap}\n",
        "providers:\n  x:\n    m: {interpret: {per: {parsecs: 1}}}\n",
    ],
)
def test_a_bad_override_names_the_entry(tmp_path: Path, text: str):
    override = tmp_path / "prices.yaml"
    override.write_text(text)
    with pytest.raises(ValueError, match=r"x\.m\."):
        PriceTable.load(override)


def test_budgets_and_periods():
    assert effective_budget(None, None) is None
    assert effective_budget(Decimal(20), None) == 20
    assert effective_budget(None, Decimal(50)) == 50
    assert effective_budget(Decimal(80), Decimal(50)) == 50
    from datetime import UTC, datetime

    now = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)  # a Friday
    assert period_start("day", now) == datetime(2026, 12, 4, tzinfo=UTC)
    assert period_start("week", now) == datetime(2026, 11, 30, tzinfo=UTC)
    assert period_start("month", now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert cents(Decimal("4.195")) == "$4.20"


class _Priced(ImageProvider):
    vendor = "test"

    def __init__(self, name: str, price: str) -> None:
        self.name, self.model, self._price = name, name, Decimal(price)

    def price(self, options):  # type: ignore[no-untyped-def]
        return self._price

    async def generate(self, request: DesignRequest) -> GeneratedDesign:
        raise NotImplementedError


OFFERED = {
    p.name: p
    for p in (
        _Priced("local-flats", "0"),
        _Priced("openai-gpt-image-1", "0.042"),
        _Priced("replicate-imagen-4", "0.04"),
        _Priced("replicate-flux-schnell", "0.003"),
    )
}


def test_the_asked_provider_wins_then_the_designers_default_then_the_deployments():
    assert route(OFFERED, asked="replicate-imagen-4").provider == "replicate-imagen-4"
    assert route(OFFERED, designer_default="openai-gpt-image-1").provider == "openai-gpt-image-1"
    assert route(OFFERED).provider == "local-flats"
    chosen = route(OFFERED, asked="local-flats", designer_default="openai-gpt-image-1")
    assert (chosen.provider, chosen.fallback) == ("local-flats", ())


def test_strategies_rank_the_offered_providers():
    assert route(OFFERED, strategy="cost").provider == "local-flats"
    assert route(OFFERED, strategy="quality").provider in (
        "openai-gpt-image-1",
        "replicate-imagen-4",
    )
    assert route(OFFERED, strategy="speed").provider in ("local-flats", "replicate-flux-schnell")
    remote = {n: p for n, p in OFFERED.items() if n != "local-flats"}
    assert route(remote, strategy="cost").provider == "replicate-flux-schnell"


def test_a_remote_job_falls_back_to_other_remote_providers_never_to_the_flats():
    chosen = route(OFFERED, asked="openai-gpt-image-1")
    assert chosen.fallback and "local-flats" not in chosen.fallback
    assert set(chosen.fallback) == {"replicate-imagen-4", "replicate-flux-schnell"}
    assert route(OFFERED, asked="openai-gpt-image-1", fallback=False).fallback == ()


def test_unknown_names_are_refused_with_what_is_offered():
    with pytest.raises(AppError) as caught:
        route(OFFERED, asked="midjourney")
    assert caught.value.code == "unknown_provider"
    with pytest.raises(AppError) as caught:
        route(OFFERED, strategy="cheapest")
    assert caught.value.code == "unknown_strategy"
