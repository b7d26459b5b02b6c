"""Commands the rule parser is unsure of, read by an OpenAI chat model: against a local
server speaking the Chat Completions shape (tests/api/chat_fake.py), through the HTTP API
and the database, plus the pure parts (schema, validation, merge, when to ask)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any, get_args

import httpx
import jsonschema
import pytest
from sqlalchemy import select, update

from designer_bff.app import create_app
from designer_bff.auth.models import User
from designer_bff.billing.models import CostEntry
from designer_bff.billing.pricing import PriceTable
from designer_bff.commands.interpreter import (
    MODEL_CONFIDENCE,
    SCHEMA_NAME,
    ModelReading,
    RuleInterpreter,
    build_interpreter,
    command_schema,
    is_unsure,
    merge,
    read_answer,
)
from designer_bff.commands.models import VoiceCommand
from designer_bff.commands.openai_interpreter import SYSTEM_PROMPT, OpenAIInterpreter
from designer_bff.commands.parser import Intent, parse_command
from designer_bff.commands.service import CommandService
from designer_bff.config import ConfigError
from designer_bff.garments.spec import ATTRIBUTES, GarmentSpec
from designer_bff.garments.taxonomy import get_taxonomy
from designer_bff.services import Services, build_services
from tests.api.chat_fake import (
    CHAT_PATH,
    ChatUpstream,
    Reply,
    answer,
    completion,
    openai_error,
    refusal,
)
from tests.conftest import AuthedUser, make_settings, register_user, running
from tests.speech.speech_testkit import closed_port

KEY = "sk-test-interpret-0123456789"
TIMEOUT_S = 1.5
# Unsure: Spanish, so the rules find only the count (confidence 0.29).
SPANISH = "hazme 2 vestidos rojos, sin flores"
SPANISH_ANSWER = answer(
    quantity=2,
    garment_type="dress",
    colors=["red"],
    exclude={"patterns": ["floral"]},
    said={"dress": "vestidos", "red": "rojos", "floral": "sin flores"},
)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def upstream() -> Iterator[ChatUpstream]:
    server = ChatUpstream()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def ai_services(backend, upstream: ChatUpstream, tmp_path_factory) -> AsyncIterator[Services]:
    """The app's services with OPENAI_API_KEY set and OpenAI at the local server, on the
    session's database (its own in-process queue, worker and throttle)."""
    overrides: dict[str, Any] = {
        "openai_api_key": KEY,
        "openai_base_url": upstream.base_url,
        "openai_chat_timeout_s": TIMEOUT_S,
        "speech_provider": "none",
        "register_max_per_address": 10_000,
    }
    if backend.settings.database_url is None:
        settings = make_settings(backend.settings.data_dir, **overrides)
    else:
        settings = make_settings(
            tmp_path_factory.mktemp("ai"), database_url=backend.settings.database_url, **overrides
        )
    assert settings.command_interpreter == "auto"
    services = build_services(settings)
    yield services
    await services.close()


@pytest.fixture(scope="module")
async def ai(ai_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(services=ai_services)) as client:
        yield client


@pytest.fixture
async def designer(ai: httpx.AsyncClient) -> AuthedUser:
    return await register_user(ai, "interpret")


