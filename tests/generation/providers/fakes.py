"""Fake OpenAI Images, Replicate and Stability AI servers: real HTTP servers on 127.0.0.1
(Starlette under uvicorn, in a thread of their own) that speak each vendor's documented
request and response shapes, errors included, so the providers are tested over sockets.

    with fake_openai() as server:              # or fake_replicate(), fake_stability()
        settings = Settings(openai_api_key=server.api_key, openai_base_url=server.base_url)
        server.script(["429:2", "ok"])         # what the next requests get, in order
        ...                                    # then "ok" for every request after those
        server.requests                        # every request received (Received)
        server.sent("POST", "/v1/images/generations")[0].json["size"]

Each server checks the Bearer key (`api_key`, "test-key" unless given): a wrong one gets
the vendor's 401 without using a step. Requests the vendor would reject as invalid (a
size the model does not offer, an unknown model) get its 400/422 without using a step.
Outputs are real PNGs made with Pillow: small (1/16 of the requested size, or 64 px on
the short side for an aspect ratio), with the requested proportions; an upscaler's output
is the image it was sent, scaled.

Steps (strings, "kind" or "kind:arg"), for every server:
    "ok"                answer as the vendor does on success
    "slow:S"            wait S seconds, then "ok" (for client timeouts)
    "NNN"               that HTTP status with the vendor's error body (401, 403, 500, ...)
    "429" / "429:S"     rate limited, with `Retry-After: S`; "429:date:S" an HTTP date S s ahead
    "malformed"         a 200 whose body is not JSON (Stability: a JSON body, not an image)
    "not-image"         a 200 whose image is not an image
    "refused"           the vendor's content-policy refusal
OpenAI:    "ok:url" (answer a URL even if b64_json was asked), "quota" (429 insufficient_quota),
           "no-data" (a 200 with an empty `data`)
Replicate: the create request and each poll use one step each: "starting", "processing"
           (not finished yet), "ok"/"succeeded", "failed" / "failed:TEXT" (a failed
           prediction), "nsfw" (failed by the safety checker), "canceled", "empty"
           (succeeded without output)
Stability: "filtered" (a 200 with `finish-reason: CONTENT_FILTERED` and a blurred image),
           "quota" (402)
Downloads of output files (GET /files/...) follow `script(..., downloads=[...])`: "ok",
"NNN", "slow:S", "not-image".
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import io
import json
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from PIL import Image, ImageDraw, ImageFilter
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from designer_bff.garments.spec import GarmentSpec
from designer_bff.generation.providers.base import DesignRequest

DEFAULT_KEY = "test-key"
NOT_AN_IMAGE = b"\x89PNG\r\n\x1a\n" + b"this is not the rest of a PNG file" * 4


def make_png(width: int, height: int, color: tuple[int, int, int] = (178, 112, 84)) -> bytes:
    """A real PNG: a coloured field with a darker panel (not one flat colour)."""
    image = Image.new("RGB", (max(1, width), max(1, height)), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle(
        (width // 4, height // 4, 3 * width // 4, 3 * height // 4),
        fill=tuple(c // 2 for c in color),
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def ratio_size(ratio: str, short_side: int = 64) -> tuple[int, int]:
    """Pixels for an aspect ratio "W:H", the shorter side `short_side`."""
    w, h = (int(part) for part in ratio.split(":"))
    if w >= h:
        return round(short_side * w / h), short_side
    return short_side, round(short_side * h / w)


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str | None, str | None, bytes]] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass(frozen=True)
class Step:
    kind: str
    arg: str | None = None

    @classmethod
    def parse(cls, text: str | Step) -> Step:
        if isinstance(text, Step):
            return text
        kind, sep, arg = text.partition(":")
        return cls(kind, arg if sep else None)

    @property
    def status(self) -> int | None:
        return int(self.kind) if self.kind.isdigit() else None


def retry_after_header(arg: str | None) -> dict[str, str]:
    if arg is None:
        return {}
    if arg.startswith("date:"):
        when = datetime.now(UTC) + timedelta(seconds=float(arg[5:]))
        return {"Retry-After": email.utils.format_datetime(when, usegmt=True)}
    return {"Retry-After": arg}


class LoopbackServer:
    """Any ASGI app served by uvicorn on 127.0.0.1 (a free port) in a thread of its own,
    so it never depends on the test's event loop."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", http="h11", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake server did not start")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = self._thread = None


