"""What spoken/typed commands do with costs: `cost_report` answers from the ledger.

    "how much did I spend this month?"
    -> "You spent $4.20 this month: 42 designs on Imagen 4 ($1.68), 10 on GPT Image 1
        ($2.52). You have $15.80 left of your $20.00 monthly budget."

The amounts are sums of the ledger's rows (exact to its 6 places) shown to the cent; the
period is the one the parser heard (today, this week, last month, the last 3 days, in
total ...), this month when none was said. Days are UTC calendar days, as everywhere in
billing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from designer_bff.billing import ledger
from designer_bff.billing.pricing import CENT, cents
from designer_bff.billing.service import BillingService, Budget, Line, usd
from designer_bff.commands.parser import ParseResult, TimeRange
from designer_bff.commands.service import ActionOutcome, CommandService

# How a designer reads a model's name (ledger models are API slugs).
_MODEL_NAMES = {
    "gpt-image-1": "GPT Image 1",
    "dall-e-2": "DALL·E 2",
    "dall-e-3": "DALL·E 3",
    "gpt-4o-mini": "GPT-4o mini",
    "whisper-1": "Whisper",
    "speech-v1": "Google Speech-to-Text",
    "sd3.5-large": "SD 3.5 Large",
    "sd3.5-medium": "SD 3.5 Medium",
    "real-esrgan": "Real-ESRGAN",
    "openai": "OpenAI",
}
# Words of a slug written otherwise than capitalised.
_WORDS = {"gpt": "GPT", "sd": "SD", "xl": "XL", "hd": "HD", "ai": "AI", "gfpgan": "GFPGAN"}
# operation -> (one, many, preposition): "42 designs on Imagen 4".
_NOUNS = {
    "generate": ("design", "designs", "on"),
    "enhance": ("enhancement", "enhancements", "with"),
    "analyze": ("analysis", "analyses", "by"),
    "transcribe": ("transcription", "transcriptions", "with"),
    "interpret": ("command read", "commands read", "by"),
}
_OTHER_NOUN = ("call", "calls", "to")
# Groups named in a reply; the rest are summed up as "N more calls".
MAX_LISTED = 4

_PHRASES = {
    "today": "today",
    "yesterday": "yesterday",
    "this_week": "this week",
    "last_week": "last week",
    "this_month": "this month",
    "last_month": "last month",
    "this_year": "this year",
    "last_year": "last year",
    "all_time": "in total",
}
_ROLLING = re.compile(r"last_(\d+)_(day|week|month|year)s")


def model_name(model: str | None, provider: str) -> str:
    """ "google/imagen-4" -> "Imagen 4", "gpt-image-1" -> "GPT Image 1"."""
    if not model:
        return provider
    slug = model.rsplit("/", 1)[-1]
    if slug in _MODEL_NAMES:
        return _MODEL_NAMES[slug]
    slug = re.sub(r"-v\d+$", "", slug)
    return " ".join(_WORDS.get(w, w[:1].upper() + w[1:]) for w in slug.split("-") if w)


def describe_period(time_range: TimeRange | None) -> str:
    """ "this month", "last week", "in the last 3 days", "in total"."""
    if time_range is None:
        return "this month"
    if time_range.label in _PHRASES:
        return _PHRASES[time_range.label]
    rolling = _ROLLING.fullmatch(time_range.label)
    if rolling:
        n, unit = int(rolling.group(1)), rolling.group(2)
        return f"in the last {unit}" if n == 1 else f"in the last {n} {unit}s"
    return "in that period"


def window(
    time_range: TimeRange | None, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """[since, until) in UTC for the parser's inclusive calendar dates (this month when
    no range was said; since None: from the first call)."""
    if time_range is None:
        return ledger.period_start("month", now), None

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=UTC)

    since = midnight(date.fromisoformat(time_range.start)) if time_range.start else None
    until = (
        midnight(date.fromisoformat(time_range.end) + timedelta(days=1)) if time_range.end else None
    )
    return since, until


def _money(amount: Decimal) -> str:
    if amount == 0:
        return "free"
    if amount < CENT / 2:
        return "less than a cent"
    return cents(amount)


@dataclass
class _Group:
    operation: str
    name: str
    models: set[str]
    amount: Decimal
    calls: int


def _groups(lines: list[Line]) -> list[_Group]:
    """The window's calls by operation and model (as the designer reads its name), most
    calls first."""
    groups: dict[tuple[str, str], _Group] = {}
    for line in lines:
        name = model_name(line.model, line.provider)
        group = groups.setdefault(
            (line.operation, name), _Group(line.operation, name, set(), Decimal(0), 0)
        )
        group.models.add(line.model or line.provider)
        group.amount += line.amount
        group.calls += line.calls
    return sorted(groups.values(), key=lambda g: (-g.calls, -g.amount, g.name, g.operation))


def _items(groups: list[_Group]) -> str:
    listed = groups if len(groups) <= MAX_LISTED else groups[: MAX_LISTED - 1]
    parts = []
    previous = None
    for group in listed:
        one, many, prep = _NOUNS.get(group.operation, _OTHER_NOUN)
        noun = one if group.calls == 1 else many
        # "42 designs on Imagen 4, 10 on GPT Image 1": the noun once while it repeats.
        said = f"{group.calls} {noun}" if (noun, prep) != previous else f"{group.calls}"
        previous = (noun, prep)
        parts.append(f"{said} {prep} {group.name} ({_money(group.amount)})")
    rest = groups[len(listed) :]
    if rest:
        calls = sum(g.calls for g in rest)
        amount = sum((g.amount for g in rest), Decimal(0))
        parts.append(f"{calls} more {'call' if calls == 1 else 'calls'} ({_money(amount)})")
    return ", ".join(parts)


def _budget_sentence(budget: Budget) -> str:
    if budget.effective_usd is None or budget.remaining_usd is None:
        return ""
    limit = cents(budget.effective_usd)
    if budget.remaining_usd == 0:
        return f" Your {limit} monthly budget is used up."
    left = _money(budget.remaining_usd)
    return f" You have {left} left of your {limit} monthly budget."


def cost_reply(lines: list[Line], period: str, budget: Budget) -> str:
    """The spoken answer: the total to the cent, what it went on, the budget left."""
    if not lines:
        when = "yet" if period == "in total" else period
        return f"You haven't spent anything {when}." + _budget_sentence(budget)
    total = sum((line.amount for line in lines), Decimal(0))
    spent = "nothing" if total == 0 else _money(total)
    items = _items(_groups(lines))
    return f"You spent {spent} {period}: {items}." + _budget_sentence(budget)


def register_billing_actions(commands: CommandService, billing: BillingService) -> None:
    async def cost_report(
        db: AsyncSession, user_id: uuid.UUID, command_id: uuid.UUID, parsed: ParseResult
    ) -> ActionOutcome:
        time_range = parsed.target.time_range
        since, until = window(time_range)
        lines = await billing.spending(db, user_id, since, until)
        budget = await billing.budget(db, user_id)
        period = describe_period(time_range)
        total = sum((line.amount for line in lines), Decimal(0))
        report: dict[str, Any] = {
            "period": time_range.label if time_range else "this_month",
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
            "total_usd": usd(total),
            "calls": sum(line.calls for line in lines),
            "by_model": [
                {
                    "operation": g.operation,
                    "models": sorted(g.models),
                    "name": g.name,
                    "amount_usd": usd(g.amount),
                    "calls": g.calls,
                }
                for g in _groups(lines)
            ],
            "budget": budget.to_dict(),
        }
        return ActionOutcome(reply=cost_reply(lines, period, budget), result={"costs": report})

    commands.register_action("cost_report", cost_report)
