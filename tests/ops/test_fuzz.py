"""The live service against its own OpenAPI document: a short run of bench/fuzz.py
(schemathesis, every check) must find no 5xx and no conformance failure."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fuzz.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_fuzz", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(330)
@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the fuzz always drives an embedded server; the embedded suite runs it",
)
def test_a_short_fuzz_finds_nothing(tmp_path: Path) -> None:
    pytest.importorskip("schemathesis")
    # A fixed seed, one worker, stopped by a request count rather than a clock (a loaded
    # machine still runs about the same cases); 3,000 requests reach every operation.
    # bench/fuzz.py draws new cases each time.
    report = _bench().run_fuzz(
        seconds=240, max_requests=3000, workers=1, seed=20261201, data_dir=tmp_path
    )
    print(report.render(show=10))
    assert report.requests >= 500, report.render()  # it did run
    assert report.ok, report.render(show=10)


def test_only_the_engines_wrong_link_is_waived() -> None:
    waived = _bench().waived

    def answer(status: int, code: str) -> httpx.Response:
        return httpx.Response(status, json={"error": {"code": code, "message": "x"}})

    # The collection exists; the id the engine took from it is not a design in it.
    assert waived("ensure_resource_availability", answer(404, "not_in_collection"))
    # A created resource that is really missing stays a failure, as does any other check.
    assert not waived("ensure_resource_availability", answer(404, "not_found"))
    assert not waived("ensure_resource_availability", httpx.Response(404, text="nope"))
    assert not waived("status_code_conformance", answer(404, "not_in_collection"))
    assert not waived("ensure_resource_availability", None)