class FakeVendor:
    """What the three fakes share: the server, the script, the record of requests and
    the output files (served at GET /files/{name}, without auth, like a CDN)."""

    def __init__(self, *, api_key: str = DEFAULT_KEY, default: str = "ok") -> None:
        self.api_key = api_key
        self.requests: list[Received] = []
        self.files: dict[str, bytes] = {}
        self._steps: deque[Step] = deque()
        self._downloads: deque[Step] = deque()
        self._initial_default = self._default = Step.parse(default)
        self._lock = threading.Lock()
        self._server = LoopbackServer(
            Starlette(
                routes=[
                    Route(
                        "/{path:path}",
                        self._endpoint,
                        methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
                    )
                ]
            )
        )

    # -- the test's side --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> FakeVendor:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeVendor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(
        self,
        steps: Iterable[str | Step] = (),
        *,
        downloads: Iterable[str | Step] = (),
        default: str | None = None,
    ) -> None:
        """What the next requests get, in order, then `default` (the server's own default,
        "ok" unless told, when not given); forgets the requests received so far."""
        with self._lock:
            self._steps = deque(Step.parse(s) for s in steps)
            self._downloads = deque(Step.parse(s) for s in downloads)
            self._default = self._initial_default if default is None else Step.parse(default)
            self.requests.clear()

    @property
    def steps_left(self) -> int:
        return len(self._steps)

    def sent(self, method: str | None = None, path: str | None = None) -> list[Received]:
        """The requests received, filtered by method and by path (prefix)."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path.startswith(path))
        ]

    def file_url(self, data: bytes, ext: str = "png") -> str:
        name = f"{uuid.uuid4().hex}.{ext}"
        self.files[name] = data
        return f"{self.base_url}/files/{name}"

    # -- the server's side ------------------------------------------------------------

    def next_step(self) -> Step:
        with self._lock:
            return self._steps.popleft() if self._steps else self._default

    async def _endpoint(self, request: Request) -> Response:
        received = await self._record(request)
        if received.path.startswith("/files/"):
            return await self._download(received)
        if received.authorization != f"Bearer {self.api_key}":
            return self.error(401)
        return await self.handle(received)

    async def _record(self, request: Request) -> Received:
        body = await request.body()
        received = Received(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers=dict(request.headers),
            body=body,
        )
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            async with request.form() as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        received.files[key] = (
                            value.filename,
                            value.content_type,
                            await value.read(),
                        )
                    else:
                        received.form[key] = value
        self.requests.append(received)
        return received

    async def _download(self, received: Received) -> Response:
        with self._lock:
            step = self._downloads.popleft() if self._downloads else Step("ok")
        if step.kind == "slow":
            await asyncio.sleep(float(step.arg or 1))
        if step.status is not None:
            return Response(b"<Error>nope</Error>", step.status, media_type="application/xml")
        data = self.files.get(received.path.removeprefix("/files/"))
        if data is None:
            return Response(b"<Error>NoSuchKey</Error>", 404, media_type="application/xml")
        if step.kind == "not-image":
            data = NOT_AN_IMAGE
        return Response(data, media_type="image/png")

    async def take_step(self) -> Step:
        """The next step, "slow:S" having waited (it then answers as "ok")."""
        step = self.next_step()
        if step.kind == "slow":
            await asyncio.sleep(float(step.arg or 1))
            return Step("ok")
        return step

    def status_reply(self, step: Step) -> Response | None:
        """The reply to an "NNN" step, None for other steps."""
        status = step.status
        if status is None:
            return None
        return self.error(status, headers=retry_after_header(step.arg) if status == 429 else {})

    def error(
        self, status: int, message: str | None = None, *, headers: dict[str, str] | None = None
    ) -> Response:
        """The vendor's error reply (its own body shape) for this status."""
        raise NotImplementedError

    async def handle(self, received: Received) -> Response:
        raise NotImplementedError


