"""A fake Visual Descriptor API: a real HTTP server on 127.0.0.1 (Starlette under uvicorn
in a thread of its own, as the generation provider fakes) speaking the API's shapes.

    with fake_vlt() as server:
        analyzer = RemoteAnalyzer(url=server.base_url, api_key=server.api_key, ...)
        server.script(gemini=["503", "503"], openai=["ok"])   # per model, in order,
        ...                                                   # then "ok" for each after
        server.calls["gemini"]                                # POST /v1/jobs per model
        server.stop()                                         # the server goes down

`POST /v1/jobs` checks the Bearer key (401 otherwise, using no step), validates the
multipart form (`file`, `passes` within A,B,C, `model` gemini|openai: 400/422
otherwise) and decodes the file with Pillow (422 when it is not an image). Records are
read from the image itself: its dominant colour named (and as hex), a second colour
when the image has two (then striped), a dress when portrait and trousers when
landscape; so a test passes only if the uploaded bytes really reached the server.

Steps ("kind" or "kind:arg"): "ok"; "slow:S" (wait S seconds, then ok); "NNN" (that
status with a {"detail"} body; "429:S" adds `Retry-After: S`, "503:S" likewise);
"malformed" (a 200 that is not JSON); "empty" (a 200 without records).
`GET /healthz` answers 200, or 503 while `healthy` is False.
"""

from __future__ import annotations

import asyncio
import io
import threading
import uuid
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.generation.providers.fakes import (
    DEFAULT_KEY,
    LoopbackServer,
    Received,
    Step,
    retry_after_header,
)

MODELS = ("gemini", "openai")
PASSES = {"A", "B", "C"}

# The names the service gives colours, capitalised as a vision model writes them (not
# our taxonomy's values: the mapping has to resolve them).
NAMED_COLORS: dict[str, tuple[int, int, int]] = {
    "Navy Blue": (28, 40, 82),
    "Crimson": (190, 24, 40),
    "Emerald Green": (18, 132, 86),
    "Mustard Yellow": (212, 164, 42),
    "Off White": (246, 242, 232),
    "Jet Black": (20, 20, 22),
    "Dusty Rose": (214, 160, 160),
}


