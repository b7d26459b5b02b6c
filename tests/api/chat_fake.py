"""A local OpenAI Chat Completions upstream for the command interpreter's tests.

It is the speech tests' `FakeUpstream` (a real uvicorn server on 127.0.0.1 answering
scripted replies in order and recording every request), limited to
``POST /v1/chat/completions``, plus builders of the documented reply shapes: a completion
(``choices[0].message.content`` holding the structured answer, ``usage`` with the token
counts), a refusal, and the ``{"error": {...}}`` body of failures.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from designer_bff.garments.spec import ATTRIBUTES
from tests.speech.speech_testkit import FakeUpstream, Reply

CHAT_PATH = "/v1/chat/completions"
# The snapshot the API names in its replies for the gpt-4o-mini alias.
SNAPSHOT = "gpt-4o-mini-2024-07-18"

__all__ = [
    "CHAT_PATH",
    "ChatUpstream",
    "Reply",
    "answer",
    "completion",
    "openai_error",
    "refusal",
]


class ChatUpstream(FakeUpstream):
    """Only the chat endpoint consumes scripted replies; any other path (an image call a
    queued design might make) answers OpenAI's 404 and is not recorded."""

    async def _handle(self, request: Request) -> Response:
        if request.url.path != CHAT_PATH:
            return JSONResponse(
                openai_error("Unknown request URL", "invalid_request_error", "unknown_url"), 404
            )
        return await super()._handle(request)

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies the chat endpoint received, in order."""
        return [json.loads(r.body) for r in self.requests]


def openai_error(message: str, type_: str, code: str | None) -> dict[str, Any]:
    """The documented error body: {"error": {"message", "type", "param", "code"}}."""
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def answer(
    intent: str = "generate",
    quantity: int | None = None,
    *,
    said: dict[str, str] | None = None,
    exclude: dict[str, list[str]] | None = None,
    **attributes: Any,
) -> dict[str, Any]:
    """A structured answer in the garment_command schema: every property present (strict
    mode), unset attributes null / []. `said` maps each value to the command's words the
    model quotes for it (the schema's `evidence`)."""
    out: dict[str, Any] = {"intent": intent, "quantity": quantity}
    for a in ATTRIBUTES:
        out[a.field] = attributes.pop(a.field, [] if a.multi else None)
    assert not attributes, f"not spec attributes: {sorted(attributes)}"
    out["exclude"] = {
        a.exclude_key: list((exclude or {}).get(a.exclude_key, [])) for a in ATTRIBUTES
    }
    out["evidence"] = [{"value": v, "words": w} for v, w in (said or {}).items()]
    return out


def _body(message: dict[str, Any], finish_reason: str, usage: dict[str, Any] | None) -> dict:
    body: dict[str, Any] = {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": SNAPSHOT,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}
        ],
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
    }
    if usage is not None:
        body["usage"] = usage
    return body


def completion(
    content: dict[str, Any] | str,
    *,
    tokens_in: int = 900,
    tokens_out: int = 120,
    finish_reason: str = "stop",
    usage: bool = True,
    **reply: Any,
) -> Reply:
    """A 200 reply whose message content is the answer (a dict is sent as its JSON)."""
    text = content if isinstance(content, str) else json.dumps(content)
    counts = {
        "prompt_tokens": tokens_in,
        "completion_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
    return Reply(json=_body(message, finish_reason, counts if usage else None), **reply)


def refusal(text: str = "I'm sorry, I cannot assist with that request.") -> Reply:
    """A structured-outputs refusal: no content, the reason in `message.refusal`."""
    message = {"role": "assistant", "content": None, "refusal": text, "annotations": []}
    return Reply(json=_body(message, "stop", {"prompt_tokens": 80, "completion_tokens": 10}))
