"""An OpenAI chat model as a second reader of commands the rule parser is unsure of.

``POST {base_url}/v1/chat/completions`` with structured outputs (``response_format``
``json_schema``, strict) in the shape of `interpreter.command_schema`; the answer is
validated against the taxonomy (`read_answer`) and merged into the rules' reading
(`merge`). Any failure (no answer in time, 401, 429 past one short retry, 5xx, a refusal,
a truncated or malformed answer) is logged and the rules' reading is used as it is.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import structlog

from designer_bff.commands.interpreter import (
    SCHEMA_NAME,
    AnswerInvalid,
    CommandInterpreter,
    Interpretation,
    MaySpend,
    ModelCall,
    command_schema,
    is_unsure,
    merge,
    read_answer,
)
from designer_bff.commands.parser import (
    DEFAULT_MAX_QUANTITY,
    MAX_COMMAND_CHARS,
    ParseResult,
    parse_command,
)

log = structlog.get_logger("designer_bff.commands.interpreter")

DEFAULT_BASE_URL = "https://api.openai.com"
DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT_S = 10.0
# A rate limit is retried once, when the server asks for at most this wait (and the
# timeout leaves room for it); otherwise the rules answer at once.
RETRY_MAX_WAIT_S = 2.0
RETRY_DEFAULT_WAIT_S = 0.5
# The answer is a few hundred tokens; the cap bounds what a runaway answer can cost.
MAX_COMPLETION_TOKENS = 800

SYSTEM_PROMPT = """\
You read one command that a fashion designer typed or said to their design assistant, \
and answer in the given JSON schema what it asks for.
- intent: generate (new designs), variations (changes to a design they already have, \
"more like the last one but in navy"), show (browse their own designs), \
collection_create, collection_add, schedule_nightly, cost_report, cancel, help, or \
unknown when it is not a request to the assistant.
- quantity: how many designs are asked for; null when no number or amount is said.
- Every attribute takes only the schema's values: choose the value meaning what the \
designer said (synonyms, misspellings and other languages included). Leave an attribute \
null or empty when the designer did not say it. Never add what they did not ask for.
- exclude: values the designer asked not to have ("no sleeves", "without florals").
- evidence: one entry for every value you set (exclusions too): the value, and the \
exact words of the command it comes from."""


class InterpreterFailed(Exception):
    """The model gave no usable answer; `reason` is a short code for logs and history."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI's) or ``Retry-After`` (seconds)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / scale)
        except ValueError:
            continue
    return None


