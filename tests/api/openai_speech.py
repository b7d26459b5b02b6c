"""The service with OpenAI's speech API played by a local server (tests/speech's
FakeUpstream): for tests of what happens to a transcript a real recogniser would send."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from designer_bff.app import create_app
from designer_bff.services import Services, build_services
from tests.conftest import Backend, make_settings, running
from tests.speech.speech_testkit import FakeUpstream


@contextlib.asynccontextmanager
async def openai_voiced_app(
    backend: Backend, tmp_path: Path, upstream: FakeUpstream, prefix: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
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
