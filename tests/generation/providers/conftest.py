"""One fake server per vendor for the module that tests it (each test scripts it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from designer_bff.billing.pricing import PriceTable
from tests.generation.providers.fakes import (
    FakeOpenAI,
    FakeReplicate,
    FakeStability,
    fake_openai,
    fake_replicate,
    fake_stability,
)


@pytest.fixture(scope="module")
def openai_server() -> Iterator[FakeOpenAI]:
    with fake_openai() as server:
        yield server


@pytest.fixture(scope="module")
def replicate_server() -> Iterator[FakeReplicate]:
    with fake_replicate() as server:
        yield server


@pytest.fixture(scope="module")
def stability_server() -> Iterator[FakeStability]:
    with fake_stability() as server:
        yield server


@pytest.fixture(scope="session")
def prices() -> PriceTable:
    return PriceTable.load()