def _error(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) from OpenAI's ``{"error": {...}}`` body, where there is one."""
    try:
        body = response.json()
    except ValueError:
        return None, response.reason_phrase
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return None, response.reason_phrase
    code = err.get("code") if isinstance(err.get("code"), str) else None
    return code, str(err.get("message") or response.reason_phrase)[:200]


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class OpenAIInterpreter(CommandInterpreter):
    name = "openai"
    paid = True

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self._schema = command_schema()

    def health(self) -> dict[str, Any]:
        return {"interpreter": self.name, "model": self.model}

    def request_body(self, text: str) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": text},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": self._schema},
            },
            "max_completion_tokens": MAX_COMPLETION_TOKENS,
        }

    async def interpret(
        self,
        text: str,
        *,
        max_quantity: int = DEFAULT_MAX_QUANTITY,
        may_spend: MaySpend | None = None,
    ) -> Interpretation:
        rules = parse_command(text, max_quantity=max_quantity)
        if not is_unsure(rules, text):
            return Interpretation(rules)
        if may_spend is not None and not await may_spend():
            log.info("command_interpreter_skipped", reason="budget")
            return Interpretation(rules, fallback="budget")
        started = time.monotonic()
        try:
            answer, call = await self._ask(text[:MAX_COMMAND_CHARS])
            reading = read_answer(answer, text, max_quantity=max_quantity)
        except InterpreterFailed as exc:
            return self._fallback(rules, exc.reason, exc.detail, started)
        except AnswerInvalid as exc:
            # Not the schema's shape: no answer to use, so (like any failed call) no charge.
            return self._fallback(rules, "malformed", str(exc), started)
        parsed, filled = merge(rules, reading)
        log.info(
            "command_interpreted",
            model=self.model,
            used=bool(filled),
            filled=list(filled),
            dropped=list(reading.dropped),
            tokens_in=call.tokens_in,
            tokens_out=call.tokens_out,
            ms=round((time.monotonic() - started) * 1000, 1),
        )
        return Interpretation(
            parsed,
            interpreted_by="openai" if filled else "rules",
            call=call,
            filled=filled,
            dropped=reading.dropped,
        )

    def _fallback(
        self, rules: ParseResult, reason: str, detail: str, started: float
    ) -> Interpretation:
        log.warning(
            "command_interpreter_fallback",
            model=self.model,
            reason=reason,
            detail=detail,
            ms=round((time.monotonic() - started) * 1000, 1),
        )
        return Interpretation(rules, fallback=reason)

    async def _ask(self, text: str) -> tuple[Any, ModelCall]:
        """One call (one retry of a short rate limit) within `timeout_s` in all."""
        url = f"{self.base_url}/v1/chat/completions"
        headers = {"Authorization": f"Bearer {self._api_key}"}
        body = self.request_body(text)
        deadline = time.monotonic() + self.timeout_s
        timeout = httpx.Timeout(self.timeout_s, connect=min(5.0, self.timeout_s))
        try:
            async with asyncio.timeout(self.timeout_s):
                # A client per call: only uncertain commands get here, and it keeps no
                # connection pool tied to one event loop or needing to be closed.
                async with httpx.AsyncClient(timeout=timeout) as client:
                    response = await client.post(url, json=body, headers=headers)
                    wait = self._rate_limit_wait(response, deadline)
                    if wait is not None:
                        await asyncio.sleep(wait)
                        response = await client.post(url, json=body, headers=headers)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise InterpreterFailed("timeout", f"no answer within {self.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise InterpreterFailed("unreachable", type(exc).__name__) from exc
        return self._read(response)

    def _rate_limit_wait(self, response: httpx.Response, deadline: float) -> float | None:
        """How long to wait before the one retry of a 429, or None for no retry."""
        if response.status_code != 429:
            return None
        code, _ = _error(response)
        if code == "insufficient_quota":  # billing, not a rate limit: waiting won't help
            return None
        wait = _retry_after(response.headers)
        wait = RETRY_DEFAULT_WAIT_S if wait is None else wait
        # Room for the wait and a second answer; otherwise the rules answer now.
        if wait > RETRY_MAX_WAIT_S or time.monotonic() + wait >= deadline - 0.5:
            return None
        return wait

    def _read(self, response: httpx.Response) -> tuple[Any, ModelCall]:
        status = response.status_code
        if not response.is_success:
            code, message = _error(response)
            if status == 401:
                # The upstream message echoes part of the key: keep it out of the logs.
                raise InterpreterFailed("unauthorized", "the API key was rejected")
            reason = (
                "quota"
                if code == "insufficient_quota"
                else "rate_limited"
                if status == 429
                else "server_error"
                if status >= 500
                else "refused"
            )
            raise InterpreterFailed(reason, f"{status} {code or ''}: {message}".strip())
        try:
            body = response.json()
            choice = body["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise InterpreterFailed("malformed", "no choices[0].message in the reply") from exc
        if not isinstance(message, dict):
            raise InterpreterFailed("malformed", "choices[0].message is not an object")
        refusal = message.get("refusal")
        if refusal:
            raise InterpreterFailed("refusal", str(refusal)[:200])
        finish = choice.get("finish_reason") if isinstance(choice, dict) else None
        if finish == "length":
            raise InterpreterFailed("truncated", "the answer hit the token limit")
        if finish != "stop":
            raise InterpreterFailed("malformed", f"finish_reason {finish!r}")
        content = message.get("content")
        if not isinstance(content, str):
            raise InterpreterFailed("malformed", "no content")
        try:
            answer = json.loads(content)
        except ValueError as exc:
            raise InterpreterFailed("malformed", "the content is not JSON") from exc
        usage = body.get("usage") if isinstance(body, dict) else None
        usage = usage if isinstance(usage, dict) else {}
        tokens_in, tokens_out = (
            _count(usage.get("prompt_tokens")),
            _count(usage.get("completion_tokens")),
        )
        if tokens_in is None or tokens_out is None:
            # Without usage the call cannot be priced, so its answer is not used either.
            raise InterpreterFailed("malformed", "no token usage in the reply")
        answered_by = body.get("model")
        call = ModelCall(
            provider="openai",
            model=self.model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            response_model=answered_by if isinstance(answered_by, str) else None,
        )
        return answer, call
