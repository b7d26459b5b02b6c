"""Command interpretation: the rule parser, and optionally a language model for the
commands the rules are unsure of.

`CommandInterpreter` is the interface `CommandService` uses; `RuleInterpreter` (the
default, and the fallback of every other) is the rule parser alone; `OpenAIInterpreter`
(`openai_interpreter.py`) asks an OpenAI chat model about uncertain commands. The pure
parts every model-backed interpreter shares live here too:

- `is_unsure`: whether the rules' reading is worth a second opinion;
- `command_schema`: the JSON schema of a garment command, built from the taxonomy;
- `read_answer`: a model's answer validated against the taxonomy and the command text;
- `merge`: the rules' reading with what the model found that the rules missed.
"""

from __future__ import annotations

import abc
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, cast, get_args

from designer_bff.commands.parser import (
    DEFAULT_MAX_QUANTITY,
    Intent,
    ParseResult,
    Target,
    _describe,
    parse_command,
)
from designer_bff.garments.spec import (
    ATTRIBUTES,
    EXCLUDE_FAMILY,
    LIST_FIELDS,
    SCALAR_FIELDS,
    GarmentSpec,
)
from designer_bff.garments.taxonomy import Taxonomy, get_taxonomy, normalize_phrase

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from designer_bff.garments.taxonomy import Attribute

InterpretedBy = Literal["rules", "openai"]
InterpreterMode = Literal["auto", "rules", "openai"]

INTENTS: tuple[str, ...] = get_args(Intent)
# Below this rule confidence a design command gets a second opinion. The parser's
# confidence already folds in what it did not understand (unknown words, typo
# corrections) and how much it found; a garment with a clear design verb scores 0.8+.
UNSURE_BELOW = 0.8
# The intents a model's reading can complete on its own: their whole content is a spec
# (and a count). Others need names, references or times the schema does not carry.
SPEC_INTENTS: frozenset[str] = frozenset({"generate", "variations"})
# The confidence reported for a command only the model understood (no rule score behind it).
MODEL_CONFIDENCE = 0.7

# Asks whether the designer may still spend (checked only right before a paid call).
MaySpend = Callable[[], Awaitable[bool]]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ModelCall:
    """A paid call that answered: what the ledger prices (by its usage) and records."""

    provider: str
    model: str
    tokens_in: int
    tokens_out: int
    response_model: str | None = None  # the snapshot that answered ("gpt-4o-mini-2024-07-18")


# How commands reach prices and the cost ledger. Billing's own command actions import
# this feature, so it is handed billing's functions (services.py wires `PriceTable`,
# `ledger.record` and `ledger.remaining`) instead of importing them.


class PriceBook(Protocol):
    def knows(self, provider: str, model: str, operation: str) -> bool: ...

    def usage(self, provider: str, model: str, operation: str, **units: float) -> Any: ...


class RecordPaidCall(Protocol):
    def __call__(
        self,
        db: AsyncSession,
        *,
        user_id: uuid.UUID,
        idempotency_key: str,
        provider: str,
        operation: str,
        model: str | None,
        charge: Any,
        details: dict[str, Any] | None = ...,
    ) -> Awaitable[bool]: ...


Remaining = Callable[["AsyncSession", uuid.UUID], Awaitable[Decimal | None]]


@dataclass(frozen=True, slots=True)
class CallBilling:
    """Prices a model call by its usage and records it once in the cost ledger."""

    prices: PriceBook
    record: RecordPaidCall
    remaining: Remaining

    async def may_spend(self, db: AsyncSession, user_id: uuid.UUID) -> bool:
        left = await self.remaining(db, user_id)
        return left is None or left > 0

    async def charge(
        self, db: AsyncSession, user_id: uuid.UUID, key: str, call: ModelCall, **details: Any
    ) -> None:
        """Record the call under `key` (a second record of the same key is a no-op); the
        caller commits, with whatever the call produced."""
        await self.record(
            db,
            user_id=user_id,
            idempotency_key=key,
            provider=call.provider,
            operation="interpret",
            model=call.model,
            charge=self.prices.usage(
                call.provider,
                call.model,
                "interpret",
                tokens_in=call.tokens_in,
                tokens_out=call.tokens_out,
            ),
            details={
                "tokens_in": call.tokens_in,
                "tokens_out": call.tokens_out,
                "response_model": call.response_model,
                **details,
            },
        )

    async def charge_transcription(
        self,
        db: AsyncSession,
        user_id: uuid.UUID,
        key: str,
        *,
        vendor: str,
        model: str,
        seconds: float,
        **details: Any,
    ) -> bool:
        """Record a paid speech-to-text call, priced per minute of audio. False (and
        nothing recorded) when the price table has no entry for this model."""
        if not self.prices.knows(vendor, model, "transcribe"):
            return False
        await self.record(
            db,
            user_id=user_id,
            idempotency_key=key,
            provider=vendor,
            operation="transcribe",
            model=model,
            charge=self.prices.usage(vendor, model, "transcribe", seconds=seconds),
            details={"seconds": round(seconds, 3), **details},
        )
        return True


