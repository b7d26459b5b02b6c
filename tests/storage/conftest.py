"""Fixtures: a real S3-protocol server (moto_server) on loopback, and both stores."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from designer_bff.storage import LocalObjectStore, ObjectStore, S3ObjectStore

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_server_executable() -> str:
    # Installed beside the interpreter running the tests (the project venv).
    candidate = Path(sys.executable).with_name("moto_server")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("moto_server")
    if not found:
        pytest.skip("moto_server is not installed (dev dependency moto[server])")
    return found


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `moto_server` as a separate process and wait until it answers."""
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    proc = subprocess.Popen(
        [_moto_server_executable(), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {proc.returncode}")
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start within 30 s") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


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
