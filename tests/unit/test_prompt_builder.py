"""The prompt builder: what the designer said wins, the open attributes are filled inside
the style rules from the profile and preferences, a batch varies, exclusions and banned
values never show, and every family says every stated attribute."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from designer_bff.commands.parser import parse_command
from designer_bff.garments.spec import EXCLUDE_FAMILY, GarmentSpec
from designer_bff.garments.style_rules import (
    StyleRulesError,
    get_style_rules,
    load_style_rules,
)
from designer_bff.garments.taxonomy import get_taxonomy
from designer_bff.generation.prompt import (
    PROMPT_FAMILIES,
    BuiltPrompt,
    Preferences,
    StyleProfile,
    build_prompt,
)
from designer_bff.generation.renderer import render_flat
from designer_bff.generation.renderer.palette import PALETTES

BOHO_DRESS = GarmentSpec(garment_type="dress", styles=["bohemian"])
DRESS = GarmentSpec(garment_type="dress")


def _says(text: str, value: str) -> bool:
    """`value` as words of their own in `text` (hyphens read as spaces)."""
    norm = text.lower().replace("-", " ")
    words = value.lower().replace("-", " ")
    return re.search(rf"(?<![a-z]){re.escape(words)}s?(?![a-z])", norm) is not None


def _spec(text: str) -> GarmentSpec:
    parsed = parse_command(text)
    return (parsed.specs or [parsed.spec])[0].without_quantity()


def _values(spec: GarmentSpec) -> dict[str, set[str]]:
    return {name: {v for v in [value]} for name, value in spec.attribute_items()} | {
        name: set(getattr(spec, name))
        for name in ("colors", "patterns", "fabrics", "styles", "details")
    }


# -- the designer's words win ----------------------------------------------------------


def test_what_the_command_says_is_kept() -> None:
    spec = _spec("3 cropped denim jackets in navy with patch pockets")
    for index in range(12):
        built = build_prompt(spec, seed=5, index=index)
        assert built.spec.garment_type == "jacket"
        assert built.spec.length == "cropped"
        assert built.spec.fabrics == ["denim"]
        assert built.spec.colors[0] == "navy"
        assert built.spec.details == ["pocket"]
        assert "garment_type" not in built.params["filled"]
        assert "fabrics" not in built.params["filled"]


def test_the_profile_fills_open_attributes() -> None:
    profile = StyleProfile(weights={"patterns": {"houndstooth": 10.0}}, strength=1.0)
    cotton = GarmentSpec(garment_type="dress", fabrics=["cotton"])  # a fabric that takes it
    plain = Counter(build_prompt(cotton, seed=1, index=i).spec.patterns[0] for i in range(48))
    liked = Counter(
        build_prompt(cotton, profile=profile, seed=1, index=i).spec.patterns[0] for i in range(48)
    )
    assert plain["houndstooth"] <= 6
    assert liked["houndstooth"] == 48
    assert build_prompt(cotton, profile=profile, seed=1).params["profile"] is True
    assert build_prompt(cotton, seed=1).params["profile"] is False
    # half strength: a mix of the profile's and the rules' own choices
    half = StyleProfile(weights={"patterns": {"houndstooth": 1.0}}, strength=0.5)
    mixed = Counter(
        build_prompt(cotton, profile=half, seed=1, index=i).spec.patterns[0] for i in range(48)
    )
    assert 12 <= mixed["houndstooth"] < 48


def test_the_profile_can_choose_the_garment_and_the_style() -> None:
    profile = StyleProfile(
        weights={"garment_type": {"jacket": 5.0}, "styles": {"western": 1.0}}, strength=1.0
    )
    built = build_prompt(GarmentSpec(), profile=profile, seed=2)
    assert built.spec.garment_type == "jacket"
    assert built.spec.styles == ["western"]
    assert built.params["filled"]["styles"] == ["western"]


def test_the_command_overrides_the_profile() -> None:
    profile = StyleProfile(
        weights={"patterns": {"houndstooth": 10.0}, "colors": {"black": 10.0}}, strength=1.0
    )
    spec = GarmentSpec(garment_type="dress", patterns=["floral"], colors=["coral"])
    for index in range(20):
        built = build_prompt(spec, profile=profile, seed=3, index=index)
        assert built.spec.patterns == ["floral"]
        assert built.spec.colors[0] == "coral"


def test_the_style_rules_bound_the_profile() -> None:
    # a minimalist design stays solid however much the designer's portfolio is houndstooth
    profile = StyleProfile(weights={"patterns": {"houndstooth": 10.0}}, strength=1.0)
    spec = GarmentSpec(garment_type="dress", styles=["minimalist"])
    for index in range(20):
        assert build_prompt(spec, profile=profile, seed=4, index=index).spec.patterns == ["solid"]


def test_preferences_tilt_the_choices() -> None:
    spec = GarmentSpec(garment_type="top", patterns=["solid"])
    prefs = Preferences(weights={"colors": {"emerald": 40.0}})
    before = Counter(build_prompt(spec, seed=6, index=i).spec.colors[0] for i in range(48))
    after = Counter(
        build_prompt(spec, preferences=prefs, seed=6, index=i).spec.colors[0] for i in range(48)
    )
    assert after["emerald"] > before["emerald"] + 10
    assert build_prompt(spec, preferences=prefs, seed=6, index=0).params["preferences"] is True
    assert build_prompt(spec, seed=6, index=0).params["preferences"] is False


def test_learned_posteriors_lean_what_is_left_open() -> None:
    # floral samples as a sure standout, solid as a sure miss: open prints lean to floral
    prefs = Preferences(
        posteriors={"patterns": {"floral": (60.0, 2.0), "solid": (1.0, 60.0)}}, explore=0.0
    )
    before = Counter(build_prompt(DRESS, seed=8, index=i).spec.patterns[0] for i in range(32))
    after = Counter(
        build_prompt(DRESS, preferences=prefs, seed=8, index=i).spec.patterns[0] for i in range(32)
    )
    assert after["floral"] > before["floral"] + 8 and after["solid"] < before["solid"]
    # what was said stays said, and the params say the preferences were used
    said = GarmentSpec(garment_type="dress", patterns=["striped"])
    assert build_prompt(said, preferences=prefs, seed=8, index=0).spec.patterns == ["striped"]
    assert any(
        build_prompt(DRESS, preferences=prefs, seed=8, index=i).params["preferences"]
        for i in range(8)
    )


def test_profile_and_preferences_are_validated() -> None:
    with pytest.raises(ValueError):
        StyleProfile(weights={"colour": {"red": 1.0}})
    with pytest.raises(ValueError):
        StyleProfile(weights={"colors": {"red": -1.0}})
    with pytest.raises(ValueError):
        StyleProfile(strength=2.0)
    with pytest.raises(ValueError):
        Preferences(banned={"colour": frozenset({"red"})})
    with pytest.raises(ValueError):
        Preferences(posteriors={"length": {"maxi": (0.0, 1.0)}})
    with pytest.raises(ValueError):
        Preferences(posteriors={"lengths": {"maxi": (1.0, 1.0)}})
    with pytest.raises(ValueError):
        Preferences(explore=1.5)


# -- variety ----------------------------------------------------------------------------


def _fills(built: BuiltPrompt) -> tuple[Any, ...]:
    s = built.spec
    return (s.silhouette, s.length, s.neckline, s.sleeve, *s.patterns, *s.fabrics, *s.colors)


def test_a_batch_varies_and_each_design_is_reproducible() -> None:
    batch = [build_prompt(BOHO_DRESS, seed=11, index=i) for i in range(10)]
    assert len({_fills(b) for b in batch}) == 10  # 10 dresses are not 10 copies
    assert len({b.spec.silhouette for b in batch}) >= 3
    assert len({b.spec.colors[0] for b in batch}) >= 4
    again = [build_prompt(BOHO_DRESS, seed=11, index=i) for i in range(10)]
    assert [b.spec for b in again] == [b.spec for b in batch]
    assert [b.prompt for b in again] == [b.prompt for b in batch]
    assert build_prompt(BOHO_DRESS, seed=12, index=0).spec != batch[0].spec or (
        build_prompt(BOHO_DRESS, seed=13, index=0).spec != batch[0].spec
    )


def test_a_batch_spreads_over_the_likely_values() -> None:
    # stratified: a batch of 16 covers the silhouettes in proportion, not by luck
    batch = [build_prompt(BOHO_DRESS, seed=21, index=i).spec.silhouette for i in range(16)]
    assert max(Counter(batch).values()) <= 8


def test_building_from_the_filled_spec_fills_nothing_new() -> None:
    for text in ("10 bohemian style dresses", "5 cropped denim jackets", "bridal gowns"):
        spec = _spec(text)
        for index in range(6):
            built = build_prompt(spec, seed=31, index=index)
            again = build_prompt(built.spec, family="sentence", seed=31, index=index)
            assert again.spec == built.spec


# -- style rules -------------------------------------------------------------------------


def test_open_attributes_stay_inside_the_style_rules() -> None:
    rules = get_style_rules()
    for style in ("bohemian", "minimalist", "western", "preppy", "cottagecore", "glam"):
        spec = GarmentSpec(garment_type="dress", styles=[style])
        for index in range(16):
            built = build_prompt(spec, seed=41, index=index)
            s = built.spec
            for attr, values in (
                ("silhouette", [s.silhouette]),
                ("length", [s.length]),
                ("patterns", s.patterns),
                ("fabrics", s.fabrics),
                ("colors", s.colors),
            ):
                for v in values:
                    if v is not None:
                        assert rules.fits(attr, v, [style]), (style, attr, v)
    # the report that started this: no bohemian houndstooth sheath, ever
    for index in range(64):
        s = build_prompt(BOHO_DRESS, seed=index, index=index).spec
        assert s.silhouette != "sheath" and "houndstooth" not in s.patterns


def test_denim_is_filled_as_denim() -> None:
    spec = _spec("5 cropped denim jackets with patch pockets")
    rules = get_style_rules()
    for index in range(20):
        s = build_prompt(spec, seed=51, index=index).spec
        assert s.patterns == ["solid"]
        assert all(rules.material_allows("denim", "colors", c) for c in s.colors)


def test_every_taxonomy_style_has_rules_or_the_default() -> None:
    rules = get_style_rules()
    for style in get_taxonomy().values("styles"):
        assert style in rules.styles


def test_style_rules_with_an_unknown_value_fail_naming_it(tmp_path: Path) -> None:
    shipped = get_style_rules().path.read_text()
    bad = tmp_path / "style_rules.yaml"
    bad.write_text(
        shipped.replace("patterns: {floral: 5, paisley: 4", "patterns: {flowral: 5, paisley: 4")
    )
    with pytest.raises(
        StyleRulesError, match=r"style_rules\.yaml: styles\.bohemian\.patterns.*'flowral'"
    ):
        load_style_rules(bad)
    missing = tmp_path / "missing.yaml"
    missing.write_text(shipped.replace("\n  resort:\n", "\n  resortish:\n"))
    with pytest.raises(StyleRulesError, match="resortish"):
        load_style_rules(missing)
    empty = tmp_path / "empty.yaml"
    empty.write_text(
        shipped.replace(
            "    patterns: [solid]\n    fabrics: {crepe", "    patterns: []\n    fabrics: {crepe"
        )
    )
    with pytest.raises(StyleRulesError, match="allows nothing"):
        load_style_rules(empty)


# -- exclusions and bans --------------------------------------------------------------------

_EXCLUSION_COMMANDS = (
    "10 bohemian dresses without florals, no brown",
    "minimalist dresses, no black, no white",
    "5 edgy jackets, no leather, no zippers",
    "western shirts, no plaid, no denim",
    "dresses in earth tones, no rust",
    "gowns without sleeves, no sweetheart neckline",
    "jumpsuits, no v-neck, no wide leg",
    "coats without buttons, no camel",
    "blouses, no animal print, no ruffles",
    "skirts, no mini, no pleats, no navy",
)


def _excluded(spec: GarmentSpec) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, values in spec.exclude.non_empty().items():
        out.setdefault(EXCLUDE_FAMILY[key], set()).update(values)
    for p in out.get("palettes", set()):
        out.setdefault("colors", set()).update(PALETTES[p])
    return out


def test_exclusions_never_filled_nor_said_and_go_to_the_negative_prompt() -> None:
    for text in _EXCLUSION_COMMANDS:
        spec = _spec(text)
        excluded = _excluded(spec)
        assert excluded, text
        for index in range(12):
            for family in PROMPT_FAMILIES:
                built = build_prompt(spec, family=family, seed=61, index=index)
                have = _values(built.spec)
                for attr, values in excluded.items():
                    assert not have.get(attr, set()) & values, (text, attr)
                    for v in values:
                        assert not _says(built.prompt, v), (text, family, v, built.prompt)
                assert built.negative_prompt is not None
                for values in spec.exclude.non_empty().values():
                    for v in values:
                        assert _says(built.negative_prompt, v), (text, family, v)


def test_an_excluded_value_also_named_is_left_out() -> None:
    spec = GarmentSpec(garment_type="top", colors=["black", "red"])
    spec.exclude.add("colors", "black")
    built = build_prompt(spec, seed=1)
    assert built.spec.colors[0] == "red" and "black" not in built.spec.colors
    assert built.params["dropped"] == {"colors": ["black"]}
    assert not _says(built.prompt, "black")


def test_banned_values_never_appear_whatever_the_seed() -> None:
    banned = Preferences(
        banned={
            "colors": frozenset({"black", "navy", "white"}),
            "patterns": frozenset({"floral", "striped"}),
            "fabrics": frozenset({"cotton", "silk"}),
            "silhouette": frozenset({"a-line", "tailored"}),
        }
    )
    # the profile pulls towards the banned values as hard as it can
    profile = StyleProfile(
        weights={
            "colors": {"black": 10.0, "navy": 10.0},
            "patterns": {"floral": 10.0},
            "fabrics": {"cotton": 10.0},
        },
        strength=1.0,
    )
    specs = [
        DRESS,
        BOHO_DRESS,
        GarmentSpec(garment_type="shirt"),
        GarmentSpec(styles=["preppy"]),
        GarmentSpec(garment_type="blazer", styles=["minimalist"]),
        GarmentSpec(),
    ]
    for spec in specs:
        for seed in range(25):
            for index in (0, 3, 17):
                built = build_prompt(
                    spec, profile=profile, preferences=banned, seed=seed * 7919, index=index
                )
                have = _values(built.spec)
                for attr, values in banned.banned.items():
                    assert not have.get(attr, set()) & values, (spec, seed, attr, have)
                    for v in values:
                        assert not _says(built.prompt, v), (built.prompt, v)


# -- phrasing --------------------------------------------------------------------------------

_STATED_COMMANDS = (
    "5 cropped denim jackets with patch pockets",
    "3 minimalist blazers in navy wool",
    "make me 10 bohemian style dresses in earthy tones",
    "red silk slip dresses with spaghetti straps for a cocktail party",
    "2 long sleeve turtleneck sweaters in cream cashmere for winter",
    "off the shoulder maxi gowns in emerald velvet with a slit",
    "sleeveless a-line knee length dresses in yellow gingham",
    "wide leg pants in olive linen with pockets",
    "strapless mermaid gowns in ivory tulle",
    "preppy pleated skirts in navy plaid",
)


def test_every_family_says_every_stated_attribute() -> None:
    for text in _STATED_COMMANDS:
        spec = _spec(text)
        stated = [
            (n, v) for n, v in spec.attribute_items() if not (n == "colors" and spec.palettes)
        ]
        assert len(stated) >= 3, text
        for family in PROMPT_FAMILIES:
            for index in range(3):
                built = build_prompt(spec, family=family, seed=71, index=index)
                for name, value in stated:
                    assert _says(built.prompt, value), (text, family, name, value, built.prompt)


def test_tags_weigh_what_was_said_higher() -> None:
    built = build_prompt(_spec("3 minimalist blazers in navy wool"), family="tags", seed=1)
    assert "(navy:1.3)" in built.prompt and "(wool:1.3)" in built.prompt
    assert "(blazer:1.3)" in built.prompt and "(minimalist:1.3)" in built.prompt
    filled = built.spec.silhouette
    assert filled is not None and f"({filled}" not in built.prompt  # filled: plain weight
    assert "watermark" in (built.negative_prompt or "")


def test_sentences_read_as_sentences_and_flats_as_flats() -> None:
    spec = _spec("red silk slip dresses with spaghetti straps")
    sentence = build_prompt(spec, family="sentence", seed=2).prompt
    assert sentence.startswith("A fashion design of ") and sentence.endswith(".")
    assert sentence.count(". ") >= 1
    flat = build_prompt(spec, family="flat", seed=2).prompt
    assert flat.startswith("Technical fashion flat sketch of ")
    assert build_prompt(spec, family="flat", seed=2).negative_prompt is None
    with pytest.raises(ValueError):
        build_prompt(spec, family="poem")  # type: ignore[arg-type]


def test_params_are_json_safe_and_say_what_was_filled() -> None:
    import json

    built = build_prompt(BOHO_DRESS, family="tags", seed=9, index=2)
    again = json.loads(json.dumps(built.params))
    assert again["family"] == "tags" and again["seed"] == 9 and again["index"] == 2
    assert again["style_rules"] == ["bohemian"]
    assert set(again["stated"]) == {"garment_type", "styles"}
    for attr, value in again["filled"].items():
        assert getattr(built.spec, attr) == value or set(value) <= set(getattr(built.spec, attr))


# -- the renderer draws what was filled --------------------------------------------------------


def test_the_renderer_draws_the_filled_spec() -> None:
    for text in (
        "10 bohemian style dresses",
        "5 cropped denim jackets",
        "preppy skirts",
        "minimalist blazers",
        "western outfits",
        "pastel summer tops",
    ):
        spec = _spec(text)
        for index in range(4):
            built = build_prompt(spec, seed=81, index=index)
            drawn = render_flat(built.spec, 1000 + index, 64).resolved_spec
            s = built.spec
            assert drawn["garment_type"] == s.garment_type
            for attr in ("silhouette", "length", "neckline", "sleeve"):
                if getattr(s, attr) is not None:
                    assert drawn[attr] == getattr(s, attr), (text, attr)
            assert drawn["patterns"][:1] == s.patterns[:1]
            assert drawn["fabrics"][:1] == s.fabrics[:1]
            assert drawn["colors"][: len(s.colors)] == s.colors[: len(drawn["colors"])]