async def command(
    ai: httpx.AsyncClient, user: AuthedUser, text: str, **extra: Any
) -> dict[str, Any]:
    resp = await ai.post(
        "/api/voice/process-text", headers=user.headers, json={"command": text, **extra}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def charges(services: Services, user: AuthedUser) -> list[CostEntry]:
    async with services.sessionmaker() as db:
        rows = await db.scalars(select(CostEntry).where(CostEntry.user_id == uuid.UUID(user.id)))
        return list(rows)


async def stored(services: Services, command_id: str) -> VoiceCommand:
    async with services.sessionmaker() as db:
        row = await db.get(VoiceCommand, uuid.UUID(command_id))
        assert row is not None
        return row


def rules_view(text: str) -> dict[str, Any]:
    """What the rules alone answer (the reply as the API gives it before any action)."""
    parsed = parse_command(text).to_dict()
    return {k: parsed[k] for k in ("intent", "confidence", "spec", "specs", "target")}


# --------------------------------------------------------------------------- through the API


async def test_an_unsure_command_is_read_by_the_model_checked_and_charged_once(
    ai: httpx.AsyncClient, ai_services: Services, upstream: ChatUpstream, designer: AuthedUser
):
    assert is_unsure(parse_command(SPANISH), SPANISH)
    upstream.script(completion(SPANISH_ANSWER, tokens_in=2345, tokens_out=678))
    body = await command(ai, designer, SPANISH)

    assert body["interpreted_by"] == "openai"
    assert body["intent"] == "generate"
    spec = body["spec"]
    assert spec["quantity"] == 2  # the rules' count
    assert spec["garment_type"] == "dress" and spec["colors"] == ["red"]
    assert spec["exclude"]["patterns"] == ["floral"]
    assert body["specs"] == [spec]
    assert body["reply"] == "On it: 2 red dresses, no floral."
    assert body["confidence"] == MODEL_CONFIDENCE
    assert body["job_id"] and body["error"] is None

    # The request is the documented one: Bearer key, model, the strict JSON schema.
    [request] = upstream.requests
    assert (request.method, request.path) == ("POST", CHAT_PATH)
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    [sent] = upstream.chat_requests()
    assert sent["model"] == "gpt-4o-mini"
    assert sent["messages"] == [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": SPANISH},
    ]
    fmt = sent["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == SCHEMA_NAME == "garment_command"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema == command_schema()
    # The scripted answer is one a strict model could give for that schema.
    jsonschema.validate(SPANISH_ANSWER, schema)

    # Stored: the merged reading, and what read it.
    row = await stored(ai_services, body["command_id"])
    assert row.parse["spec"] == spec
    interpretation = row.result["interpretation"]
    assert interpretation["by"] == "openai"
    assert interpretation["model"] == "gpt-4o-mini"
    assert (interpretation["tokens_in"], interpretation["tokens_out"]) == (2345, 678)
    assert set(interpretation["filled"]) == {
        "garment_type:dress",
        "colors:red",
        "no patterns:floral",
    }
    assert row.result["job_id"] == body["job_id"]  # the action's result is kept beside it
    history = (await ai.get("/api/voice/history", headers=designer.headers)).json()
    assert history["items"][0]["interpreted_by"] == "openai"

    # Charged once, from the reply's usage: 2.345k in x $0.00015 + 0.678k out x $0.0006
    # = $0.00035175 + $0.0004068 = $0.00075855, which the ledger keeps as $0.000759.
    [entry] = await charges(ai_services, designer)
    assert entry.idempotency_key == f"interpret:{body['command_id']}"
    assert (entry.provider, entry.operation, entry.model) == ("openai", "interpret", "gpt-4o-mini")
    assert entry.amount_usd == Decimal("0.000759")
    assert entry.units == Decimal("3.0230")
    assert entry.details["tokens_in"] == 2345 and entry.details["tokens_out"] == 678
    assert entry.details["response_model"] == "gpt-4o-mini-2024-07-18"


@pytest.mark.parametrize(
    "text",
    [
        "make me 2 bohemian style dresses",
        "2 dresses and 1 skirt in earth tones",
        "show me my outliers from last week",
        "cancel that",
        "make me 5000 dresses",  # refused by the rules: nothing a model could mend
    ],
)
async def test_a_command_the_rules_are_sure_of_never_calls_the_model(
    ai: httpx.AsyncClient,
    ai_services: Services,
    upstream: ChatUpstream,
    designer: AuthedUser,
    text: str,
):
    upstream.script(completion(answer(intent="unknown")))
    body = await command(ai, designer, text, dry_run=True)
    assert upstream.requests == []
    assert body["interpreted_by"] == "rules"
    assert {k: body[k] for k in ("intent", "spec", "specs", "target")} == {
        k: v for k, v in rules_view(text).items() if k != "confidence"
    }
    assert await charges(ai_services, designer) == []


async def test_values_outside_the_taxonomy_or_the_command_are_dropped(
    ai: httpx.AsyncClient, ai_services: Services, upstream: ChatUpstream, designer: AuthedUser
):
    text = "2 slinky navy frocks por favor"
    rules = parse_command(text)
    assert rules.spec.garment_type == "dress" and rules.spec.colors == ["navy"]
    assert is_unsure(rules, text)
    upstream.script(
        completion(
            answer(
                quantity=500,  # over the limit: dropped (the rules' count stands anyway)
                garment_type="gown",  # the rules read a dress: theirs wins
                silhouette="bodycon",  # "slinky": kept
                colors=["navy", "ocean-teal", "black"],  # not a color; quoted from "navy"
                fabrics=["silk"],  # never said, no quote
                styles=["bohemian"],  # quoted words the command does not have
                said={
                    "gown": "frocks",
                    "bodycon": "slinky",
                    "navy": "navy",
                    "ocean-teal": "navy",
                    "black": "navy",
                    "bohemian": "boho",
                },
            )
        )
    )
    body = await command(ai, designer, text)
    assert body["interpreted_by"] == "openai"
    spec = body["spec"]
    assert spec["garment_type"] == "dress"
    assert spec["silhouette"] == "bodycon"
    assert spec["colors"] == ["navy"]
    assert spec["fabrics"] == [] and spec["styles"] == []
    assert spec["quantity"] == 2
    assert body["reply"] == "On it: 2 navy bodycon dresses."
    meta = (await stored(ai_services, body["command_id"])).result["interpretation"]
    assert meta["filled"] == ["silhouette:bodycon"]
    dropped = " | ".join(meta["dropped"])
    for note in (
        "quantity:500",
        "colors:ocean-teal (not in the taxonomy)",
        "colors:black (not in the command)",
        "fabrics:silk (not in the command)",
        "styles:bohemian (not in the command)",
    ):
        assert note in dropped
    assert len(await charges(ai_services, designer)) == 1


async def test_a_command_only_the_model_understood_becomes_its_design(
    ai: httpx.AsyncClient, ai_services: Services, upstream: ChatUpstream, designer: AuthedUser
):
    text = "vestido largo de seda"
    assert parse_command(text).intent == "unknown"
    upstream.script(
        completion(
            answer(
                garment_type="dress",
                length="maxi",
                fabrics=["silk"],
                said={"dress": "vestido", "maxi": "largo", "silk": "de seda"},
            )
        )
    )
    body = await command(ai, designer, text)
    assert body["interpreted_by"] == "openai"
    assert body["intent"] == "generate"
    assert body["confidence"] == MODEL_CONFIDENCE
    assert body["spec"]["quantity"] == 1  # no count said: one, as the rules would
    assert (body["spec"]["garment_type"], body["spec"]["length"]) == ("dress", "maxi")
    assert body["reply"] == "On it: a maxi silk dress."
    assert body["job_id"]
    [entry] = await charges(ai_services, designer)
    assert entry.idempotency_key == f"interpret:{body['command_id']}"


async def test_a_model_that_adds_nothing_is_charged_but_the_rules_answer(
    ai: httpx.AsyncClient, ai_services: Services, upstream: ChatUpstream, designer: AuthedUser
):
    text = "what is the capital of peru"
    upstream.script(completion(answer(intent="unknown"), tokens_in=1000, tokens_out=1000))
    body = await command(ai, designer, text)
    assert len(upstream.requests) == 1
    assert body["interpreted_by"] == "rules"
    assert body["intent"] == "unknown" and body["reply"] == parse_command(text).reply
    assert body["error"] is None
    [entry] = await charges(ai_services, designer)
    assert entry.amount_usd == Decimal("0.000750")  # 1k x 0.00015 + 1k x 0.0006
    assert entry.details["used"] is False


async def test_a_dry_run_that_asks_the_model_is_charged_under_a_fresh_key(
    ai: httpx.AsyncClient, ai_services: Services, upstream: ChatUpstream, designer: AuthedUser
):
    upstream.script(completion(SPANISH_ANSWER), completion(SPANISH_ANSWER))
    first = await command(ai, designer, SPANISH, dry_run=True)
    second = await command(ai, designer, SPANISH, dry_run=True)
    for body in (first, second):
        assert body["command_id"] is None and body["job_id"] is None
        assert body["interpreted_by"] == "openai"
        assert body["spec"]["garment_type"] == "dress"
    history = (await ai.get("/api/voice/history", headers=designer.headers)).json()
    assert history["items"] == []
    entries = await charges(ai_services, designer)
    assert len(entries) == 2  # two calls made, two charges: each its own key
    keys = {e.idempotency_key for e in entries}
    assert len(keys) == 2
    for key in keys:
        prefix, _, rest = key.partition(":")
        assert prefix == "interpret"
        uuid.UUID(rest)


async def test_a_short_rate_limit_is_retried_once(
    ai: httpx.AsyncClient, ai_services: Services, upstream: ChatUpstream, designer: AuthedUser
):
    limited = Reply(
        status=429,
        json=openai_error("Rate limit reached for gpt-4o-mini", "requests", "rate_limit_exceeded"),
        headers={"retry-after-ms": "300", "retry-after": "1"},
    )
    upstream.script(limited, completion(SPANISH_ANSWER))
    started = time.monotonic()
    body = await command(ai, designer, SPANISH)
    assert time.monotonic() - started >= 0.3  # waited as told (the ms header first)
    assert len(upstream.requests) == 2
    assert body["interpreted_by"] == "openai"
    assert len(await charges(ai_services, designer)) == 1


def _rate_limit(**headers: str) -> Reply:
    body = openai_error("Rate limit reached for gpt-4o-mini", "requests", "rate_limit_exceeded")
    return Reply(status=429, json=body, headers=headers)


FAILURES = [
    pytest.param(
        [Reply(status=401, json=openai_error("Incorrect API key provided: sk-test***6789.",
                                             "invalid_request_error", "invalid_api_key"))],
        "unauthorized", 1, id="401",
    ),
    pytest.param(
        [Reply(status=403, json=openai_error("Country not supported", "request_forbidden",
                                             "unsupported_country_region_territory"))],
        "refused", 1, id="403",
    ),
    pytest.param(
        [Reply(status=400, json=openai_error("Invalid schema for response_format",
                                             "invalid_request_error", None))],
        "refused", 1, id="400",
    ),
    pytest.param(
        [Reply(status=429, json=openai_error("You exceeded your current quota",
                                             "insufficient_quota", "insufficient_quota"))],
        "quota", 1, id="429-quota-not-retried",
    ),
    pytest.param([_rate_limit(**{"retry-after": "30"})], "rate_limited", 1,
                 id="429-long-wait-not-retried"),
    pytest.param([_rate_limit(**{"retry-after-ms": "50"})] * 2, "rate_limited", 2,
                 id="429-twice"),
    pytest.param(
        [Reply(status=500, json=openai_error("The server had an error", "server_error", None))],
        "server_error", 1, id="500",
    ),
    pytest.param([Reply(status=503, text="upstream connect error")], "server_error", 1, id="503"),
    pytest.param([Reply(text="<html>bad gateway</html>")], "malformed", 1, id="not-json"),
    pytest.param([Reply(json={"object": "chat.completion", "choices": []})], "malformed", 1,
                 id="no-choices"),
    pytest.param([completion('{"intent": "generate", "garment_')], "malformed", 1,
                 id="content-not-json"),
    pytest.param([completion({"intent": "generate"})], "malformed", 1, id="not-the-schema"),
    pytest.param([completion(answer(intent="design"))], "malformed", 1, id="unknown-intent"),
    pytest.param([refusal()], "refusal", 1, id="refusal"),
    pytest.param([completion('{"intent": "generate", "quan', finish_reason="length")],
                 "truncated", 1, id="finish-length"),
    pytest.param([completion(SPANISH_ANSWER, usage=False)], "malformed", 1, id="no-usage"),
    pytest.param([completion(SPANISH_ANSWER, delay_s=TIMEOUT_S + 1.5)], "timeout", 1,
                 id="timeout"),
]  # fmt: skip


@pytest.mark.parametrize(("replies", "reason", "calls"), FAILURES)
async def test_every_failure_falls_back_to_the_rules_uncharged(
    ai: httpx.AsyncClient,
    ai_services: Services,
    upstream: ChatUpstream,
    designer: AuthedUser,
    replies: list[Reply],
    reason: str,
    calls: int,
):
    upstream.script(*replies)
    started = time.monotonic()
    body = await command(ai, designer, SPANISH)
    assert time.monotonic() - started < TIMEOUT_S + 1.0  # the designer is not held past it
    assert len(upstream.requests) == calls
    # The rules' reading, said as the rules say it: nothing claims the model's help.
    assert body["interpreted_by"] == "rules"
    rules = rules_view(SPANISH)
    assert {k: body[k] for k in rules} == rules
    assert body["reply"] == parse_command(SPANISH).reply == "On it: 2 designs."
    assert body["error"] is None and body["job_id"]
    assert await charges(ai_services, designer) == []
    row = await stored(ai_services, body["command_id"])
    assert row.result["interpretation"] == {"by": "rules", "fallback": reason}
    history = (await ai.get("/api/voice/history", headers=designer.headers)).json()
    assert history["items"][0]["interpreted_by"] == "rules"


async def test_no_model_call_when_the_budget_is_spent(
    ai: httpx.AsyncClient, ai_services: Services, upstream: ChatUpstream, designer: AuthedUser
):
    async with ai_services.sessionmaker() as db:
        await db.execute(
            update(User)
            .where(User.id == uuid.UUID(designer.id))
            .values(monthly_budget_usd=Decimal(0))
        )
        await db.commit()
    upstream.script(completion(SPANISH_ANSWER))
    body = await command(ai, designer, SPANISH, dry_run=True)
    assert upstream.requests == []
    assert body["interpreted_by"] == "rules"
    assert await charges(ai_services, designer) == []


async def test_unreachable_server_falls_back():
    interpreter = OpenAIInterpreter(
        KEY, base_url=f"http://127.0.0.1:{closed_port()}", timeout_s=TIMEOUT_S
    )
    result = await interpreter.interpret(SPANISH)
    assert (result.interpreted_by, result.fallback, result.call) == ("rules", "unreachable", None)
    assert result.parsed == parse_command(SPANISH)


# --------------------------------------------------------------------------- wiring


def test_the_interpreter_is_chosen_from_the_settings(tmp_path):
    prices = PriceTable.load()
    common: dict[str, Any] = {
        "openai_base_url": "http://127.0.0.1:9",
        "model": "gpt-4o-mini",
        "timeout_s": 5.0,
        "prices": prices,
    }
    assert isinstance(build_interpreter("auto", openai_api_key=None, **common), RuleInterpreter)
    assert isinstance(build_interpreter("rules", openai_api_key=KEY, **common), RuleInterpreter)
    chosen = build_interpreter("auto", openai_api_key=KEY, **common)
    assert isinstance(chosen, OpenAIInterpreter) and chosen.model == "gpt-4o-mini"
    assert isinstance(build_interpreter("openai", openai_api_key=KEY, **common), OpenAIInterpreter)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        build_interpreter("openai", openai_api_key=None, **common)
    with pytest.raises(ValueError, match="no 'interpret' price"):
        build_interpreter("auto", openai_api_key=KEY, **{**common, "model": "gpt-unpriced"})
    # A paid interpreter is never wired without the ledger.
    with pytest.raises(ValueError, match="needs billing"):
        CommandService(
            max_quantity=10, speech=None, speech_max_bytes=1, speech_max_seconds=1,
            interpreter=chosen,
        )  # fmt: skip
    # At startup it is a configuration error the operator reads.
    settings = make_settings(tmp_path, openai_api_key=KEY, openai_chat_model="gpt-unpriced")
    with pytest.raises(ConfigError, match="OPENAI_CHAT_MODEL"):
        build_services(settings)


# --------------------------------------------------------------------------- pure parts


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_the_schema_is_strict_and_made_of_the_taxonomy():
    schema = command_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    objects = list(_objects(schema))
    assert len(objects) == 3  # the answer, its exclusions, an evidence entry
    for obj in objects:  # strict mode: every property required, no others
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    taxonomy = get_taxonomy()
    for a in ATTRIBUTES:
        assert schema["$defs"][a.field]["enum"] == list(taxonomy.values(a.field))
        ref = {"$ref": f"#/$defs/{a.field}"}
        prop = schema["properties"][a.field]
        assert prop == (
            {"type": "array", "items": ref} if a.multi else {"anyOf": [ref, {"type": "null"}]}
        )
        assert schema["properties"]["exclude"]["properties"][a.exclude_key]["items"] == ref
    intents = schema["properties"]["intent"]["enum"]
    assert set(intents) == set(get_args(Intent)) and "generate" in intents
    jsonschema.validate(SPANISH_ANSWER, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(answer(colors=["ocean"]), schema)


@pytest.mark.parametrize(
    ("text", "unsure"),
    [
        ("make me 10 bohemian style dresses", False),
        ("make me a dress", False),
        ("whip up 2 slinky frocks", True),  # 0.76: a garment, unknown words
        ("hazme 3 vestidos rojos", True),
        ("what is the capital of peru", True),  # not understood at all
        ("", False),
        ("42", False),  # nothing to read
        ("5 dresses and 3 skirts in earth tones", False),  # several garments
        ("make me 5000 dresses", False),  # refused
        ("show me my outliers from last week", False),
        ("create a collection called Summer Capsule", False),
    ],
)
def test_when_the_rules_are_unsure(text: str, unsure: bool):
    assert is_unsure(parse_command(text), text) is unsure


def test_the_rules_confident_slots_win_the_model_fills_the_rest():
    text = "a black dress, no red"
    rules = parse_command(text)
    assert rules.spec.garment_type == "dress" and rules.spec.colors == ["black"]
    assert rules.spec.exclude.colors == ["red"]
    reading = ModelReading(
        intent="generate",
        quantity=7,
        spec=GarmentSpec.model_validate(
            {
                "garment_type": "gown",
                "neckline": "v-neck",
                "colors": ["red", "black", "navy"],
                "exclude": {"colors": ["black"], "patterns": ["floral"]},
            }
        ),
    )
    merged, filled = merge(rules, reading)
    assert merged.spec.garment_type == "dress"  # the rules' garment
    assert merged.spec.quantity == rules.spec.quantity == 1  # the rules' count
    assert merged.spec.colors == ["black", "navy"]  # red stays excluded
    assert merged.spec.exclude.colors == ["red"]  # black stays asked for
    assert merged.spec.neckline == "v-neck" and merged.spec.exclude.patterns == ["floral"]
    assert filled == ("neckline:v-neck", "colors:navy", "no patterns:floral")
    assert merged.specs == [merged.spec]
    assert rules.spec.neckline is None  # the rules' result is not changed in place
    # Another intent: the model's reading is not used.
    other = ModelReading(intent="show", quantity=None, spec=reading.spec)
    assert merge(rules, other) == (rules, ())


def test_an_answer_is_canonicalised_and_must_be_said():
    text = "2 frocks in Navy Blue with sheer sleeves, no earthy tones"
    reading = read_answer(
        answer(
            quantity=0,
            garment_type="Dresses",  # a plural, capitalised: canonical is "dress"
            colors=["navy"],
            details=["sheer"],
            exclude={"palettes": ["earth-tones"]},
            said={
                "Dresses": "frocks",
                "navy": "Navy Blue",
                "sheer": "sheer",
                "earth-tones": "earthy tones",
            },
        ),
        text,
    )
    assert reading.quantity is None and "quantity:0 (outside 1..100)" in reading.dropped
    assert reading.spec.garment_type == "dress"
    assert reading.spec.colors == ["navy"]
    assert reading.spec.details == ["sheer"]
    assert reading.spec.exclude.palettes == ["earth-tones"]
    # A palette stands for its colors, as when the rules read one.
    assert set(get_taxonomy().palette_colors("earth-tones")) <= set(reading.spec.exclude.colors)
    with pytest.raises(ValueError, match="intent"):
        read_answer({"intent": "design"}, text)
    with pytest.raises(ValueError, match="evidence"):
        read_answer({**answer(), "evidence": None}, text)