def hex_of(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def nearest_name(rgb: tuple[int, int, int]) -> str:
    return min(
        NAMED_COLORS,
        key=lambda n: sum((a - b) ** 2 for a, b in zip(rgb, NAMED_COLORS[n], strict=True)),
    )


def solid_png(rgb: tuple[int, int, int], size: tuple[int, int] = (48, 72)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, rgb).save(out, "PNG")
    return out.getvalue()


def striped_png(
    a: tuple[int, int, int], b: tuple[int, int, int], size: tuple[int, int] = (48, 72)
) -> bytes:
    image = Image.new("RGB", size, a)
    for y in range(0, size[1], 8):
        image.paste(b, (0, y, size[0], y + 3))  # 3 rows in 8: `a` stays dominant
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def describe(data: bytes, model: str, image_id: str) -> dict[str, Any]:
    """The record the service would give for these bytes (raises on a non-image)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        width, height = image.size
        small = image.convert("RGB")
        small.thumbnail((128, 128), Image.Resampling.NEAREST)
    # An RGB image's colours are (r, g, b) triples.
    counts = sorted(
        (
            (n, (c[0], c[1], c[2]))
            for n, c in small.getcolors(small.width * small.height) or []
            if isinstance(c, tuple)
        ),
        reverse=True,
    )
    total = sum(n for n, _ in counts)
    primary = counts[0][1]
    second = counts[1][1] if len(counts) > 1 and counts[1][0] >= total * 0.2 else None
    portrait = height >= width
    noun = "midi dress" if portrait else "trousers"
    pattern: dict[str, Any] = {"type": "Solid"}
    if second is not None:
        pattern = {
            "type": "Stripes",
            "foreground": nearest_name(second),
            "background": nearest_name(primary),
            "ratio_foreground": round(counts[1][0] / total, 2),
            "orientation": "horizontal",
        }
    palette = [{"name": nearest_name(primary), "hex": hex_of(primary)}]
    if second is not None:
        palette.append({"hex": hex_of(second)})  # hex only: the client names it
    return {
        "image_id": image_id,
        "garment_type": "Midi Dress" if portrait else "Wide-Leg Trousers",
        "silhouette": "A-Line" if portrait else "Relaxed Fit",
        "fabric": {
            "type": "Cotton Poplin",
            "texture": "smooth",
            "weight": "light",
            "finish": "matte",
        },
        "garment": {
            "top": "bodice" if portrait else None,
            "bottom": None if portrait else "trousers",
            "top_style": "Sweetheart" if portrait else None,
            "top_sleeve": "Puff Sleeves" if portrait else None,
        },
        "colors": {
            "primary": nearest_name(primary),
            "secondary": nearest_name(second) if second is not None else None,
            "pattern": pattern,
        },
        "color_palette": palette,
        "construction": {
            "seams": "princess seams",
            "stitching": "single needle",
            "hems": "blind hem",
            "closure": "Invisible back zipper",
        },
        "fit_and_drape": "fitted bodice, soft flare" if portrait else "relaxed, fluid drape",
        "details": ["Patch pockets", "Covered buttons"],
        "prompt_text": f"a {nearest_name(primary).lower()} {noun}",
        "confidence": {
            "garment_type": 0.95 if model == "gemini" else 0.9,
            "silhouette": 0.82,
            "fabric": 0.61,
            "colors": 0.9,
        },
        "version": f"vlt-1.4-{model}",
    }


class FakeVLT:
    def __init__(self, *, api_key: str = DEFAULT_KEY) -> None:
        self.api_key = api_key
        self.healthy = True
        self.calls: Counter[str] = Counter()
        self.requests: list[Received] = []
        self._steps: dict[str, deque[Step]] = {m: deque() for m in MODELS}
        self._lock = threading.Lock()
        self._server = LoopbackServer(
            Starlette(
                routes=[
                    Route("/healthz", self._healthz, methods=["GET"]),
                    Route("/v1/jobs", self._jobs, methods=["POST"]),
                ]
            )
        )

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> FakeVLT:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeVLT:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *, gemini: Iterable[str] = (), openai: Iterable[str] = ()) -> None:
        """What each model's next jobs get, in order ("ok" after that); forgets the calls
        and requests so far."""
        with self._lock:
            self._steps = {
                "gemini": deque(Step.parse(s) for s in gemini),
                "openai": deque(Step.parse(s) for s in openai),
            }
            self.calls.clear()
            self.requests.clear()
            self.healthy = True

    def steps_left(self, model: str) -> int:
        return len(self._steps[model])

    # -- the server's side ------------------------------------------------------------

    async def _healthz(self, request: Request) -> Response:
        if not self.healthy:
            return JSONResponse({"status": "degraded"}, 503)
        return JSONResponse({"status": "ok"})

    @staticmethod
    def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse({"detail": detail}, status, headers=headers)

    async def _jobs(self, request: Request) -> Response:
        received = Received(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers=dict(request.headers),
            body=b"",
        )
        self.requests.append(received)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self._error(401, "invalid API key")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return self._error(400, "expected multipart/form-data")
        async with request.form() as form:
            upload = form.get("file")
            passes = form.get("passes")
            model = form.get("model")
            if upload is None or isinstance(upload, str):
                return self._error(400, "field 'file' is required")
            data = await upload.read()
            received.files["file"] = (upload.filename, upload.content_type, data)
        if not isinstance(passes, str) or not set(passes.split(",")) <= PASSES:
            return self._error(422, f"passes must be a subset of A,B,C, not {passes!r}")
        if model not in MODELS:
            return self._error(422, f"unknown model {model!r}")
        received.form.update(passes=passes, model=model)
        with self._lock:
            self.calls[model] += 1
            step = self._steps[model].popleft() if self._steps[model] else Step("ok")
        if step.kind == "slow":
            await asyncio.sleep(float(step.arg or 1))
        elif step.status is not None:
            headers = retry_after_header(step.arg) if step.status in (429, 503) else {}
            return self._error(step.status, f"{model} backend failed", headers)
        elif step.kind == "malformed":
            return Response(b"<html>502 Bad Gateway</html>", 200, media_type="application/json")
        stem = (upload.filename or "image").rsplit(".", 1)[0]
        try:
            record = await asyncio.to_thread(describe, data, model, stem)
        except (UnidentifiedImageError, OSError, ValueError):
            return self._error(422, "file is not a decodable image")
        records = [] if step.kind == "empty" else [record]
        return JSONResponse(
            {
                "job_id": uuid.uuid4().hex,
                "status": "completed",
                "backend": "vertex" if model == "gemini" else "openai",
                "model": model,
                "records": records,
            }
        )


@contextmanager
def fake_vlt(*, api_key: str = DEFAULT_KEY) -> Iterator[FakeVLT]:
    server = FakeVLT(api_key=api_key).start()
    try:
        yield server
    finally:
        server.stop()