# Speech providers that are paid calls -> the model their price is listed under when the
# provider names none it is priced by (Google's v1 recognisers share one per-minute price).
PAID_SPEECH: dict[str, str | None] = {"openai": None, "google": "speech-v1"}


@dataclass(frozen=True, slots=True)
class Interpretation:
    """How a command was understood, and by what.

    `interpreted_by` is "openai" only when the model's answer changed the reading;
    `call` is set whenever a model answered (and is charged, even when it only agreed
    with the rules); `fallback` says why a model that was asked is not behind the reading.
    """

    parsed: ParseResult
    interpreted_by: InterpretedBy = "rules"
    call: ModelCall | None = None
    fallback: str | None = None
    filled: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    def meta(self) -> dict[str, Any]:
        """What is kept with the stored command (`result["interpretation"]`)."""
        out: dict[str, Any] = {"by": self.interpreted_by}
        if self.call is not None:
            out.update(
                model=self.call.model,
                tokens_in=self.call.tokens_in,
                tokens_out=self.call.tokens_out,
            )
        if self.fallback:
            out["fallback"] = self.fallback
        if self.filled:
            out["filled"] = list(self.filled)
        if self.dropped:
            out["dropped"] = list(self.dropped)
        return out


# --------------------------------------------------------------------------- interface


class CommandInterpreter(abc.ABC):
    """Text -> `Interpretation`. Never raises for a failing upstream: the rules answer."""

    name: ClassVar[str]
    # Whether it may make paid calls (then `CommandService` needs a `CallBilling`).
    paid: ClassVar[bool] = False

    @abc.abstractmethod
    async def interpret(
        self,
        text: str,
        *,
        max_quantity: int = DEFAULT_MAX_QUANTITY,
        may_spend: MaySpend | None = None,
    ) -> Interpretation: ...

    def health(self) -> dict[str, Any]:
        return {"interpreter": self.name}


class RuleInterpreter(CommandInterpreter):
    """The rule parser alone: free, offline, deterministic (the default)."""

    name = "rules"

    async def interpret(
        self,
        text: str,
        *,
        max_quantity: int = DEFAULT_MAX_QUANTITY,
        may_spend: MaySpend | None = None,
    ) -> Interpretation:
        return Interpretation(parse_command(text, max_quantity=max_quantity))


def build_interpreter(
    mode: str,
    *,
    openai_api_key: str | None,
    openai_base_url: str,
    model: str,
    timeout_s: float,
    prices: PriceBook,
) -> CommandInterpreter:
    """The configured interpreter: "auto" asks OpenAI only when a key is set. ValueError
    (with a message for the operator) when OpenAI is asked for but cannot be used."""
    if mode not in get_args(InterpreterMode):
        raise ValueError(f"COMMAND_INTERPRETER must be one of {get_args(InterpreterMode)}")
    if mode == "rules" or (mode == "auto" and not openai_api_key):
        return RuleInterpreter()
    if not openai_api_key:
        raise ValueError("COMMAND_INTERPRETER=openai needs OPENAI_API_KEY")
    if not prices.knows("openai", model, "interpret"):
        raise ValueError(
            f"OPENAI_CHAT_MODEL={model!r} has no 'interpret' price in the price table: "
            "add one (PRICES_FILE) or choose a priced model"
        )
    # Imported here: the OpenAI interpreter builds on this module.
    from designer_bff.commands.openai_interpreter import OpenAIInterpreter

    return OpenAIInterpreter(
        openai_api_key, base_url=openai_base_url, model=model, timeout_s=timeout_s
    )


