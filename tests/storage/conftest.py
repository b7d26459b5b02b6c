"""Fixtures: a real S3-protocol server (moto_server) on loopback, and both stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from designer_bff.storage import LocalObjectStore, ObjectStore, S3ObjectStore
from tests.generation.procs import start_moto

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `moto_server` as a separate process and wait until it answers."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    server = start_moto(tmp_path_factory.mktemp("moto"), env=env)
    try:
        yield server.endpoint
    finally:
        server.close()


def create_bucket(endpoint: str, bucket: str) -> None:
    # obstore cannot create buckets; moto accepts an unsigned CreateBucket (PUT /bucket).
    response = httpx.put(f"{endpoint}/{bucket}", timeout=5.0)
    response.raise_for_status()


@pytest.fixture(scope="session")
def s3_bucket(s3_endpoint: str) -> str:
    bucket = "designs-test"
    create_bucket(s3_endpoint, bucket)
    return bucket


def make_s3_store(endpoint: str, bucket: str, **kwargs: Any) -> S3ObjectStore:
    return S3ObjectStore(
        endpoint=endpoint,
        bucket=bucket,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        region="us-east-1",
        **kwargs,
    )


@pytest.fixture
def s3_store_factory() -> Callable[..., S3ObjectStore]:
    """Build an S3 store with test credentials: factory(endpoint, bucket, **options)."""
    return make_s3_store


@pytest.fixture(params=["local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStore]:
    """The same contract suite runs against every implementation."""
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "media")
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    # A fresh bucket per test keeps listings independent of test order.
    bucket = f"t-{uuid.uuid4().hex[:12]}"
    create_bucket(endpoint, bucket)
    s3 = make_s3_store(endpoint, bucket)
    yield s3
    await s3.aclose()
