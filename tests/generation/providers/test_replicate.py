"""The Replicate providers (Imagen 4, FLUX, Real-ESRGAN, GFPGAN) against a local server
speaking Replicate's predictions API: sync waits, polling, failures, files."""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from PIL import Image

import designer_bff.generation.providers.replicate as replicate_module
from designer_bff.billing.pricing import PriceTable
from designer_bff.generation.providers import (
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)
from designer_bff.generation.providers._http import (
    ContentRefused,
    InvalidProviderOptions,
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderQuotaExceeded,
    ProviderRateLimited,
    ProviderTimeout,
)
from designer_bff.generation.providers.replicate import (
    DATA_URI_MAX_BYTES,
    GFPGAN_VERSION,
    REAL_ESRGAN_VERSION,
    Flux11ProProvider,
    FluxSchnellProvider,
    GfpganProvider,
    Imagen4Provider,
    RealEsrganProvider,
    ReplicateEnhancer,
    ReplicateProvider,
)
from tests.generation.providers.fakes import (
    NSFW_ERROR,
    FakeReplicate,
    design_request,
    image_size,
    make_png,
)

PROMPT = design_request().prompt
IMAGEN = "/v1/models/google/imagen-4/predictions"


def build(cls: type[Any], server: FakeReplicate, prices: PriceTable, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "api_key": server.api_key,
        "base_url": server.base_url,
        "timeout_s": 2.0,
        "poll_interval_s": 0.01,
        **kw,
    }
    if issubclass(cls, ReplicateEnhancer):
        args.setdefault(
            "version", REAL_ESRGAN_VERSION if cls is RealEsrganProvider else GFPGAN_VERSION
        )
    return cls(prices, **args)


@pytest.fixture
async def imagen(
    replicate_server: FakeReplicate, prices: PriceTable
) -> AsyncIterator[Imagen4Provider]:
    provider = build(Imagen4Provider, replicate_server, prices)
    yield provider
    await provider.aclose()


async def fails(
    provider: ReplicateProvider,
    server: FakeReplicate,
    *steps: str,
    default: str | None = None,
    **request: Any,
) -> ProviderError:
    server.script(steps, default=default)
    with pytest.raises(ProviderError) as caught:
        await provider.generate(design_request(**request))
    # One prediction per call, whatever the polling did: the engine does the retrying.
    creates = [r for r in server.sent("POST") if r.path.endswith("/predictions")]
    assert len(creates) <= 1
    return caught.value


def polls(server: FakeReplicate) -> list[Any]:
    return [r for r in server.sent("GET", "/v1/predictions/")]


# --- generation ---------------------------------------------------------------------


