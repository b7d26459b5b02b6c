"""Pricing (pure): what a paid call costs, from the price table in `prices.yaml`.

    table = PriceTable.load()                          # defaults, + PRICES_FILE overrides
    table.image("openai", "gpt-image-1", size="1024x1024", quality="high")  # Decimal("0.167")
    table.usage("openai", "gpt-4o-mini", "interpret", tokens_in=900, tokens_out=120)

Amounts are Decimals rounded to the ledger's 6 places; nothing here does I/O but `load`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

PRICES_PATH = Path(__file__).with_name("prices.yaml")
# The ledger's precision (cost_ledger.amount_usd is NUMERIC(12, 6)).
QUANTUM = Decimal("0.000001")
CENT = Decimal("0.01")

# Usage units a `per` table may name -> how many of the caller's units make one.
_UNIT_SCALE: dict[str, tuple[str, Decimal]] = {
    "1k_tokens_in": ("tokens_in", Decimal(1000)),
    "1k_tokens_out": ("tokens_out", Decimal(1000)),
    "minute": ("seconds", Decimal(60)),
    "image": ("images", Decimal(1)),
}


class PriceUnknown(LookupError):
    """No price is configured for this call: a deployment must price what it offers."""


def money(value: Decimal | float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(QUANTUM, rounding=ROUND_HALF_UP)


def cents(value: Decimal) -> str:
    """ "$4.20": what a designer reads."""
    return f"${value.quantize(CENT, rounding=ROUND_HALF_UP)}"


@dataclass(frozen=True)
class Charge:
    """One priced call: units x unit price = amount."""

    units: Decimal
    unit_price: Decimal
    amount: Decimal


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _check(data: Mapping[str, Any], origin: str) -> None:
    providers = data.get("providers")
    if not isinstance(providers, Mapping):
        raise ValueError(f"{origin}: 'providers' must be a mapping")
    for provider, models in providers.items():
        if not isinstance(models, Mapping):
            raise ValueError(f"{origin}: providers.{provider} must map models to operations")
        for model, operations in models.items():
            if not isinstance(operations, Mapping):
                raise ValueError(f"{origin}: {provider}.{model} must map operations to prices")
            for operation, price in operations.items():
                where = f"{origin}: {provider}.{model}.{operation}"
                if isinstance(price, Mapping):
                    entries = price.get("per", price)
                    if not isinstance(entries, Mapping):
                        raise ValueError(f"{where}: 'per' must map units to prices")
                    if "per" in price:
                        unknown = set(entries) - set(_UNIT_SCALE)
                        if unknown:
                            raise ValueError(f"{where}: unknown units {sorted(unknown)}")
                    values = list(entries.values())
                else:
                    values = [price]
                for value in values:
                    try:
                        ok = Decimal(str(value)) >= 0
                    except ArithmeticError:
                        ok = False
                    if not ok:
                        raise ValueError(f"{where}: {value!r} is not a price (a number >= 0)")


class PriceTable:
    def __init__(self, data: Mapping[str, Any], origin: str = "prices") -> None:
        _check(data, origin)
        self._providers: Mapping[str, Any] = data["providers"]

    @classmethod
    def load(cls, override: Path | None = None) -> PriceTable:
        """The documented defaults, with `override`'s entries replacing theirs."""
        data = yaml.safe_load(PRICES_PATH.read_text(encoding="utf-8"))
        origin = str(PRICES_PATH)
        if override is not None:
            extra = yaml.safe_load(override.read_text(encoding="utf-8")) or {}
            _check(_merge({"providers": {}}, extra), str(override))
            data = _merge(data, extra)
            origin = f"{PRICES_PATH} + {override}"
        return cls(data, origin)

    def _entry(self, provider: str, model: str, operation: str) -> Any:
        try:
            return self._providers[provider][model][operation]
        except (KeyError, TypeError):
            raise PriceUnknown(f"No price for {provider} {model} {operation}.") from None

    def knows(self, provider: str, model: str, operation: str) -> bool:
        try:
            self._entry(provider, model, operation)
        except PriceUnknown:
            return False
        return True

    def image(
        self,
        provider: str,
        model: str,
        operation: str = "generate",
        *,
        size: str | None = None,
        quality: str | None = None,
    ) -> Decimal:
        """The price of one image (made or enhanced) at this size and quality."""
        entry = self._entry(provider, model, operation)
        if not isinstance(entry, Mapping):
            return money(entry)
        if "per" in entry:
            raise PriceUnknown(f"{provider} {model} {operation} is priced by usage, not image.")
        for key in (f"{size}/{quality}", f"{size}", "default"):
            if key in entry:
                return money(entry[key])
        raise PriceUnknown(f"No price for {provider} {model} {operation} at {size}/{quality}.")

    def usage(self, provider: str, model: str, operation: str, **units: float) -> Charge:
        """A call priced by usage (tokens, seconds of audio): units by name, e.g.
        tokens_in=900, tokens_out=120, seconds=14.2."""
        entry = self._entry(provider, model, operation)
        if not isinstance(entry, Mapping) or "per" not in entry:
            price = self.image(provider, model, operation)
            return Charge(units=Decimal(1), unit_price=price, amount=price)
        amount = Decimal(0)
        total_units = Decimal(0)
        for unit, unit_price in entry["per"].items():
            name, scale = _UNIT_SCALE[unit]
            used = Decimal(str(units.get(name, 0))) / scale
            amount += used * Decimal(str(unit_price))
            total_units += used
        amount = money(amount)
        unit_price = money(amount / total_units) if total_units else Decimal(0)
        return Charge(
            units=total_units.quantize(Decimal("0.0001")), unit_price=unit_price, amount=amount
        )
