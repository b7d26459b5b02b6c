"""Remote providers through the whole pipeline (API, engine, storage, ledger), each vendor
played by a local server speaking its documented shapes: designs are made with their
prompts and charged once; a 429 is waited out and charged once; a provider that is down
hands the design to the next one; a timeout fails with a clear message and no charge."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from designer_bff.app import create_app
from designer_bff.billing.models import CostEntry
from designer_bff.designs.models import Image
from designer_bff.services import Services, build_services
from tests.conftest import AuthedUser, Backend, make_settings, register_user, running
from tests.generation.helpers import wait_for_job
from tests.generation.providers.fakes import (
    FakeOpenAI,
    FakeReplicate,
    FakeStability,
    fake_openai,
    fake_replicate,
    fake_stability,
)

Vendors = tuple[FakeOpenAI, FakeReplicate, FakeStability]


@pytest.fixture(scope="module")
def vendors() -> Iterator[Vendors]:
    with fake_openai() as openai, fake_replicate() as replicate, fake_stability() as stability:
        yield openai, replicate, stability


@pytest.fixture
async def remote(
    backend: Backend, tmp_path: Path, vendors: Vendors
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    openai, replicate, stability = vendors
    for vendor in vendors:
        vendor.script([])
    settings = make_settings(
        backend.settings.data_dir if backend.name == "embedded" else tmp_path,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix + "remote:",
        openai_api_key=openai.api_key,
        openai_base_url=openai.base_url,
        replicate_api_token=replicate.api_key,
        replicate_base_url=replicate.base_url,
        stability_api_key=stability.api_key,
        stability_base_url=stability.base_url,
        provider_timeout_s=1.0,
        provider_poll_interval_s=0.01,
        generation_retry_base_s=0.01,
        generation_max_attempts=2,
        command_interpreter="rules",
        speech_provider="none",
    )
    services = build_services(settings)
    try:
        async with running(create_app(services=services)) as client:
            yield client, services
    finally:
        await services.close()


async def _generate(
    client: httpx.AsyncClient, user: AuthedUser, command: str, provider: str, **extra: Any
) -> dict[str, Any]:
    resp = await client.post(
        "/api/generations",
        headers=user.headers,
        json={"prompt": command, "provider": provider, **extra},
    )
    assert resp.status_code == 202, resp.text
    return await wait_for_job(client, user, resp.json()["id"], wait_s=60)


async def _rows(services: Services, job_id: str) -> tuple[list[Image], list[CostEntry]]:
    async with services.sessionmaker() as db:
        images = list(
            (await db.scalars(select(Image).where(Image.job_id == uuid.UUID(job_id)))).all()
        )
        charges = list(
            (await db.scalars(select(CostEntry).where(CostEntry.job_id == uuid.UUID(job_id)))).all()
        )
    return images, charges


@pytest.mark.parametrize(
    "provider",
    ["openai-gpt-image-1", "openai-dall-e-3", "replicate-imagen-4", "stability-core"],
)
async def test_four_minimalist_blazers_through_each_provider(remote, provider: str):
    client, services = remote
    user = await register_user(client, "remote")
    job = await _generate(client, user, "make me 4 minimalist blazers", provider)
    assert job["status"] == "completed", job
    images, charges = await _rows(services, job["id"])
    price = services.providers[provider].price({})
    assert price > 0
    assert len(images) == 4 and {i.status for i in images} == {"ready"}
    for image in images:
        assert image.provider == provider
        assert image.prompt and "blazer" in image.prompt and "minimalist" in image.prompt
        assert image.generation_cost == price
        assert image.width and image.variants.get("thumb")
    assert len({i.prompt for i in images}) > 1  # a batch varies what was left open
    assert len(charges) == 4 and {c.image_id for c in charges} == {i.id for i in images}
    total = sum((c.amount_usd for c in charges), Decimal(0))
    assert total == sum((i.generation_cost for i in images), Decimal(0)) == price * 4
    assert Decimal(job["cost_usd"]) == total


async def test_a_429_is_waited_out_and_charged_once(remote, vendors: Vendors):
    client, services = remote
    openai = vendors[0]
    openai.script(["429:0.05", "ok"])
    user = await register_user(client, "ratelimited")
    job = await _generate(client, user, "make me a navy blazer", "openai-gpt-image-1")
    assert job["status"] == "completed", job
    assert len(openai.sent("POST", "/v1/images/generations")) == 2
    images, charges = await _rows(services, job["id"])
    assert [i.status for i in images] == ["ready"]
    assert len(charges) == 1 and charges[0].amount_usd == images[0].generation_cost > 0


async def test_a_provider_that_is_down_hands_the_design_to_the_next(remote, vendors: Vendors):
    client, services = remote
    openai = vendors[0]
    openai.script([], default="500")
    user = await register_user(client, "fallback")
    job = await _generate(client, user, "make me a red dress", "openai-gpt-image-1")
    assert job["status"] == "completed", job
    assert len(openai.sent("POST", "/v1/images/generations")) == 2  # its attempts, then on
    images, charges = await _rows(services, job["id"])
    made_by = images[0].provider
    assert made_by and made_by != "openai-gpt-image-1" and made_by != "local-flats"
    assert len(charges) == 1
    assert charges[0].provider == services.providers[made_by].vendor
    assert (
        charges[0].amount_usd == images[0].generation_cost == services.providers[made_by].price({})
    )


async def test_a_timeout_fails_with_a_clear_message_and_no_charge(remote, vendors: Vendors):
    client, services = remote
    stability = vendors[2]
    stability.script([], default="slow:3")
    user = await register_user(client, "timeout")
    job = await _generate(client, user, "make me a green skirt", "stability-core", fallback=False)
    assert job["status"] == "failed", job
    images, charges = await _rows(services, job["id"])
    assert images[0].status == "failed" and images[0].error_code == "provider_timeout"
    assert images[0].error_message == "Stability AI did not answer within 1 s"
    assert "did not answer within 1 s" in job["error"]["message"]
    assert charges == []


async def test_the_document_states_the_providers_offered(remote):
    client, _ = remote
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    generate = schemas["GenerationIn"]["properties"]["provider"]["enum"]
    assert {"local-flats", "openai-gpt-image-1", "replicate-imagen-4", "stability-core"} <= set(
        generate
    )
    assert "local-upscale" not in generate and None in generate
    enhance = schemas["EnhanceIn"]["properties"]["provider"]["enum"]
    assert set(enhance) == {"local-upscale", "replicate-real-esrgan", "replicate-gfpgan", None}
    # GFPGAN restores faces, so face_fix may be asked for here.
    assert "enum" not in schemas["EnhanceIn"]["properties"]["face_fix"]