# --------------------------------------------------------------------------- unsure


def is_unsure(parsed: ParseResult, text: str) -> bool:
    """Whether the rules' reading deserves a model's second opinion.

    Unsure: a command the rules did not understand at all (intent "unknown", if it has a
    word in it), or a single-garment design command (generate / variations) scoring below
    `UNSURE_BELOW`. Never: commands the rules refused (a count out of limits), several
    garments (the schema holds one), and intents whose content is not a spec.
    """
    if not any(ch.isalpha() for ch in text):
        return False
    if parsed.intent == "unknown":
        return True
    if parsed.intent not in SPEC_INTENTS or parsed.error is not None or len(parsed.specs) > 1:
        return False
    return parsed.confidence < UNSURE_BELOW


# --------------------------------------------------------------------------- schema

SCHEMA_NAME = "garment_command"


def command_schema(taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """The JSON schema a model answers in (OpenAI structured outputs, strict): every
    property required, no others allowed, attribute values limited to the taxonomy's
    canonical values, and for each value the words of the command it comes from."""
    taxonomy = taxonomy or get_taxonomy()
    defs = {a.field: {"type": "string", "enum": list(taxonomy.values(a.field))} for a in ATTRIBUTES}
    properties: dict[str, Any] = {
        "intent": {"type": "string", "enum": list(INTENTS)},
        "quantity": {
            "type": ["integer", "null"],
            "description": "How many designs were asked for; null when no number was said.",
        },
    }
    for a in ATTRIBUTES:
        ref = {"$ref": f"#/$defs/{a.field}"}
        properties[a.field] = (
            {"type": "array", "items": ref} if a.multi else {"anyOf": [ref, {"type": "null"}]}
        )
    exclude = {
        a.exclude_key: {"type": "array", "items": {"$ref": f"#/$defs/{a.field}"}}
        for a in ATTRIBUTES
    }
    properties["exclude"] = {
        "type": "object",
        "description": "Values the designer asked not to have.",
        "properties": exclude,
        "required": list(exclude),
        "additionalProperties": False,
    }
    properties["evidence"] = {
        "type": "array",
        "description": "For every value set above (exclusions too): the value and the "
        "exact words of the command it comes from.",
        "items": {
            "type": "object",
            "properties": {"value": {"type": "string"}, "words": {"type": "string"}},
            "required": ["value", "words"],
            "additionalProperties": False,
        },
    }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        "$defs": defs,
    }


# --------------------------------------------------------------------------- answer


class AnswerInvalid(ValueError):
    """The model's answer does not have the schema's shape."""


@dataclass(frozen=True, slots=True)
class ModelReading:
    """A model's answer, validated: canonical values the command supports, nothing else."""

    intent: Intent
    quantity: int | None
    spec: GarmentSpec  # quantity None: the count is `quantity`
    dropped: tuple[str, ...] = field(default=())


def _contains(haystack: str, words: str) -> bool:
    return f" {words} " in f" {haystack} "


def _named_values(words: str, taxonomy: Taxonomy) -> set[Attribute]:
    """Every taxonomy attribute the words name (each phrase read with all its meanings)."""
    tokens = words.split(" ")
    found: set[Attribute] = set()
    i = 0
    while i < len(tokens):
        match = taxonomy.match_at(tokens, i)
        if match is None:
            i += 1
            continue
        found.update(a for reading in match.readings for a in reading)
        i += match.length
    return found


