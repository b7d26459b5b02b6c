"""`voiced`: the service with OpenAI's speech API played by a local server (tests/speech's
FakeUpstream, the `upstream` fixture), for tests of what happens to a transcript a real
recogniser would send."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from designer_bff.app import create_app
from designer_bff.services import Services, build_services
from tests.conftest import Backend, make_settings, running
from tests.speech.speech_testkit import FakeUpstream


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    server = FakeUpstream()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def voiced(
    backend: Backend, tmp_path: Path, upstream: FakeUpstream, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    prefix = request.module.__name__.rsplit(".", 1)[-1] + ":"
    settings = make_settings(
        backend.settings.data_dir if backend.name == "embedded" else tmp_path,
        database_url=backend.settings.database_url,
        redis_url=backend.settings.redis_url,
        redis_prefix=backend.settings.redis_prefix + prefix,
        speech_provider="openai",
        openai_api_key="sk-test",
        openai_base_url=upstream.base_url,
        command_interpreter="rules",
    )
    services = build_services(settings)
    try:
        async with running(create_app(services=services)) as client:
            yield client, services
    finally:
        await services.close()