async def test_imagen_4_sync_request_and_result(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    provider = build(Imagen4Provider, replicate_server, prices, timeout_s=120.0)
    try:
        replicate_server.script(["ok"])
        request = design_request()
        design = await provider.generate(request)
    finally:
        await provider.aclose()
    create, download = replicate_server.requests
    assert (create.method, create.path) == ("POST", IMAGEN)
    assert create.authorization == "Bearer test-key"
    assert create.headers["prefer"] == "wait=60"
    # Imagen takes no seed and no negative prompt: the exclusion is said in the prompt.
    assert create.json == {
        "input": {
            "prompt": f"{PROMPT}; without floral",
            "aspect_ratio": "1:1",
            "output_format": "png",
        }
    }
    assert download.method == "GET" and download.path.startswith("/files/")
    assert download.authorization is None  # the token stays with the API
    assert design.data is not None and image_size(design.data) == (64, 64)
    assert (design.format, design.model, design.seed) == ("png", "google/imagen-4", request.seed)
    assert design.cost_usd == prices.image("replicate", "google/imagen-4") == Decimal("0.04")
    assert design.timings["predict_s"] == 0.42
    assert polls(replicate_server) == []


async def test_imagen_4_options(imagen: Imagen4Provider, replicate_server: FakeReplicate) -> None:
    replicate_server.script(["ok"])
    options = {"aspect_ratio": "16:9", "safety_filter_level": "block_medium_and_above"}
    design = await imagen.generate(design_request(options=options))
    payload = replicate_server.requests[0].json["input"]
    assert payload["aspect_ratio"] == "16:9"
    assert payload["safety_filter_level"] == "block_medium_and_above"
    assert design.data is not None
    width, height = image_size(design.data)
    assert width > height


@pytest.mark.parametrize(
    "options", [{"aspect_ratio": "21:9"}, {"safety_filter_level": "none"}, {"size": "wide"}]
)
async def test_imagen_4_refuses_options_it_lacks(
    imagen: Imagen4Provider, replicate_server: FakeReplicate, options: dict[str, str]
) -> None:
    replicate_server.script(["ok"])
    with pytest.raises(InvalidProviderOptions):
        await imagen.generate(design_request(options=options))
    assert replicate_server.requests == []


async def test_flux_schnell_sends_a_seed_and_reads_a_list_output(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    provider = build(FluxSchnellProvider, replicate_server, prices)
    try:
        replicate_server.script(["ok"])
        request = design_request(options={"size": "1024x1536"}, negative_prompt=None)
        design = await provider.generate(request)
    finally:
        await provider.aclose()
    create = replicate_server.requests[0]
    assert create.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert create.json["input"] == {
        "prompt": PROMPT,
        "aspect_ratio": "2:3",
        "output_format": "png",
        "seed": request.seed % 2**31,
        "num_outputs": 1,
    }
    assert design.data is not None and image_size(design.data) == (64, 96)
    assert design.cost_usd == prices.image("replicate", "black-forest-labs/flux-schnell")
    assert design.cost_usd == Decimal("0.003")


async def test_flux_1_1_pro(replicate_server: FakeReplicate, prices: PriceTable) -> None:
    provider = build(Flux11ProProvider, replicate_server, prices)
    try:
        replicate_server.script(["ok"])
        request = design_request(seed=12345)
        design = await provider.generate(request)
    finally:
        await provider.aclose()
    create = replicate_server.requests[0]
    assert create.path == "/v1/models/black-forest-labs/flux-1.1-pro/predictions"
    assert create.json["input"]["seed"] == 12345
    assert create.json["input"]["prompt"] == f"{PROMPT}; without floral"
    assert design.data is not None
    assert design.cost_usd == prices.image("replicate", "black-forest-labs/flux-1.1-pro")


# --- polling ------------------------------------------------------------------------


async def test_polls_until_succeeded(
    imagen: Imagen4Provider, replicate_server: FakeReplicate
) -> None:
    replicate_server.script(["starting", "processing", "ok"])
    design = await imagen.generate(design_request())
    assert design.data is not None
    [create] = replicate_server.sent("POST")
    assert create.path == IMAGEN
    gets = polls(replicate_server)
    assert len(gets) == 2 and len({g.path for g in gets}) == 1
    assert all(g.authorization == "Bearer test-key" for g in gets)
    pid = gets[0].path.rsplit("/", 1)[1]
    assert replicate_server.predictions[pid]["status"] == "succeeded"


async def test_failed_polls_are_polled_again(
    imagen: Imagen4Provider, replicate_server: FakeReplicate
) -> None:
    # A 5xx, a garbled reply and a rate limit while polling cost nothing: keep polling.
    replicate_server.script(["starting", "500", "malformed", "429", "processing", "ok"])
    design = await imagen.generate(design_request())
    assert design.data is not None
    assert len(polls(replicate_server)) == 5
    assert len(replicate_server.sent("POST")) == 1


async def test_a_rejected_poll_is_final(
    imagen: Imagen4Provider, replicate_server: FakeReplicate
) -> None:
    error = await fails(imagen, replicate_server, "starting", "401")
    assert type(error) is ProviderAuthFailed


async def test_deadline_cancels_the_prediction(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    provider = build(Imagen4Provider, replicate_server, prices, timeout_s=0.3, poll_interval_s=0.05)
    try:
        started = time.monotonic()
        error = await fails(provider, replicate_server, "starting", default="processing")
        took = time.monotonic() - started
    finally:
        await provider.aclose()
    assert type(error) is ProviderTimeout and error.transient
    assert error.message.startswith("the Replicate prediction did not finish within 0.3 s")
    assert "processing" in error.message
    assert 0.3 <= took < 1.5
    assert len(polls(replicate_server)) >= 2
    [cancel] = [r for r in replicate_server.sent("POST") if r.path.endswith("/cancel")]
    assert cancel.authorization == "Bearer test-key"
    pid = cancel.path.split("/")[3]
    assert replicate_server.predictions[pid]["status"] == "canceled"


# --- failed predictions and API errors ----------------------------------------------


async def test_failed_prediction_is_final_with_replicates_text(
    imagen: Imagen4Provider, replicate_server: FakeReplicate
) -> None:
    error = await fails(imagen, replicate_server, "starting", "failed")
    assert type(error) is PermanentProviderError
    assert "CUDA error: device-side assert triggered" in error.message


@pytest.mark.parametrize(
    "steps",
    [
        ("nsfw",),
        ("starting", "processing", "nsfw"),
        ("failed:The input or output was flagged as sensitive. Please try again. (E005)",),
    ],
)
async def test_safety_failures_are_content_refusals(
    imagen: Imagen4Provider, replicate_server: FakeReplicate, steps: tuple[str, ...]
) -> None:
    error = await fails(imagen, replicate_server, *steps)
    assert type(error) is ContentRefused and not error.transient
    assert error.code == "content_refused"
    assert "safety filter" in error.message and "rephrase" in error.message
    if steps[-1] == "nsfw":
        assert NSFW_ERROR in error.message


async def test_a_failure_replicate_says_to_retry_is_transient(
    imagen: Imagen4Provider, replicate_server: FakeReplicate
) -> None:
    error = await fails(
        imagen, replicate_server, "failed:Prediction interrupted; please retry (code: PA)"
    )
    assert type(error) is TransientProviderError


async def test_canceled_prediction(
    imagen: Imagen4Provider, replicate_server: FakeReplicate
) -> None:
    error = await fails(imagen, replicate_server, "starting", "canceled")
    assert type(error) is PermanentProviderError and "canceled" in error.message


@pytest.mark.parametrize(
    ("step", "error_type", "retry_after"),
    [
        ("401", ProviderAuthFailed, None),
        ("402", ProviderQuotaExceeded, None),
        ("404", PermanentProviderError, None),
        ("422", PermanentProviderError, None),
        ("429:3", ProviderRateLimited, 3.0),
        # Without a Retry-After header, the wait Replicate states in its detail.
        ("429", ProviderRateLimited, 1.0),
        ("500", TransientProviderError, None),
        ("503", TransientProviderError, None),
    ],
)
async def test_api_errors(
    imagen: Imagen4Provider,
    replicate_server: FakeReplicate,
    step: str,
    error_type: type[ProviderError],
    retry_after: float | None,
) -> None:
    error = await fails(imagen, replicate_server, step)
    assert type(error) is error_type
    assert error.retry_after == retry_after
    assert len(replicate_server.requests) == 1
    if step == "401":
        assert "REPLICATE_API_TOKEN" in error.message


async def test_the_server_checks_the_token(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    provider = build(Imagen4Provider, replicate_server, prices, api_key="r8_wrong")
    try:
        error = await fails(provider, replicate_server, "ok")
    finally:
        await provider.aclose()
    assert type(error) is ProviderAuthFailed


@pytest.mark.parametrize(
    ("steps", "says"),
    [
        (("malformed",), "malformed reply (HTTP 201, not JSON)"),
        (("empty",), "without an image"),
        (("not-image",), "not a usable image"),
        (("starting", "not-image"), "not a usable image"),
    ],
)
async def test_malformed_answers_are_transient(
    imagen: Imagen4Provider, replicate_server: FakeReplicate, steps: tuple[str, ...], says: str
) -> None:
    error = await fails(imagen, replicate_server, *steps)
    assert type(error) is ProviderBadResponse and error.transient
    assert says in error.message


async def test_create_timeout_is_transient(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    provider = build(Imagen4Provider, replicate_server, prices, timeout_s=0.3)
    try:
        error = await fails(provider, replicate_server, "slow:1")
    finally:
        await provider.aclose()
    assert type(error) is ProviderTimeout
    assert error.message == "Replicate did not answer within 0.3 s"


async def test_a_failed_download_is_retried_not_repaid(
    imagen: Imagen4Provider, replicate_server: FakeReplicate
) -> None:
    replicate_server.script(["ok"], downloads=["502", "slow:0.01"])
    design = await imagen.generate(design_request())
    assert design.data is not None
    assert len(replicate_server.sent("POST")) == 1
    assert len(replicate_server.sent("GET", "/files/")) == 2


# --- enhancement --------------------------------------------------------------------


def data_uri_bytes(uri: str) -> tuple[str, bytes]:
    header, _, payload = uri.partition(",")
    match = re.fullmatch(r"data:([^;]+);base64", header)
    assert match, header
    return match.group(1), base64.b64decode(payload)


async def test_real_esrgan_sends_the_source_and_scale(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    provider = build(RealEsrganProvider, replicate_server, prices)
    source = make_png(20, 10)
    try:
        replicate_server.script(["starting", "ok"])
        request = design_request(source=source, options={"scale": 4, "face_fix": True})
        design = await provider.generate(request)
    finally:
        await provider.aclose()
    create = replicate_server.requests[0]
    assert (create.method, create.path) == ("POST", "/v1/predictions")
    assert create.json["version"] == REAL_ESRGAN_VERSION
    payload = create.json["input"]
    assert (payload["scale"], payload["face_enhance"]) == (4, True)
    assert data_uri_bytes(payload["image"]) == ("image/png", source)
    assert design.data is not None and image_size(design.data) == (80, 40)
    assert provider.operation == "enhance"
    assert design.cost_usd == prices.image("replicate", "nightmareai/real-esrgan", "enhance")
    assert design.cost_usd == Decimal("0.0025")


async def test_gfpgan_sends_img_and_scale(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    provider = build(GfpganProvider, replicate_server, prices)
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 20, 30)).save(out, "JPEG")
    source = out.getvalue()
    try:
        replicate_server.script(["ok"])
        design = await provider.generate(design_request(source=source))
    finally:
        await provider.aclose()
    create = replicate_server.requests[0]
    assert create.json["version"] == GFPGAN_VERSION
    payload = create.json["input"]
    assert (payload["scale"], payload["version"]) == (2, "v1.4")
    assert data_uri_bytes(payload["img"]) == ("image/jpeg", source)
    assert design.data is not None and image_size(design.data) == (32, 24)
    assert design.cost_usd == prices.image("replicate", "tencentarc/gfpgan", "enhance")


async def test_a_large_source_goes_through_the_files_api(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (640, 640, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "PNG", compress_level=0)
    source = out.getvalue()
    assert len(source) > DATA_URI_MAX_BYTES
    provider = build(RealEsrganProvider, replicate_server, prices)
    try:
        replicate_server.script(["ok"])
        design = await provider.generate(design_request(source=source, options={"scale": 2}))
    finally:
        await provider.aclose()
    upload, create = replicate_server.sent("POST")
    assert upload.path == "/v1/files" and upload.authorization == "Bearer test-key"
    filename, content_type, data = upload.files["content"]
    assert (content_type, data) == ("image/png", source)
    assert filename == "design.png"
    file_url = create.json["input"]["image"]
    assert file_url.startswith(f"{replicate_server.base_url}/v1/files/")
    # The uploaded source is deleted once the prediction is done.
    [delete] = replicate_server.sent("DELETE")
    assert delete.path == file_url.removeprefix(replicate_server.base_url)
    assert replicate_server.uploads == {}
    assert design.data is not None and image_size(design.data) == (1280, 1280)


async def test_the_upload_is_deleted_when_the_prediction_fails(
    replicate_server: FakeReplicate, prices: PriceTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any source over the limit goes through the Files API: a tiny limit for a tiny image.
    monkeypatch.setattr(replicate_module, "DATA_URI_MAX_BYTES", 4)
    provider = build(RealEsrganProvider, replicate_server, prices)
    try:
        error = await fails(provider, replicate_server, "failed", source=make_png(8, 8))
    finally:
        await provider.aclose()
    assert type(error) is PermanentProviderError
    assert len(replicate_server.sent("POST", "/v1/files")) == 1
    assert len(replicate_server.sent("DELETE", "/v1/files/")) == 1
    assert replicate_server.uploads == {}


@pytest.mark.parametrize(
    ("request_kw", "error_type", "says"),
    [
        ({"source": None}, PermanentProviderError, "needs the design"),
        ({"source": b"not an image"}, PermanentProviderError, "not an image"),
        ({"options": {"scale": 3}}, InvalidProviderOptions, "scale"),
        ({"options": {"face_fix": "yes"}}, InvalidProviderOptions, "face_fix"),
    ],
)
async def test_enhancement_refuses_bad_requests(
    replicate_server: FakeReplicate,
    prices: PriceTable,
    request_kw: dict[str, Any],
    error_type: type[ProviderError],
    says: str,
) -> None:
    provider = build(RealEsrganProvider, replicate_server, prices)
    kw = {"source": make_png(8, 8), **request_kw}
    try:
        replicate_server.script(["ok"])
        with pytest.raises(error_type, match=says):
            await provider.generate(design_request(**kw))
    finally:
        await provider.aclose()
    assert replicate_server.requests == []


async def test_the_version_is_a_setting(
    replicate_server: FakeReplicate, prices: PriceTable
) -> None:
    provider = build(RealEsrganProvider, replicate_server, prices, version="0" * 64)
    try:
        error = await fails(provider, replicate_server, "ok", source=make_png(8, 8))
    finally:
        await provider.aclose()
    assert replicate_server.requests[0].json["version"] == "0" * 64
    assert type(error) is PermanentProviderError
    assert "does not exist" in error.message