class _Reader:
    def __init__(self, answer: Mapping[str, Any], text: str, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.text = normalize_phrase(text)
        self.dropped: list[str] = []
        evidence = answer.get("evidence")
        if not isinstance(evidence, list):
            raise AnswerInvalid("evidence is not a list")
        self.evidence: list[tuple[str, str]] = []
        for item in evidence:
            if not isinstance(item, Mapping):
                raise AnswerInvalid("an evidence entry is not an object")
            value, words = item.get("value"), item.get("words")
            if isinstance(value, str) and isinstance(words, str):
                self.evidence.append((normalize_phrase(value), normalize_phrase(words)))

    def canonical(self, family: str, raw: object) -> str | None:
        """The canonical value, if the taxonomy has one and the command supports it."""
        if not isinstance(raw, str) or not raw.strip():
            self.dropped.append(f"{family}:{raw!r} (not a value)")
            return None
        value = raw if self.taxonomy.is_canonical(family, raw) else None
        value = value or self.taxonomy.canonicalize(family, raw)
        if value is None:
            self.dropped.append(f"{family}:{raw} (not in the taxonomy)")
            return None
        if not self.supported(family, value, raw):
            self.dropped.append(f"{family}:{value} (not in the command)")
            return None
        return value

    def supported(self, family: str, value: str, raw: str) -> bool:
        """A quote of the designer's own words backs the value: the words are in the
        command, and they do not name another value of the same attribute."""
        keys = {normalize_phrase(value), normalize_phrase(raw)}
        for said, words in self.evidence:
            if said not in keys and self.taxonomy.canonicalize(family, said) != value:
                continue
            if not words or not _contains(self.text, words):
                continue
            named = {a.value for a in _named_values(words, self.taxonomy) if a.family == family}
            if named and value not in named:
                continue
            return True
        return False


def read_answer(
    answer: object,
    text: str,
    *,
    max_quantity: int = DEFAULT_MAX_QUANTITY,
    taxonomy: Taxonomy | None = None,
) -> ModelReading:
    """Validate a model's answer (the parsed JSON) against the taxonomy and the command.

    Values are canonicalised through the taxonomy (synonyms, casing, typos); a value with
    no canonical form, or without a quote of the designer's words behind it, is dropped
    (listed in `dropped`), as is a count outside 1..`max_quantity`. An answer without the
    schema's shape raises `AnswerInvalid`.
    """
    taxonomy = taxonomy or get_taxonomy()
    if not isinstance(answer, Mapping):
        raise AnswerInvalid("the answer is not an object")
    intent = answer.get("intent")
    if intent not in INTENTS:
        raise AnswerInvalid(f"unknown intent {intent!r}")
    reader = _Reader(answer, text, taxonomy)

    quantity = answer.get("quantity")
    if quantity is not None and (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not 1 <= quantity <= max_quantity
    ):
        reader.dropped.append(f"quantity:{quantity!r} (outside 1..{max_quantity})")
        quantity = None

    spec = GarmentSpec()
    for name in SCALAR_FIELDS:
        raw = answer.get(name)
        if raw is not None:
            value = reader.canonical(name, raw)
            if value is not None:
                spec.set_attribute(name, value)
    for name in LIST_FIELDS:
        raws = answer.get(name)
        if not isinstance(raws, list):
            raise AnswerInvalid(f"{name} is not a list")
        for raw in raws:
            value = reader.canonical(name, raw)
            if value is not None:
                spec.set_attribute(name, value)
    # A palette stands for its colors, as when the rules read one ("earth tones").
    for palette in spec.palettes:
        for color in taxonomy.palette_colors(palette):
            spec.set_attribute("colors", color)
    exclude = answer.get("exclude")
    if not isinstance(exclude, Mapping):
        raise AnswerInvalid("exclude is not an object")
    for key, raws in exclude.items():
        family = EXCLUDE_FAMILY.get(key)
        if family is None or not isinstance(raws, list):
            raise AnswerInvalid(f"exclude.{key} is not a list of an attribute")
        for raw in raws:
            value = reader.canonical(family, raw)
            if value is None:
                continue
            if _has_value(spec, family, value):
                # Asked for and excluded at once: neither is believable.
                _remove_value(spec, family, value)
                reader.dropped.append(f"{family}:{value} (both asked for and excluded)")
                continue
            spec.exclude.add(family, value)
            if family == "palettes":
                for color in taxonomy.palette_colors(value):
                    spec.exclude.add("colors", color)
    return ModelReading(
        intent=cast(Intent, intent), quantity=quantity, spec=spec, dropped=tuple(reader.dropped)
    )


def _has_value(spec: GarmentSpec, family: str, value: str) -> bool:
    current = getattr(spec, family)
    return value in current if family in LIST_FIELDS else current == value


def _remove_value(spec: GarmentSpec, family: str, value: str) -> None:
    if family in LIST_FIELDS:
        getattr(spec, family).remove(value)
    else:
        setattr(spec, family, None)


def _excluded(spec: GarmentSpec, family: str, value: str) -> bool:
    attribute = next(a for a in ATTRIBUTES if a.field == family)
    return value in getattr(spec.exclude, attribute.exclude_key)


# --------------------------------------------------------------------------- merge


def _fill(spec: GarmentSpec, extra: GarmentSpec) -> list[str]:
    """Add to `spec` what `extra` has and `spec` lacks; what `spec` says is kept (an
    attribute it set, a value it excluded or asked for). Returns what was added."""
    filled: list[str] = []
    for name in SCALAR_FIELDS:
        value = getattr(extra, name)
        if value and getattr(spec, name) is None and not _excluded(spec, name, value):
            spec.set_attribute(name, value)
            filled.append(f"{name}:{value}")
    for name in LIST_FIELDS:
        for value in getattr(extra, name):
            if value not in getattr(spec, name) and not _excluded(spec, name, value):
                spec.set_attribute(name, value)
                filled.append(f"{name}:{value}")
    for key, values in extra.exclude.non_empty().items():
        family = EXCLUDE_FAMILY[key]
        for value in values:
            if not _excluded(spec, family, value) and not _has_value(spec, family, value):
                spec.exclude.add(family, value)
                filled.append(f"no {family}:{value}")
    return filled


def _reply(intent: str, spec: GarmentSpec, target: Target) -> str:
    """The rule parser's reply for a design command, for a spec the model completed."""
    if intent == "variations":
        count = spec.quantity or 1
        changes = ", ".join(
            [v.replace("-", " ") for _, v in spec.attribute_items()]
            + [f"no {v.replace('-', ' ')}" for vs in spec.exclude.non_empty().values() for v in vs]
        )
        ref = target.image_ref or "last"
        source = {"last": "your last image", "last_outlier": "your last outlier",
                  "last_batch": "your last batch"}.get(ref, f"image {ref}")  # fmt: skip
        reply = f"On it: {count} {'variation' if count == 1 else 'variations'} of {source}"
        return reply + (f", with these changes: {changes}" if changes else "") + "."
    reply = f"On it: {_describe(spec)}."
    if target.collection_name:
        reply = reply[:-1] + f", into \u201c{target.collection_name}\u201d."
    return reply


def merge(rules: ParseResult, reading: ModelReading) -> tuple[ParseResult, tuple[str, ...]]:
    """The rules' reading completed by the model's: (result, what the model added).

    The rules' intent, count, target and every attribute they set win; the model fills
    attributes and exclusions the rules missed when it reads the same design intent (the
    confidence is then at least `MODEL_CONFIDENCE`). A
    command the rules did not understand takes the model's reading when that is a design
    command (generate / variations) with at least one supported attribute. Otherwise the
    rules' result comes back unchanged, with nothing added.
    """
    if rules.intent == "unknown":
        if reading.intent not in SPEC_INTENTS or not reading.spec.has_attributes():
            return rules, ()
        spec = reading.spec.model_copy(deep=True)
        spec.quantity = reading.quantity or 1
        target = (
            Target(image_ref="last", count=spec.quantity)
            if reading.intent == "variations"
            else Target()
        )
        filled = [f"{n}:{v}" for n, v in spec.attribute_items()] + [
            f"no {EXCLUDE_FAMILY[k]}:{v}" for k, vs in spec.exclude.non_empty().items() for v in vs
        ]
        result = ParseResult(
            intent=reading.intent,
            confidence=MODEL_CONFIDENCE,
            spec=spec,
            specs=[spec],
            target=target,
            reply=_reply(reading.intent, spec, target),
        )
        return result, tuple(filled)
    if (
        rules.intent not in SPEC_INTENTS
        or reading.intent != rules.intent
        or rules.error is not None
        or len(rules.specs) != 1
    ):
        return rules, ()
    spec = rules.spec.model_copy(deep=True)
    filled = _fill(spec, reading.spec)
    if not filled:
        return rules, ()
    result = rules.model_copy(
        update={
            "spec": spec,
            "specs": [spec],
            "reply": _reply(rules.intent, spec, rules.target),
            # What the rules missed is now read, by the model, and checked.
            "confidence": max(rules.confidence, MODEL_CONFIDENCE),
        }
    )
    return result, tuple(filled)
