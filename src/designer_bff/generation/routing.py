"""Which provider makes a job (pure): the one asked for, else the designer's default,
else a strategy (cost, quality, speed, balanced) over what this deployment offers; and
the providers to fall back to, in order, when that one is down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from designer_bff.core.errors import AppError
from designer_bff.generation.providers import ImageProvider

Strategy = Literal["cost", "quality", "speed", "balanced"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)
# The offline renderer draws flats, not photographs: a remote job never falls back to it
# unless the designer asked for it by name.
LOCAL = "local-flats"


@cache
def _scores() -> dict[str, dict[str, float]]:
    data = yaml.safe_load(Path(__file__).with_name("routing.yaml").read_text(encoding="utf-8"))
    return {k: {p: float(v) for p, v in table.items()} for k, table in data.items()}


@dataclass(frozen=True)
class Route:
    provider: str
    fallback: tuple[str, ...]
    how: str  # "asked", "your default", "strategy: cost", "deployment default"


def _rank(
    providers: Mapping[str, ImageProvider], strategy: str, options: Mapping[str, Any]
) -> list[str]:
    scores = _scores()
    prices: dict[str, Decimal] = {}
    for name, p in providers.items():
        try:
            prices[name] = p.price(options)
        except LookupError:
            prices[name] = Decimal("Infinity")  # not priced for these options: last
    top = max((v for v in prices.values() if v.is_finite()), default=Decimal(1)) or Decimal(1)

    def key(name: str) -> tuple[float, str]:
        quality = scores["quality"].get(name, 3.0)
        speed = scores["speed"].get(name, 3.0)
        price = prices[name]
        cheap = 0.0 if not price.is_finite() else 5.0 * float(1 - price / top)
        score = {
            "cost": cheap * 10 + quality / 10,
            "quality": quality * 10 + cheap / 10,
            "speed": speed * 10 + quality / 10,
            "balanced": quality + speed + cheap,
        }[strategy]
        return (-score, name)

    return sorted(providers, key=key)


def route(
    providers: Mapping[str, ImageProvider],
    *,
    asked: str | None = None,
    strategy: str | None = None,
    designer_default: str | None = None,
    designer_strategy: str | None = None,
    deployment_default: str = LOCAL,
    options: Mapping[str, Any] | None = None,
    fallback: bool = True,
) -> Route:
    """`providers`: those that can make this job (one operation). Raises 422
    unknown_provider / unknown_strategy for names this deployment does not have."""
    options = options or {}
    if asked is not None and asked not in providers:
        raise AppError(
            f"Unknown provider {asked!r}.",
            code="unknown_provider",
            status_code=422,
            details={"available": sorted(providers)},
        )
    for chosen in (strategy, designer_strategy):
        if chosen is not None and chosen not in STRATEGIES:
            raise AppError(
                f"Unknown strategy {chosen!r}.",
                code="unknown_strategy",
                status_code=422,
                details={"available": list(STRATEGIES)},
            )
    if asked is not None:
        primary, how = asked, "asked"
    elif strategy is not None:
        primary, how = _rank(providers, strategy, options)[0], f"strategy: {strategy}"
    elif designer_default is not None and designer_default in providers:
        primary, how = designer_default, "your default"
    elif designer_strategy is not None:
        primary = _rank(providers, designer_strategy, options)[0]
        how = f"your strategy: {designer_strategy}"
    elif deployment_default in providers:
        primary, how = deployment_default, "deployment default"
    else:
        primary, how = _rank(providers, "balanced", options)[0], "strategy: balanced"
    rest: tuple[str, ...] = ()
    if fallback and primary != LOCAL:
        order = _rank(providers, strategy or designer_strategy or "balanced", options)
        rest = tuple(p for p in order if p not in (primary, LOCAL))
    return Route(provider=primary, fallback=rest, how=how)
