"""What a designer asks for shows in every design: a fast run of bench/fidelity.py (every
13th command, 3 designs each) through the real parser, prompt builder and renderer, and
checks that its checks catch what they are for."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from designer_bff.generation.renderer import RenderedFlat, render_flat

BENCH = Path(__file__).resolve().parents[2] / "bench" / "fidelity.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_fidelity", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def test_a_sample_of_commands_is_drawn_as_asked_and_in_style(bench: ModuleType) -> None:
    commands = bench.COMMANDS[::13]
    assert len(commands) >= 12
    report = bench.run(commands, designs=3, size=192)
    failures = [f"{r.text!r} {f}" for r in report.results for f in r.tally.failures]
    assert report.stated_share == 1.0, failures
    assert report.style_share >= 0.95, failures
    tally = report.tally
    assert tally.stated_all > 150 and tally.style_all > 40  # the checks really ran


def test_the_bench_writes_a_contact_sheet(bench: ModuleType, tmp_path: Path) -> None:
    report = bench.run(bench.COMMANDS[2:3], designs=4, size=96, out=tmp_path)
    sheets = list(tmp_path.glob("*.png"))
    assert len(sheets) == 1 and sheets[0].stat().st_size > 1000
    assert len(report.results[0].images) == 4


def _flat(spec: dict[str, Any], seed: int = 3) -> RenderedFlat:
    return render_flat(spec, seed, 128)


def test_a_main_colour_the_pixels_do_not_show_fails(bench: ModuleType) -> None:
    red = _flat({"garment_type": "dress", "colors": ["red"], "patterns": ["solid"]})
    ok = bench.check_design({"colors": ["red"]}, {}, red.resolved_spec, red.image)
    assert not ok.failures
    # the same record, but the pixels are a navy dress
    navy = _flat({"garment_type": "dress", "colors": ["navy"], "patterns": ["solid"]})
    bad = bench.check_design({"colors": ["red"]}, {}, red.resolved_spec, navy.image)
    assert any("main colour red" in f for f in bad.failures)


def test_an_excluded_colour_in_the_pixels_fails(bench: ModuleType) -> None:
    coral = _flat({"garment_type": "top", "colors": ["coral"], "patterns": ["solid"]})
    sky = _flat({"garment_type": "top", "colors": ["sky-blue"], "patterns": ["solid"]})
    excluded = {"colors": ["coral"]}
    assert not bench.check_design({}, excluded, sky.resolved_spec, sky.image).failures
    caught = bench.check_design({}, excluded, sky.resolved_spec, coral.image).failures
    assert any("excluded colour coral covers" in f for f in caught)


def test_stated_attributes_and_style_rules_are_checked(bench: ModuleType) -> None:
    flat = _flat({"garment_type": "dress", "silhouette": "sheath", "patterns": ["houndstooth"]})
    rs = flat.resolved_spec
    wrong = bench.check_design({"silhouette": ["tiered"]}, {}, rs, flat.image).failures
    assert any("silhouette tiered" in f for f in wrong)
    # a bohemian dress drawn as a houndstooth sheath is outside the style's rules
    boho = bench.check_design(
        {"styles": ["bohemian"]}, {}, {**rs, "styles": ["bohemian"]}, flat.image
    )
    assert any("style: bohemian silhouette" in f for f in boho.failures)
    assert any("style: bohemian patterns" in f for f in boho.failures)
    # denim drawn in a print does not look like denim
    denim = _flat({"garment_type": "jacket", "fabrics": ["denim"], "patterns": ["floral"]})
    look = bench.check_design({"fabrics": ["denim"]}, {}, denim.resolved_spec, denim.image)
    assert any("denim drawn with a ['floral'] print" in f for f in look.failures)


def test_expectations_name_spec_attributes(bench: ModuleType) -> None:
    for _text, expect in bench.COMMANDS:
        bench.parse_expect(expect)  # raises on a misspelt attribute
    assert len(bench.COMMANDS) >= 100
    with pytest.raises(ValueError):
        bench.parse_expect("colour=red")
