"""Render weights: the renderer's vocabulary is the taxonomy's, and every value is drawable.

Adding a value to the taxonomy without deciding how the renderer draws it (weights in
render_weights.yaml, a `draw_as` mapping or `not_drawn`) fails here.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from designer_bff.garments.spec import ATTRIBUTE_FIELDS
from designer_bff.garments.taxonomy import TAXONOMY_PATH, Taxonomy, get_taxonomy
from designer_bff.generation.renderer import garments, parts, patterns, render_flat, spec_resolve
from designer_bff.generation.renderer.palette import COLORS, PALETTES
from designer_bff.generation.renderer.patterns import SHEER, Roles, finish, make_print
from designer_bff.generation.renderer.weights import (
    WEIGHTS_PATH,
    RenderWeights,
    RenderWeightsError,
    get_render_weights,
    load_render_weights,
)

SIZE = 48
SHIPPED = WEIGHTS_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def weights() -> RenderWeights:
    return get_render_weights()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "render_weights.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


# -- (a) the shipped file -------------------------------------------------------------


def test_shipped_weights_validate_and_load_once(weights: RenderWeights) -> None:
    assert WEIGHTS_PATH.parent == TAXONOMY_PATH.parent  # ships beside the taxonomy
    fresh = load_render_weights()
    assert fresh.base == weights.base and fresh.steer == weights.steer
    assert get_render_weights() is weights  # cached per process
    assert spec_resolve.GARMENTS == get_taxonomy().values("garment_type")


def test_vocabulary_is_the_taxonomy(weights: RenderWeights) -> None:
    tax = get_taxonomy()
    for family in ATTRIBUTE_FIELDS:
        extra = weights.renderer_only.get(family, frozenset())
        assert weights.values[family] == (*tax.values(family), *sorted(extra)), family
    assert set(COLORS) == set(tax.values("colors"))
    assert set(PALETTES) == set(tax.values("palettes"))


@pytest.mark.parametrize(
    ("family", "text", "expected"),
    [
        ("garment_type", "Trousers", "pants"),
        ("garment_type", "tee", "t-shirt"),
        ("colors", "Navy Blue", "navy"),
        ("colors", "gray", "grey"),
        ("palettes", "earthy", "earth-tones"),
        ("length", "short", "mini"),
        ("sleeve", "short", "short"),
        ("sleeve", "3/4", "three-quarter"),
        ("silhouette", "skinny", "tailored"),
        ("styles", "boho", "bohemian"),
        ("patterns", "stripes", "striped"),
        ("details", "pleats", "pleat"),
        ("details", "lace-trim", "lace-trim"),  # renderer-only, exact name
        ("details", "hood", None),  # a taxonomy value the renderer does not draw
        ("colors", "ultraviolet", None),
        ("garment_type", "spaceship", None),
        ("patterns", "plaid-ish", None),
        ("neckline", 5, None),
    ],
)
def test_canon_uses_the_taxonomy_synonyms(
    weights: RenderWeights, family: str, text: Any, expected: str | None
) -> None:
    assert weights.canon(family, text) == expected


# -- (b) a bad file fails with a message naming file, family and value ---------------


def test_unknown_value_in_weights_fails(tmp_path: Path) -> None:
    text = _replace_once(
        SHIPPED, "neckline: &dress_neckline {v-neck: 3,", "neckline: &dress_neckline {v-nek: 3,"
    )
    path = _write(tmp_path, text)
    with pytest.raises(RenderWeightsError) as err:
        load_render_weights(path)
    message = str(err.value)
    assert str(path) in message
    assert "neckline" in message and "'v-nek'" in message


def test_value_of_the_wrong_family_fails(tmp_path: Path) -> None:
    # "floral" is a taxonomy value, but a pattern, not a fabric.
    text = _replace_once(
        SHIPPED, "  t-shirt: {jersey: 4, cotton: 4}", "  t-shirt: {jersey: 4, floral: 4}"
    )
    with pytest.raises(RenderWeightsError, match=r"'floral' is not a canonical taxonomy fabrics"):
        load_render_weights(_write(tmp_path, text))


def test_taxonomy_value_without_drawing_data_fails(tmp_path: Path) -> None:
    text = _replace_once(SHIPPED, "[ruching, beading,", "[beading,")
    path = _write(tmp_path, text)
    with pytest.raises(RenderWeightsError) as err:
        load_render_weights(path)
    assert str(path) in str(err.value)
    assert "details" in str(err.value) and "'ruching'" in str(err.value)


def test_new_taxonomy_value_needs_drawing_data() -> None:
    with TAXONOMY_PATH.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["families"]["patterns"]["argyle"] = ["argyle print"]
    with pytest.raises(RenderWeightsError, match=r"patterns value 'argyle' has no drawing data"):
        load_render_weights(taxonomy=Taxonomy(data))
    data["families"]["patterns"].pop("argyle")
    data["families"]["colors"]["chartreuse-green"] = []
    with pytest.raises(RenderWeightsError, match=r"'chartreuse-green'"):
        load_render_weights(taxonomy=Taxonomy(data))


def test_renderer_only_value_the_taxonomy_gained_fails() -> None:
    with TAXONOMY_PATH.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    data["families"]["details"]["tie"] = ["self tie"]
    with pytest.raises(RenderWeightsError, match=r"'tie' is a taxonomy details value now"):
        load_render_weights(taxonomy=Taxonomy(data))


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("  t-shirt: {jersey: 4, cotton: 4}", "  t-shirt: {jersey: -4, cotton: 4}", "positive"),
        ("  coat: {belt: 0.3}", "  coat: {belt: 3}", r"in \(0, 1\]"),
        ("  coat: {belt: 0.3}", "  coat: {hood: 0.3}", "not in details.draw_order"),
        ("draw_as: {}", "draw_as: {details: {hood: pocket}}", "drawn after all"),
        ("draw_as: {}", "draw_as: {details: {ruching: pockett}}", "'pockett'"),
        ("    garment: {dress: 3}\n", "    garment: {dress: 3}\n    sparkle: {x: 1}\n", "steer"),
        ("    jeans: {denim: 20}\n", "", "'jeans' has no fabric weights"),
        ("version: 1", "version: 1\nextras: {}", "unknown sections"),
    ],
)
def test_malformed_weights_fail(tmp_path: Path, old: str, new: str, match: str) -> None:
    with pytest.raises(RenderWeightsError, match=match):
        load_render_weights(_write(tmp_path, _replace_once(SHIPPED, old, new)))


def test_unreadable_file_fails(tmp_path: Path) -> None:
    with pytest.raises(RenderWeightsError, match="cannot be read"):
        load_render_weights(_write(tmp_path, "base: {dress: [unclosed"))


def test_draw_as_maps_a_value_onto_a_drawable_one(tmp_path: Path) -> None:
    text = _replace_once(SHIPPED, "draw_as: {}", "draw_as: {details: {ruching: smocking}}")
    text = _replace_once(text, "[ruching, beading,", "[beading,")
    w = load_render_weights(_write(tmp_path, text))
    assert w.canon("details", "ruched") == "smocking"


# -- (c) every taxonomy value renders ------------------------------------------------


def _render(spec: dict[str, Any], seed: int = 3) -> dict[str, Any]:
    return render_flat(spec, seed, SIZE).resolved_spec


def _drawn(weights: RenderWeights, family: str, value: str) -> str | None:
    return weights.canon(family, value)


def _values(weights: RenderWeights, family: str) -> Iterable[str]:
    return weights.values[family]


@pytest.mark.parametrize("family", ["silhouette", "length", "neckline", "sleeve"])
def test_every_scalar_value_renders(weights: RenderWeights, family: str) -> None:
    for value in _values(weights, family):
        target = _drawn(weights, family, value)
        # on a dress an explicit value is kept as asked
        r = _render({"garment_type": "dress", family: value})
        if target is None:
            assert family in r["ignored"], value
        else:
            assert r[family] == target, (family, value)
        for garment in ("pants", "jacket", "top", "skirt"):
            _render({"garment_type": garment, family: value})


def test_every_garment_type_renders(weights: RenderWeights) -> None:
    assert set(garments.DRAWERS) == set(weights.base)
    for value in _values(weights, "garment_type"):
        assert _render({"garment_type": value})["garment_type"] == _drawn(
            weights, "garment_type", value
        )


@pytest.mark.parametrize("family", ["styles", "occasions", "seasons"])
def test_every_hint_renders(weights: RenderWeights, family: str) -> None:
    for value in _values(weights, family):
        r = _render({family: [value]})
        assert r[family] == [value], value
        assert value in weights.steer


def test_every_colour_and_palette_renders(weights: RenderWeights) -> None:
    for value in _values(weights, "colors"):
        r = _render({"garment_type": "dress", "colors": [value], "patterns": ["solid"]})
        assert r["colors"] == [value], value
    for value in _values(weights, "palettes"):
        r = _render({"garment_type": "dress", "palettes": [value]})
        assert r["palettes"] == [value]
        assert set(r["colors"]) <= set(PALETTES[value]), value


def test_every_pattern_is_printed(weights: RenderWeights) -> None:
    roles = Roles((30, 42, 84), (255, 255, 255), (246, 214, 62), (200, 32, 46))
    for value in _values(weights, "patterns"):
        r = _render({"garment_type": "dress", "patterns": [value]})
        assert r["patterns"] == [value], value
        kinds = list(weights.animal_print_kinds) if value == "animal-print" else [None]
        for kind in kinds:
            printed = make_print(value, kind, (0, 0, 400, 400), 8.0, roles, random.Random(1))
            assert bool(printed.prims) == (value != "solid"), (value, kind)


def test_every_fabric_has_a_surface(weights: RenderWeights) -> None:
    plain = set()
    for value in _values(weights, "fabrics"):
        r = _render({"garment_type": "dress", "fabrics": [value]})
        assert r["fabrics"] == [value], value
        if not finish(value, (0, 0, 400, 400), 8.0, (30, 42, 84), random.Random(1)):
            if value not in SHEER:
                plain.add(value)
    # Cloth drawn plain on purpose; any other fabric needs a finish in patterns.py.
    assert plain == {"cotton", "jersey"}


def test_every_detail_is_drawn_or_reported_ignored(weights: RenderWeights) -> None:
    hosts = ("dress", "skirt", "pants", "jacket", "coat", "jumpsuit", "kimono", "top", "corset")
    for value in _values(weights, "details"):
        target = _drawn(weights, "details", value)
        if target is None:
            r = _render({"garment_type": "dress", "details": [value]})
            assert r["ignored"]["details"] == [value], value
            continue
        drawn_on = [
            g
            for g in hosts
            if target in _render({"garment_type": g, "details": [value]})["details"]
        ]
        assert drawn_on, f"detail {value!r} is not drawn on any of {hosts}"


def test_code_constants_name_taxonomy_values(weights: RenderWeights) -> None:
    tax = get_taxonomy()

    def check(family: str, names: Iterable[str | None]) -> None:
        unknown = {n for n in names if n is not None and not tax.is_canonical(family, n)}
        assert not unknown, (family, unknown)

    check("garment_type", spec_resolve._NO_TOP)
    check("garment_type", spec_resolve._TAILORED)
    check("garment_type", garments.FRAME_OF)
    check("neckline", spec_resolve.STRAPLESS_NECKS)
    check("neckline", spec_resolve._SHOULDER_NECKS)
    check("neckline", [*spec_resolve._NECK_MAP_TAILORED, *spec_resolve._NECK_MAP_TAILORED.values()])
    check("neckline", parts.NECK_SHAPES)
    check("sleeve", spec_resolve._STRAPS | spec_resolve._SET_IN_SLEEVES)
    check("sleeve", parts.REAL_SLEEVES)
    check("sleeve", parts.SLEEVE_GEOM)
    check("silhouette", parts.FITTED | parts.STRAIGHT | garments.ONE_PIECE)
    for hems in (garments.DRESS_HEM, garments.TOP_HEM, garments.JACKET_HEM, garments.COAT_HEM):
        check("length", hems)
    for hems in (garments.PANTS_HEM, garments.SHORTS_HEM, garments.KIMONO_HEM):
        check("length", hems)
    check("fabrics", patterns.SHEER)