# --- OpenAI Images ------------------------------------------------------------------

_OPENAI_MODELS: dict[str, dict[str, tuple[str, ...]]] = {
    "gpt-image-1": {
        "size": ("1024x1024", "1024x1536", "1536x1024", "auto"),
        "quality": ("low", "medium", "high", "auto"),
    },
    "dall-e-3": {
        "size": ("1024x1024", "1024x1792", "1792x1024"),
        "quality": ("standard", "hd"),
    },
}
_OPENAI_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided: te**ey. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: ("invalid_request_error", None, "Your organization must be verified to use this model."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit exceeded for images per minute in organization org-test. Limit: 5/1min.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


class FakeOpenAI(FakeVendor):
    """`POST /v1/images/generations` as OpenAI documents it."""

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        default_type, default_code, default_message = _OPENAI_ERRORS.get(
            status, ("server_error" if status >= 500 else "invalid_request_error", None, "Error.")
        )
        body = {
            "error": {
                "message": message or default_message,
                "type": type or default_type,
                "param": param,
                "code": code or default_code,
            }
        }
        return JSONResponse(body, status, headers=headers)

    def _invalid(self, body: Any) -> Response | None:
        if not isinstance(body, dict):
            return self.error(400, "We could not parse the JSON body of your request.")
        model = body.get("model", "dall-e-2")
        if model not in _OPENAI_MODELS:
            return self.error(404, f"The model '{model}' does not exist.", code="model_not_found")
        if not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return self.error(400, "Missing required parameter: 'prompt'.", param="prompt")
        for key, allowed in _OPENAI_MODELS[model].items():
            if key in body and body[key] not in allowed:
                return self.error(
                    400,
                    f"Invalid value: '{body[key]}'. Supported values are: {allowed}.",
                    param=key,
                    code="invalid_value",
                )
        if model == "gpt-image-1" and "response_format" in body:
            return self.error(400, "Unknown parameter: 'response_format'.", param="response_format")
        if body.get("response_format", "url") not in ("url", "b64_json"):
            return self.error(400, "Invalid response_format.", param="response_format")
        if model == "dall-e-3" and body.get("n", 1) != 1:
            return self.error(400, "You must provide n=1 for this model.", param="n")
        return None

    async def handle(self, received: Received) -> Response:
        if (received.method, received.path) != ("POST", "/v1/images/generations"):
            return self.error(404, f"Invalid URL ({received.method} {received.path})")
        try:
            body = received.json
        except ValueError:
            body = None
        invalid = self._invalid(body)
        if invalid is not None:
            return invalid
        step = await self.take_step()
        if (reply := self.status_reply(step)) is not None:
            return reply
        model = body["model"]
        if step.kind == "refused":
            if model == "gpt-image-1":
                return self.error(
                    400,
                    "Your request was rejected by the safety system. safety_violations=[sexual].",
                    type="image_generation_user_error",
                    code="moderation_blocked",
                )
            return self.error(
                400,
                "Your request was rejected as a result of our safety system. Your prompt may "
                "contain text that is not allowed by our safety system.",
                code="content_policy_violation",
            )
        if step.kind == "quota":
            return self.error(
                429,
                "You exceeded your current quota, please check your plan and billing details.",
                type="insufficient_quota",
                code="insufficient_quota",
            )
        if step.kind == "malformed":
            return Response(b'{"created": 1, "data": [{"b64_json": "iVBO', 200)
        if step.kind == "no-data":
            return JSONResponse({"created": int(time.time()), "data": []})
        size = body.get("size", "1024x1024")
        width, height = (1024, 1024) if size == "auto" else map(int, size.split("x"))
        png = NOT_AN_IMAGE if step.kind == "not-image" else make_png(width // 16, height // 16)
        item: dict[str, Any]
        as_url = step.arg == "url" or (
            model != "gpt-image-1" and body.get("response_format", "url") == "url"
        )
        if as_url:
            item = {"url": self.file_url(png)}
        else:
            item = {"b64_json": base64.b64encode(png).decode()}
        if model == "dall-e-3":
            item["revised_prompt"] = body["prompt"]
        answer: dict[str, Any] = {"created": int(time.time()), "data": [item]}
        if model == "gpt-image-1":
            answer["usage"] = {"input_tokens": 50, "output_tokens": 4160, "total_tokens": 4210}
        return JSONResponse(answer)


# --- Replicate ----------------------------------------------------------------------

# Official models: input -> allowed values (None: any), and whether output is a list.
_REPLICATE_MODELS: dict[str, dict[str, Any]] = {
    "google/imagen-4": {
        "aspect_ratio": ("1:1", "9:16", "16:9", "3:4", "4:3"),
        "output_format": ("jpg", "png"),
        "safety_filter_level": (
            "block_low_and_above",
            "block_medium_and_above",
            "block_only_high",
        ),
        "list": False,
    },
    "black-forest-labs/flux-schnell": {
        "aspect_ratio": (
            "1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21",
        ),
        "output_format": ("webp", "jpg", "png"),
        "list": True,
    },
    "black-forest-labs/flux-1.1-pro": {
        "aspect_ratio": ("custom", "1:1", "16:9", "3:2", "2:3", "4:5", "5:4", "9:16", "3:4", "4:3"),
        "output_format": ("webp", "jpg", "png"),
        "list": False,
    },
}  # fmt: skip
# Community models, run by version: the version ids the fake knows -> model.
DEFAULT_VERSIONS = {
    "f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa": "nightmareai/real-esrgan",
    "0fbacf7afc6c144e5be9767cff80f25aff23e52b0708f17e20f9879b2f21516c": "tencentarc/gfpgan",
}
# Community model -> its image input's name.
_IMAGE_INPUT = {"nightmareai/real-esrgan": "image", "tencentarc/gfpgan": "img"}
_REPLICATE_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    402: "Payment required",
    403: "Forbidden",
    404: "Not found",
    422: "Input validation failed",
    429: "Request was throttled",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}
NSFW_ERROR = "NSFW content detected. Try running it again, or try a different prompt."


class FakeReplicate(FakeVendor):
    """Replicate's predictions API (official models by name, community models by
    version), polling, cancel, the Files API and output file downloads."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        default: str = "ok",
        versions: dict[str, str] | None = None,
    ) -> None:
        super().__init__(api_key=api_key, default=default)
        self.versions = dict(DEFAULT_VERSIONS if versions is None else versions)
        self.predictions: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> Response:
        detail = message
        if detail is None:
            if status == 401:
                detail = "You did not pass a valid authentication token"
            elif status == 429:
                seconds = (headers or {}).get("Retry-After", "1")
                seconds = seconds if seconds.replace(".", "", 1).isdigit() else "1"
                detail = f"Request was throttled. Expected available in {seconds} second."
            else:
                detail = _REPLICATE_TITLES.get(status, "Error")
        body = {
            "title": _REPLICATE_TITLES.get(status, "Error"),
            "detail": detail,
            "status": status,
            **extra,
        }
        return JSONResponse(body, status, headers=headers, media_type="application/problem+json")

    def _invalid_field(self, field_name: str, description: str) -> Response:
        return self.error(
            422,
            f"- input.{field_name}: {description}",
            invalid_fields=[
                {"type": "invalid", "field": f"input.{field_name}", "description": description}
            ],
        )

    async def handle(self, received: Received) -> Response:
        method, path = received.method, received.path
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 5 and parts[:2] == ["v1", "models"]:
            if parts[4] != "predictions":
                return self.error(404)
            return await self._create(received, model=f"{parts[2]}/{parts[3]}")
        if method == "POST" and parts == ["v1", "predictions"]:
            return await self._create(received, model=None)
        if parts[:2] == ["v1", "predictions"] and len(parts) >= 3:
            prediction = self.predictions.get(parts[2])
            if prediction is None:
                return self.error(404, "The requested resource could not be found.")
            if method == "GET" and len(parts) == 3:
                return await self._advance(prediction)
            if method == "POST" and parts[3:] == ["cancel"]:
                if prediction["status"] not in ("succeeded", "failed", "canceled"):
                    prediction["status"] = "canceled"
                return JSONResponse(prediction)
        if parts[:2] == ["v1", "files"]:
            return self._files(received, parts)
        return self.error(404, "The requested resource could not be found.")

    def _files(self, received: Received, parts: list[str]) -> Response:
        if received.method == "POST" and len(parts) == 2:
            if "content" not in received.files:
                return self.error(400, "Missing file content.")
            filename, content_type, data = received.files["content"]
            file_id = uuid.uuid4().hex[:24]
            self.uploads[file_id] = data
            return JSONResponse(
                {
                    "id": file_id,
                    "name": filename,
                    "content_type": content_type,
                    "size": len(data),
                    "etag": uuid.uuid4().hex,
                    "checksums": {},
                    "metadata": {},
                    "created_at": datetime.now(UTC).isoformat(),
                    "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                    "urls": {"get": f"{self.base_url}/v1/files/{file_id}"},
                },
                201,
            )
        if received.method == "DELETE" and len(parts) == 3:
            if self.uploads.pop(parts[2], None) is None:
                return self.error(404)
            return Response(status_code=204)
        return self.error(404)

    def _check_input(self, model: str, payload: dict[str, Any]) -> Response | None:
        if model in _REPLICATE_MODELS:
            if not isinstance(payload.get("prompt"), str) or not payload["prompt"]:
                return self._invalid_field("prompt", "prompt is required")
            for key, allowed in _REPLICATE_MODELS[model].items():
                if key != "list" and key in payload and payload[key] not in allowed:
                    return self._invalid_field(
                        key, f"{key} must be one of the following: {allowed}"
                    )
            seed = payload.get("seed")
            if seed is not None and (not isinstance(seed, int) or not 0 <= seed < 2**32):
                return self._invalid_field("seed", "seed must be a 32-bit integer")
            return None
        image_key = _IMAGE_INPUT[model]
        if not isinstance(payload.get(image_key), str):
            return self._invalid_field(image_key, f"{image_key} is required")
        try:
            self._resolve_file(payload[image_key])
        except ValueError as exc:
            return self._invalid_field(image_key, str(exc))
        scale = payload.get("scale", 2)
        if not isinstance(scale, int | float) or not 0 < scale <= 10:
            return self._invalid_field("scale", "scale must be between 0 and 10")
        return None

    def _resolve_file(self, ref: str) -> bytes:
        if ref.startswith("data:"):
            header, _, data = ref.partition(",")
            if not header.endswith(";base64"):
                raise ValueError("data URI is not base64")
            return base64.b64decode(data)
        prefix = f"{self.base_url}/v1/files/"
        if ref.startswith(prefix) and ref[len(prefix) :] in self.uploads:
            return self.uploads[ref[len(prefix) :]]
        raise ValueError(f"cannot read file {ref[:60]!r}")

    async def _create(self, received: Received, model: str | None) -> Response:
        try:
            body = received.json
        except ValueError:
            return self.error(400, "Invalid JSON body.")
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            return self.error(422, "- input: input is required")
        version = None
        if model is None:
            version = body.get("version")
            model = self.versions.get(str(version))
            if model is None:
                return self.error(
                    422,
                    "The specified version does not exist (or perhaps you don't have "
                    "permission to use it?)",
                )
        elif model not in _REPLICATE_MODELS:
            return self.error(404, "The requested resource could not be found.")
        invalid = self._check_input(model, body["input"])
        if invalid is not None:
            return invalid
        pid = uuid.uuid4().hex[:26]
        prediction: dict[str, Any] = {
            "id": pid,
            "model": model,
            "version": version or "hidden",
            "input": body["input"],
            "logs": "",
            "output": None,
            "data_removed": False,
            "error": None,
            "status": "starting",
            "created_at": datetime.now(UTC).isoformat(),
            "urls": {
                "cancel": f"{self.base_url}/v1/predictions/{pid}/cancel",
                "get": f"{self.base_url}/v1/predictions/{pid}",
                "stream": f"{self.base_url}/stream/{pid}",
                "web": f"https://replicate.com/p/{pid}",
            },
        }
        step = await self.take_step()
        if (reply := self.status_reply(step)) is not None:
            return reply
        if step.kind == "malformed":
            return Response(b'{"id": "' + pid.encode(), 201, media_type="application/json")
        self.predictions[pid] = prediction
        self._apply(prediction, step)
        return JSONResponse(prediction, 201)

    async def _advance(self, prediction: dict[str, Any]) -> Response:
        if prediction["status"] in ("succeeded", "failed", "canceled"):
            return JSONResponse(prediction)
        step = await self.take_step()
        if (reply := self.status_reply(step)) is not None:
            return reply
        if step.kind == "malformed":
            return Response(b"<html>upstream hiccup</html>", 200, media_type="text/html")
        self._apply(prediction, step)
        return JSONResponse(prediction)

    def _output(self, prediction: dict[str, Any], not_image: bool) -> Any:
        model, payload = prediction["model"], prediction["input"]
        if not_image:
            png = NOT_AN_IMAGE
        elif model in _REPLICATE_MODELS:
            png = make_png(*ratio_size(payload.get("aspect_ratio", "1:1")))
        else:
            source = self._resolve_file(payload[_IMAGE_INPUT[model]])
            scale = payload.get("scale", 2)
            with Image.open(io.BytesIO(source)) as image:
                bigger = image.convert("RGB").resize(
                    (round(image.width * scale), round(image.height * scale))
                )
            out = io.BytesIO()
            bigger.save(out, "PNG")
            png = out.getvalue()
        url = self.file_url(png)
        return [url] if _REPLICATE_MODELS.get(model, {}).get("list") else url

    def _apply(self, prediction: dict[str, Any], step: Step) -> None:
        kind = step.kind
        if kind in ("starting", "processing"):
            prediction["status"] = kind
            if kind == "processing":
                prediction["started_at"] = datetime.now(UTC).isoformat()
                prediction["logs"] = "Using seed: 1\n"
        elif kind in ("ok", "succeeded", "not-image", "empty"):
            prediction["status"] = "succeeded"
            prediction["output"] = (
                None if kind == "empty" else self._output(prediction, kind == "not-image")
            )
            prediction["completed_at"] = datetime.now(UTC).isoformat()
            prediction["metrics"] = {"predict_time": 0.42}
        elif kind in ("failed", "nsfw", "refused"):
            prediction["status"] = "failed"
            prediction["error"] = (
                NSFW_ERROR
                if kind != "failed"
                else (step.arg or "CUDA error: device-side assert triggered")
            )
            prediction["completed_at"] = datetime.now(UTC).isoformat()
        elif kind == "canceled":
            prediction["status"] = "canceled"
        else:
            raise ValueError(f"FakeReplicate has no step {kind!r}")


# --- Stability AI -------------------------------------------------------------------

_STABILITY_RATIOS = ("16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
_STABILITY_FORMATS = {"core": ("png", "jpeg", "webp"), "ultra": ("png", "jpeg", "webp")}
_SD3_MODELS = ("sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium", "sd3.5-flash")
_STABILITY_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Invalid parameters."),
    401: ("unauthorized", "authorization: missing or invalid API key"),
    402: ("payment_required", "You lack sufficient credits to make this request."),
    403: (
        "content_moderation",
        "Your request was flagged by our content moderation system, as a result your request "
        "was denied and you were not charged.",
    ),
    404: ("not_found", "Not found."),
    413: ("payload_too_large", "Your request was larger than 10MiB."),
    422: ("invalid_language", "English is the only supported language for this service."),
    429: (
        "rate_limit_exceeded",
        "You have exceeded the rate limit of 150 requests within a 10 second period.",
    ),
    500: ("internal_error", "An unexpected server error has occurred, please try again later."),
}


class FakeStability(FakeVendor):
    """`POST /v2beta/stable-image/generate/{core,ultra,sd3}` as Stability AI documents it."""

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        default_name, default_message = _STABILITY_ERRORS.get(
            status, ("internal_error" if status >= 500 else "bad_request", "Error.")
        )
        body = {
            "id": uuid.uuid4().hex,
            "name": name or default_name,
            "errors": [message or default_message],
        }
        return JSONResponse(body, status, headers=headers)

    def _invalid(self, received: Received, endpoint: str) -> Response | None:
        if not received.headers.get("content-type", "").startswith("multipart/form-data"):
            return self.error(400, "content-type: must be multipart/form-data")
        accept = received.headers.get("accept", "image/*")
        if accept not in ("image/*", "application/json"):
            return self.error(400, "accept: must be image/* or application/json")
        form = received.form
        if not form.get("prompt"):
            return self.error(400, "prompt: cannot be empty")
        if form.get("aspect_ratio", "1:1") not in _STABILITY_RATIOS:
            return self.error(400, f"aspect_ratio: must be one of {_STABILITY_RATIOS}")
        formats = _STABILITY_FORMATS.get(endpoint, ("png", "jpeg"))
        if form.get("output_format", "png") not in formats:
            return self.error(400, f"output_format: must be one of {formats}")
        seed = form.get("seed", "0")
        if not seed.isdigit() or int(seed) > 4_294_967_294:
            return self.error(400, "seed: must be a number between 0 and 4294967294")
        if endpoint == "sd3" and form.get("model", "sd3.5-large") not in _SD3_MODELS:
            return self.error(400, f"model: must be one of {_SD3_MODELS}")
        return None

    async def handle(self, received: Received) -> Response:
        prefix = "/v2beta/stable-image/generate/"
        endpoint = received.path.removeprefix(prefix)
        if (
            received.method != "POST"
            or not received.path.startswith(prefix)
            or endpoint not in ("core", "ultra", "sd3")
        ):
            return self.error(404)
        invalid = self._invalid(received, endpoint)
        if invalid is not None:
            return invalid
        step = await self.take_step()
        if (reply := self.status_reply(step)) is not None:
            return reply
        if step.kind == "refused":
            return self.error(403)
        if step.kind == "quota":
            return self.error(402)
        if step.kind == "malformed":
            return JSONResponse({"id": uuid.uuid4().hex, "status": "in-progress"})
        form = received.form
        width, height = ratio_size(form.get("aspect_ratio", "1:1"))
        png = make_png(width, height)
        finish = "SUCCESS"
        if step.kind == "filtered":
            finish = "CONTENT_FILTERED"
            with Image.open(io.BytesIO(png)) as image:
                blurred = image.filter(ImageFilter.GaussianBlur(8))
            out = io.BytesIO()
            blurred.save(out, "PNG")
            png = out.getvalue()
        elif step.kind == "not-image":
            png = NOT_AN_IMAGE
        seed = form.get("seed", "0")
        headers = {"finish-reason": finish, "seed": seed, "x-request-id": uuid.uuid4().hex}
        if received.headers.get("accept") == "application/json":
            return JSONResponse(
                {"image": base64.b64encode(png).decode(), "finish_reason": finish, "seed": seed},
                headers=headers,
            )
        return Response(png, media_type="image/png", headers=headers)


# --- context managers ---------------------------------------------------------------


@contextmanager
def fake_openai(**kwargs: Any) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(**kwargs) as server:
        assert isinstance(server, FakeOpenAI)
        yield server


@contextmanager
def fake_replicate(**kwargs: Any) -> Iterator[FakeReplicate]:
    with FakeReplicate(**kwargs) as server:
        assert isinstance(server, FakeReplicate)
        yield server


@contextmanager
def fake_stability(**kwargs: Any) -> Iterator[FakeStability]:
    with FakeStability(**kwargs) as server:
        assert isinstance(server, FakeStability)
        yield server


# --- requests to send ---------------------------------------------------------------


def design_request(
    *,
    prompt: str = "Technical fashion flat sketch of a bohemian maxi dress, in terracotta",
    negative_prompt: str | None = "floral",
    seed: int = 7_000_000_000_123,
    options: dict[str, Any] | None = None,
    source: bytes | None = None,
) -> DesignRequest:
    spec = GarmentSpec(garment_type="dress", styles=["bohemian"], colors=["terracotta"])
    return DesignRequest(
        spec=spec,
        prompt=prompt,
        negative_prompt=negative_prompt,
        seed=seed,
        options=options or {},
        source=source,
    )
