"""The style profile's pure core: incremental totals, edits, the view and what the prompt
builder takes from it."""

from __future__ import annotations

import pytest

from designer_bff.garments.spec import Exclusions, GarmentSpec
from designer_bff.generation.prompting.builder import build_prompt
from designer_bff.styles.profile import (
    Edits,
    ProfileEditError,
    ProfileTotals,
    apply_edit,
    build_profile,
    prompt_inputs,
)

NAVY_STRIPES = GarmentSpec(garment_type="dress", colors=["navy", "white"], patterns=["striped"])
BURGUNDY = GarmentSpec(garment_type="dress", colors=["burgundy"], patterns=["solid"])
SURE = {"colors": 0.9, "patterns": 0.8, "garment_type": 0.7}


def portfolio(navy: int, burgundy: int) -> ProfileTotals:
    totals = ProfileTotals()
    for _ in range(navy):
        totals.add(NAVY_STRIPES, SURE)
    for _ in range(burgundy):
        totals.add(BURGUNDY, SURE)
    return totals


def test_shares_follow_the_images_and_removal_undoes_an_addition() -> None:
    totals = portfolio(3, 1)
    colors = totals.shares("colors")
    assert list(colors) == ["navy", "white", "burgundy"]
    assert abs(sum(colors.values()) - 1) < 1e-9
    assert totals.shares("patterns")["striped"] == pytest.approx(0.75)

    before = ProfileTotals.from_dict(totals.to_dict())
    totals.add(BURGUNDY, SURE)
    totals.remove(BURGUNDY, SURE)
    assert totals.image_count == before.image_count
    for attribute, values in before.counts.items():
        assert totals.counts[attribute] == pytest.approx(values)

    for _ in range(3):
        totals.remove(NAVY_STRIPES, SURE)
    totals.remove(BURGUNDY, SURE)
    assert totals.image_count == 0 and totals.counts == {}


def test_the_view_has_a_palette_top_values_and_a_summary() -> None:
    view = build_profile(portfolio(3, 1), Edits()).to_dict()
    assert [p["value"] for p in view["palette"]] == ["navy", "white", "burgundy"]
    assert view["palette"][0]["hex"].startswith("#") and len(view["palette"][0]["hex"]) == 7
    assert view["top"][0] == {"attribute": "garment_type", "value": "dress", "weight": 1.0}
    assert "dresses" in view["summary"] and "navy" in view["summary"]
    assert view["summary_edited"] is False

    empty = build_profile(ProfileTotals(), Edits()).to_dict()
    assert empty["image_count"] == 0 and empty["palette"] == [] and empty["attributes"] == {}
    assert "upload" in empty["summary"]


def test_edits_validate_against_the_taxonomy_and_exclude_each_other() -> None:
    edits = apply_edit(Edits(), "pin", "colors", "Navy Blue")
    assert edits.pinned == {"colors": ["navy"]}
    edits = apply_edit(edits, "ban", "colors", "navy")
    assert edits.pinned == {} and edits.banned == {"colors": ["navy"]}
    edits = apply_edit(edits, "boost", "patterns", "striped", 3)
    assert edits.boosted == {"patterns": {"striped": 3.0}}
    edits = apply_edit(edits, "unboost", "patterns", "striped")
    assert edits.boosted == {}
    assert Edits.from_dict(edits.to_dict()) == edits

    for args, code in (
        (("ban", "sparkle", "red"), "unknown_attribute"),
        (("pin", "colors", "not-a-colour"), "unknown_value"),
        (("pin", "patterns", "navy"), "unknown_value"),
    ):
        with pytest.raises(ProfileEditError) as caught:
            apply_edit(Edits(), *args)
        assert caught.value.code == code
    with pytest.raises(ProfileEditError) as caught:
        apply_edit(Edits(), "boost", "colors", "red", 50)
    assert caught.value.code == "bad_factor"


def test_banned_values_leave_the_palette_and_the_prompt_inputs() -> None:
    totals = portfolio(3, 1)
    edits = apply_edit(Edits(), "ban", "colors", "white")
    view = build_profile(totals, edits).to_dict()
    assert "white" not in [p["value"] for p in view["palette"]]
    white = next(r for r in view["attributes"]["colors"] if r["value"] == "white")
    assert white["banned"] is True
    profile, preferences = prompt_inputs(totals, edits)
    assert profile is not None and "white" not in profile.weights["colors"]
    assert preferences is not None and preferences.banned["colors"] == frozenset({"white"})
    assert prompt_inputs(ProfileTotals(), Edits()) == (None, None)


def test_a_pin_fills_what_the_command_left_open_and_never_what_it_said() -> None:
    edits = apply_edit(Edits(), "pin", "colors", "navy")
    edits = apply_edit(edits, "ban", "patterns", "floral")
    profile, preferences = prompt_inputs(ProfileTotals(), edits)
    for index in range(10):
        built = build_prompt(
            GarmentSpec(garment_type="dress", styles=["bohemian"]),
            profile=profile,
            preferences=preferences,
            seed=11,
            index=index,
        )
        assert "navy" in built.spec.colors and "floral" not in built.spec.patterns
        assert built.params["pinned"] == {"colors": ["navy"]}
    said = build_prompt(
        GarmentSpec(garment_type="dress", colors=["red"]), profile=profile, seed=1, index=0
    )
    assert said.spec.colors[0] == "red" and "navy" not in said.spec.colors
    refused = build_prompt(
        GarmentSpec(garment_type="dress", exclude=Exclusions(colors=["navy"])),
        profile=profile,
        seed=1,
        index=0,
    )
    assert "navy" not in refused.spec.colors and "pinned" not in refused.params
