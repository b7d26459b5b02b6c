"""Command parser: intents, quantities, attributes, negation, targets, replies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from designer_bff.commands.parser import EXAMPLES, ParseResult, parse_command
from designer_bff.garments.spec import GarmentSpec

NOW = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)  # a Wednesday
BENCH = Path(__file__).resolve().parents[2] / "bench" / "commands"


def parse(text: str, **kwargs) -> ParseResult:
    return parse_command(text, now=NOW, **kwargs)


def attrs(spec: GarmentSpec) -> dict:
    """Only what is set, for compact assertions."""
    out = {k: v for k, v in spec.model_dump().items() if v and k != "exclude"}
    excluded = spec.exclude.non_empty()
    if excluded:
        out["exclude"] = excluded
    return out


# ---------------------------------------------------------------- shape


def test_acceptance_example():
    result = parse("make me 10 bohemian style dresses")
    assert result.intent == "generate"
    assert result.spec.quantity == 10
    assert result.spec.garment_type == "dress"
    assert result.spec.styles == ["bohemian"]
    assert result.error is None
    assert result.reply == "On it: 10 bohemian dresses."


def test_json_shape():
    data = parse("make me 10 bohemian style dresses").to_dict()
    assert set(data) == {"intent", "confidence", "spec", "specs", "target", "reply", "error"}
    assert set(data["spec"]) == {
        "quantity", "garment_type", "silhouette", "length", "neckline", "sleeve", "styles",
        "colors", "palettes", "patterns", "fabrics", "occasions", "seasons", "details", "exclude",
    }  # fmt: skip
    assert set(data["spec"]["exclude"]) >= {
        "colors", "patterns", "fabrics", "styles", "garment_types", "silhouettes", "lengths",
        "necklines", "sleeves",
    }  # fmt: skip
    assert set(data["target"]) == {
        "image_ref", "collection_name", "count", "time_range", "filters", "schedule",
    }  # fmt: skip
    assert data["spec"]["silhouette"] is None and data["spec"]["colors"] == []
    assert data["specs"] == [data["spec"]]
    json.dumps(data)  # JSON-serialisable
    result = parse("5 dresses")
    assert result.to_dict() == result.model_dump(mode="json")


def test_pure_and_deterministic():
    text = "show me my outliers from last week"
    assert parse(text).to_dict() == parse(text).to_dict()


# ---------------------------------------------------------------- quantities


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("make 10 dresses", 10),
        ("make ten dresses", 10),
        ("make twenty five dresses", 25),
        ("make twenty-five dresses", 25),
        ("make a dozen dresses", 12),
        ("make half a dozen dresses", 6),
        ("make two dozen dresses", 24),
        ("make a couple of dresses", 2),
        ("make a few dresses", 3),
        ("make a dress", 1),
        ("make an a-line dress", 1),
        ("make dresses", 1),
        ("a batch of 20 dresses", 20),
        ("dresses x4", 4),
        ("dresses, 6 of them", 6),
        ("a pair of jeans", 1),
        ("a hundred tops", 100),
        ("spring 2026 dresses", 1),
        ("dresses in 100% silk", 1),
    ],
)
def test_quantities(text, quantity):
    result = parse(text)
    assert result.intent == "generate"
    assert result.spec.quantity == quantity


def test_quantity_over_limit_is_an_error():
    result = parse("make 500 dresses")
    assert result.intent == "generate"
    assert result.error is not None and result.error.code == "quantity_too_large"
    assert result.error.message
    assert "100" in result.reply


def test_quantity_limit_is_a_parameter():
    assert parse("make 20 dresses", max_quantity=10).error.code == "quantity_too_large"
    assert parse("make 20 dresses", max_quantity=20).error is None


def test_quantity_limit_counts_every_garment():
    result = parse("60 dresses and 60 skirts")
    assert result.error is not None and result.error.code == "quantity_too_large"


# ---------------------------------------------------------------- filler, case, typos


@pytest.mark.parametrize(
    "text",
    [
        "make me 10 bohemian dresses",
        "MAKE ME 10 BOHEMIAN DRESSES!!!",
        "um, hey, could you please make me like 10 bohemian dresses?",
        "uh make me 10 boho dresses thanks",
        "make me 10 bohemain dreses",
        "Make me ten Bohemian-style dresses.",
    ],
)
def test_filler_case_and_typos_do_not_matter(text):
    result = parse(text)
    assert (result.intent, result.spec.quantity, result.spec.garment_type, result.spec.styles) == (
        "generate",
        10,
        "dress",
        ["bohemian"],
    )


def test_typos_minimalist():
    assert parse("5 minimalst tops").spec.styles == ["minimalist"]


def test_no_false_matches_on_short_words():
    result = parse("a rad little red dress for me, tip: in a big bed")
    assert attrs(result.spec) == {"quantity": 1, "garment_type": "dress", "colors": ["red"]}


# ---------------------------------------------------------------- attributes


def test_every_family():
    result = parse(
        "3 bohemian floor-length a-line gowns with off the shoulder necklines and long sleeves "
        "in emerald silk with a floral print, embroidered, for a winter wedding"
    )
    assert attrs(result.spec) == {
        "quantity": 3,
        "garment_type": "gown",
        "silhouette": "a-line",
        "length": "floor",
        "neckline": "off-shoulder",
        "sleeve": "long",
        "styles": ["bohemian"],
        "colors": ["emerald"],
        "patterns": ["floral"],
        "fabrics": ["silk"],
        "occasions": ["wedding"],
        "seasons": ["winter"],
        "details": ["embroidery"],
    }


def test_palette_adds_its_colors():
    spec = parse("5 skirts in earth tones").spec
    assert spec.palettes == ["earth-tones"]
    assert {"brown", "rust", "terracotta"} <= set(spec.colors)


def test_three_quarter_sleeves_and_hyphenated_words():
    spec = parse("a v-neck t-shirt with 3/4 sleeves").spec
    assert (spec.garment_type, spec.neckline, spec.sleeve) == ("t-shirt", "v-neck", "three-quarter")


def test_casual_reads_as_occasion_after_for():
    assert parse("3 casual dresses").spec.styles == ["casual"]
    spec = parse("3 dresses for casual occasions").spec
    assert spec.occasions == ["casual"] and spec.styles == []


def test_garment_compound_noun_has_one_head():
    result = parse("2 bikini tops")
    assert len(result.specs) == 1 and result.spec.garment_type == "top"


def test_comparatives_go_to_details():
    assert parse("same but shorter").spec.details == ["shorter"]


# ---------------------------------------------------------------- negation


def test_issue_negation_examples():
    spec = parse("a midi dress without florals, no black, not too short, no sleeves").spec
    assert spec.sleeve == "sleeveless"
    assert spec.exclude.patterns == ["floral"]
    assert spec.exclude.colors == ["black"]
    assert spec.exclude.lengths == ["mini"]


@pytest.mark.parametrize(
    ("text", "key", "values"),
    [
        ("5 dresses, no black or white", "colors", ["black", "white"]),
        ("5 dresses without lace and sequins", "fabrics", ["lace", "sequin"]),
        ("5 dresses, avoid pastels", "palettes", ["pastels"]),
        ("5 dresses in navy instead of black", "colors", ["black"]),
        ("5 outfits, no dresses", "garment_types", ["dress"]),
        ("6 blazers, no pockets", "details", ["pocket"]),
        ("a dress, nothing too long", "lengths", ["maxi"]),
        ("a dress that isn't oversized", "silhouettes", ["oversized"]),
    ],
)
def test_exclusions(text, key, values):
    excluded = parse(text).spec.exclude.non_empty()
    assert set(excluded[key]) >= set(values)


def test_negation_does_not_leak_to_later_attributes():
    spec = parse("5 dresses without florals in navy silk").spec
    assert spec.colors == ["navy"] and spec.fabrics == ["silk"]
    assert spec.exclude.non_empty() == {"patterns": ["floral"]}


def test_no_prints_means_solid():
    assert parse("5 tops, no prints").spec.patterns == ["solid"]


# ---------------------------------------------------------------- several garments


def test_two_garments_two_specs():
    result = parse("5 dresses and 3 skirts")
    assert [(s.quantity, s.garment_type) for s in result.specs] == [(5, "dress"), (3, "skirt")]
    assert result.spec == result.specs[0]
    assert result.reply == "On it: 5 dresses and 3 skirts."


def test_shared_trailing_attributes():
    result = parse("5 dresses and 3 skirts in black linen")
    for spec in result.specs:
        assert spec.colors == ["black"] and spec.fabrics == ["linen"]


def test_own_attributes_stay_with_their_garment():
    result = parse("a red dress and a blue skirt")
    assert [(s.garment_type, s.colors) for s in result.specs] == [
        ("dress", ["red"]),
        ("skirt", ["blue"]),
    ]


def test_bare_second_garment_shares_quantity_and_style():
    result = parse("10 boho dresses and tops")
    assert [(s.quantity, s.garment_type, s.styles) for s in result.specs] == [
        (10, "dress", ["bohemian"]),
        (10, "top", ["bohemian"]),
    ]


def test_anaphoric_ones():
    result = parse("4 black dresses and 4 white ones")
    assert [(s.garment_type, s.colors) for s in result.specs] == [
        ("dress", ["black"]),
        ("dress", ["white"]),
    ]


def test_exclusions_apply_to_every_garment():
    result = parse("5 dresses and 3 skirts, no florals")
    assert all(s.exclude.patterns == ["floral"] for s in result.specs)


# ---------------------------------------------------------------- variations


@pytest.mark.parametrize(
    ("text", "ref", "count"),
    [
        ("5 more like the last one", "last", 5),
        ("more like this", "last", 1),
        ("10 variations of my last outlier", "last_outlier", 10),
        ("a few more like my last outlier", "last_outlier", 3),
        ("6 variations of image 42", "42", 6),
        ("more like #a1b2c3", "a1b2c3", 1),
        (
            "more like 3f2b9c1e-1a2b-4c3d-8e9f-001122334455",
            "3f2b9c1e-1a2b-4c3d-8e9f-001122334455",
            1,
        ),
        ("give me a couple more of those", "last_batch", 2),
    ],
)
def test_variation_targets(text, ref, count):
    result = parse(text)
    assert result.intent == "variations"
    assert (result.target.image_ref, result.target.count) == (ref, count)
    assert result.spec.quantity == count


def test_variation_changes_go_to_spec():
    result = parse("five more like the last one but in navy")
    assert result.intent == "variations"
    assert result.spec.colors == ["navy"]
    assert (result.target.image_ref, result.target.count) == ("last", 5)


def test_something_like_my_last_outlier_but_shorter():
    result = parse("give me something like my last outlier but shorter")
    assert result.intent == "variations"
    assert result.target.image_ref == "last_outlier"
    assert result.spec.details == ["shorter"]


def test_versions_of_a_new_garment_is_generation():
    result = parse("give me 3 versions of a preppy pleated skirt")
    assert result.intent == "generate"
    assert result.spec.quantity == 3


def test_too_many_variations():
    assert parse("200 variations of this").error.code == "quantity_too_large"


# ---------------------------------------------------------------- show


def test_show_outliers_last_week():
    result = parse("show me my outliers from last week")
    assert result.intent == "show"
    assert result.target.filters == {"is_outlier": True}
    tr = result.target.time_range
    assert (tr.label, tr.start, tr.end) == ("last_week", "2025-06-09", "2025-06-15")
    assert attrs(result.spec) == {}


def test_show_attribute_filters():
    result = parse("show bohemian dresses")
    assert result.intent == "show"
    assert result.target.filters == {"garment_type": "dress", "styles": ["bohemian"]}


@pytest.mark.parametrize(
    ("phrase", "label", "start", "end"),
    [
        ("today", "today", "2025-06-18", "2025-06-18"),
        ("yesterday", "yesterday", "2025-06-17", "2025-06-17"),
        ("this week", "this_week", "2025-06-16", "2025-06-18"),
        ("last week", "last_week", "2025-06-09", "2025-06-15"),
        ("this month", "this_month", "2025-06-01", "2025-06-18"),
        ("last month", "last_month", "2025-05-01", "2025-05-31"),
        ("this year", "this_year", "2025-01-01", "2025-06-18"),
        ("last year", "last_year", "2024-01-01", "2024-12-31"),
        ("the past 3 days", "last_3_days", "2025-06-16", "2025-06-18"),
        ("the past week", "last_7_days", "2025-06-12", "2025-06-18"),
        ("the last 2 weeks", "last_2_weeks", "2025-06-05", "2025-06-18"),
    ],
)
def test_time_ranges(phrase, label, start, end):
    tr = parse(f"show my dresses from {phrase}").target.time_range
    assert (tr.label, tr.start, tr.end) == (label, start, end)


def test_show_last_n():
    result = parse("show me the last 10 images")
    assert result.intent == "show"
    assert (result.target.image_ref, result.target.count) == ("last", 10)


# ---------------------------------------------------------------- collections


def test_collection_create_keeps_casing():
    result = parse("create a collection called Summer Capsule")
    assert result.intent == "collection_create"
    assert result.target.collection_name == "Summer Capsule"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('start a new collection named "Resort 26"', "Resort 26"),
        ("new board: Bridal Ideas", "Bridal Ideas"),
        ("start a Winter Whites collection", "Winter Whites"),
        ("make a new collection for the Spring Drop", "Spring Drop"),
        ("create a new collection", None),
    ],
)
def test_collection_create_names(text, name):
    result = parse(text)
    assert result.intent == "collection_create"
    assert result.target.collection_name == name


def test_collection_add_last_three():
    result = parse("add the last 3 to Summer Capsule")
    assert result.intent == "collection_add"
    assert result.target.collection_name == "Summer Capsule"
    assert (result.target.image_ref, result.target.count) == ("last", 3)


def test_collection_add_this_one():
    result = parse("add this one to my Summer Capsule collection please")
    assert result.intent == "collection_add"
    assert result.target.collection_name == "Summer Capsule"
    assert (result.target.image_ref, result.target.count) == ("last", 1)


def test_collection_with_images_on_create():
    result = parse("make a collection called Autumn Edit with the last 5")
    assert result.intent == "collection_create"
    assert result.target.collection_name == "Autumn Edit"
    assert (result.target.image_ref, result.target.count) == ("last", 5)


def test_add_attribute_to_image_is_a_variation():
    assert parse("add puff sleeves to it").intent == "variations"


def test_design_collection_of_garments_is_generation():
    result = parse("design a resort collection of 8 dresses")
    assert result.intent == "generate" and result.spec.quantity == 8


# ---------------------------------------------------------------- nightly


def test_nightly_create():
    result = parse("every night make me 20 minimalist tops")
    assert result.intent == "schedule_nightly"
    schedule = result.target.schedule
    assert (schedule.action, schedule.time, schedule.quantity) == ("create", None, 20)
    assert schedule.spec is not None and schedule.spec.garment_type == "top"
    assert result.spec.styles == ["minimalist"]


@pytest.mark.parametrize(
    ("text", "action", "time"),
    [
        ("stop the nightly batch", "stop", None),
        ("nightly at 3am", "update", "03:00"),
        ("move the nightly run to 11pm", "update", "23:00"),
        ("make the nightly batch run at midnight", "update", "00:00"),
        ("every night at 2 make 10 dresses", "create", "02:00"),
        ("every night at 10 make 10 dresses", "create", "22:00"),
        ("every night at 4:30 am make 10 dresses", "create", "04:30"),
        # A time written with a dot, as British writers and recognisers do.
        ("Every night make 12 pastel dresses. No florals at 4.30 am.", "create", "04:30"),
        ("every night at 9.15 pm make 3 dresses", "create", "21:15"),
        ("each night at three in the morning generate 5 gowns", "create", "03:00"),
        ("turn off the nightly job", "stop", None),
    ],
)
def test_nightly_actions(text, action, time):
    schedule = parse(text).target.schedule
    assert (schedule.action, schedule.time) == (action, time)


def test_midnight_blue_is_a_color_outside_schedules():
    assert parse("a gown in midnight blue").spec.colors == ["navy"]


# ---------------------------------------------------------------- cost, cancel, help, unknown


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("how much did I spend this month?", "this_month"),
        ("how much have I spent last week", "last_week"),
        ("what did I spend today", "today"),
        ("how much have I spent in total", "all_time"),
    ],
)
def test_cost_report(text, label):
    result = parse(text)
    assert result.intent == "cost_report"
    assert result.target.time_range.label == label


def test_cost_report_without_range():
    result = parse("cost report")
    assert result.intent == "cost_report" and result.target.time_range is None


@pytest.mark.parametrize("text", ["cancel that", "stop generating", "never mind", "abort"])
def test_cancel(text):
    assert parse(text).intent == "cancel"


@pytest.mark.parametrize("text", ["help", "what can you do?", "how does this work"])
def test_help(text):
    result = parse(text)
    assert result.intent == "help"
    assert "bohemian" in result.reply


@pytest.mark.parametrize(
    "text", ["", "   ", "what's the weather like in Paris", "blah blah", "thanks!", "???"]
)
def test_unknown_has_a_helpful_reply(text):
    result = parse(text)
    assert result.intent == "unknown"
    assert result.error is None
    assert "Try" in result.reply and "make me" in result.reply


# ---------------------------------------------------------------- confidence, replies


def test_confidence_is_meaningful():
    strong = parse("make me 10 bohemian style dresses").confidence
    weak = parse("bohemian dresses").confidence
    garbled = parse("zxqv make a dress blorf wibble").confidence
    unknown = parse("blah blah").confidence
    assert 0.0 <= unknown < garbled < strong <= 1.0
    assert weak < strong


@pytest.mark.parametrize("text", EXAMPLES)
def test_examples_are_understood(text):
    result = parse(text)
    assert result.intent != "unknown"
    assert result.confidence >= 0.6
    assert result.reply


def test_robust_to_odd_input():
    for text in ["dress " * 1000, "🙂 make a 👗", "#", "add to", "3/4", "make 0 dresses"]:
        result = parse(text)
        assert 0.0 <= result.confidence <= 1.0
    assert parse("make 0 dresses").error.code == "quantity_invalid"


# ---------------------------------------------------------------- designer shorthand


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 tops 3/4 slv boat neck", {"sleeve": "three-quarter", "neckline": "boat"}),
        ("a gown w/ a train", {"garment_type": "gown", "details": ["train"]}),
        ("a top w/o sleeves pls", {"garment_type": "top", "sleeve": "sleeveless"}),
        ("a colour block hoodie", {"garment_type": "hoodie", "patterns": ["color-block"]}),
        ("blk and wht tees", {"garment_type": "t-shirt", "colors": ["black", "white"]}),
        ("10 SS26 dresses", {"garment_type": "dress", "seasons": ["spring", "summer"]}),
        ("AW25 coats", {"garment_type": "coat", "seasons": ["fall", "winter"]}),
    ],
)
def test_abbreviations_and_british_spellings(text, expected):
    result = parse(text)
    assert result.intent == "generate"
    got = attrs(result.spec)
    for key, value in expected.items():
        assert got.get(key) == value, (key, got)


def test_season_code_year_is_not_a_quantity():
    assert parse("10 SS26 dresses").spec.quantity == 10
    assert parse("aw, cute").intent == "unknown"


@pytest.mark.parametrize(
    ("text", "garment"),
    [
        ("7 swimming costumes", "swimsuit"),
        ("a grey marl vest top", "top"),
        ("two duffle coats", "coat"),
        ("navy tracksuit bottoms", "pants"),
        ("a quilted bodywarmer", "vest"),
    ],
)
def test_british_garment_words(text, garment):
    assert parse(text).spec.garment_type == garment


def test_length_word_before_sleeves_is_a_sleeve():
    spec = parse("4 bridal gowns with long lace sleeves").spec
    assert (spec.sleeve, spec.length, spec.fabrics) == ("long", None, ["lace"])
    assert parse("a long dress").spec.length == "maxi"


def test_part_of_a_one_piece_garment_is_not_a_second_garment():
    result = parse("a prom gown with a ball gown skirt in lilac tulle")
    assert len(result.specs) == 1
    assert (result.spec.garment_type, result.spec.silhouette) == ("gown", "ball-gown")
    assert result.spec.fabrics == ["tulle"]
    # An outfit still yields two garments.
    assert len(parse("a dress with a denim jacket").specs) == 2


def test_any_colour_but_is_an_exclusion():
    spec = parse("a jumpsuit in any colour but black").spec
    assert spec.colors == [] and spec.exclude.colors == ["black"]


@pytest.mark.parametrize(
    ("text", "ref", "count"),
    [
        ("variations of the last outlier pls, six", "last_outlier", 6),
        ("same dress but with long sleeves", "last", 1),
        ("love this, more please", "last", 1),
        ("i want eight of those in black", "last_batch", 8),
        ("give me the same in a midi length", "last", 1),
        ("what about in navy", "last", 1),
    ],
)
def test_more_variation_phrasings(text, ref, count):
    result = parse(text)
    assert result.intent == "variations"
    assert (result.target.image_ref, result.target.count) == (ref, count)
    assert result.spec.garment_type is None


def test_nightly_clock_phrases_and_schedule_words():
    result = parse("run 12 jumpers every night at half past one")
    assert result.target.schedule is not None and result.target.schedule.time == "01:30"
    assert parse("nightly at quarter to eleven").target.schedule.time == "22:45"
    evening = parse("every evening at 11pm make 5 gowns")
    assert evening.target.schedule.time == "23:00"
    assert evening.spec.occasions == []  # "every evening" is when, not what


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("whats the damage this month", "cost_report"),
        ("hang on stop stop", "cancel"),
        ("create a capsule called Desert Bloom", "collection_create"),
        ("start a moodboard for Resort 27", "collection_create"),
        ("open the Summer Capsule collection", "show"),
        ("pop that one in Summer Capsule pls", "collection_add"),
        ("let's see the gowns from last month", "show"),
        ("any outliers today", "show"),
        ("how do I make a collection", "help"),
        ("delete the Bridal Ideas collection", "unknown"),
        ("put together six looks for a summer wedding", "generate"),
    ],
)
def test_more_intent_phrasings(text, intent):
    assert parse(text).intent == intent


def test_numbered_image_reference():
    result = parse("add number 42 to Client Picks")
    assert result.intent == "collection_add"
    assert (result.target.image_ref, result.target.collection_name) == ("42", "Client Picks")


# ---------------------------------------------------------------- spoken / split words


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("make me 2 jump suits in olive", "garment_type", "jumpsuit"),
        ("two swim suits", "garment_type", "swimsuit"),
        ("a sweet heart neckline gown", "neckline", "sweetheart"),
        ("3 over sized blazers", "silhouette", "oversized"),
        ("make me ten flair skirts", "silhouette", "flared"),
        ("six flair jeans", "silhouette", "flared"),
    ],
)
def test_split_words_and_homophones(text, field, value):
    assert getattr(parse_command(text).spec, field) == value


def test_joining_split_words_skips_function_words():
    spec = parse_command("glam or edgy tops").spec
    assert spec.garment_type == "top"
    assert set(spec.styles) == {"glam", "edgy"}


def test_garment_compounds_keep_their_garment_and_plural():
    spec = parse_command("sheath dress, knee length, navy crepe x4").spec
    assert (spec.quantity, spec.garment_type, spec.silhouette) == (4, "dress", "sheath")
    spec = parse_command("ten maxi skirts").spec
    assert (spec.garment_type, spec.length) == ("skirt", "maxi")
    spec = parse_command("3 shift dresses").spec
    assert (spec.quantity, spec.garment_type, spec.silhouette) == (3, "dress", "shift")


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("make one hundred and fifty shirts", 150),
        ("a hundred and twenty tops", 120),
        ("two hundred and five dresses", 205),
        ("a hundred tops", 100),
    ],
)
def test_hundred_and_numbers(text, quantity):
    result = parse_command(text)
    assert result.spec.quantity == quantity
    assert len(result.specs) == 1


def test_restated_garment_is_one_spec():
    result = parse_command("I guess maybe one more coat? a tailored one, in charcoal")
    assert len(result.specs) == 1
    spec = result.spec
    assert (spec.garment_type, spec.silhouette, spec.colors) == ("coat", "tailored", ["charcoal"])
    # A clashing attribute or a conjunction still means two garments.
    assert len(parse_command("a black dress, a white one").specs) == 2
    assert len(parse_command("a black dress and a white one").specs) == 2


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("nah scratch that", "cancel"),
        ("commands?", "help"),
        ("what can this thing do", "help"),
        ("what am I paying so far today", "cost_report"),
    ],
)
def test_more_intent_cues(text, intent):
    assert parse_command(text).intent == intent


@pytest.mark.parametrize(
    ("word", "garment"),
    [("kilt", "skirt"), ("unitard", "bodysuit"), ("maillot", "swimsuit"), ("bolero", "jacket"),
     ("henley", "top"), ("duster", "coat")],
)  # fmt: skip
def test_more_garment_words(word, garment):
    assert parse_command(f"make 2 {word}s").spec.garment_type == garment


# ---------------------------------------------------------------- benchmark set


def _bench_module():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("bench_commands_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up while being built
    spec.loader.exec_module(bench)
    return bench


def test_holdout_set_whole_accuracy():
    """A second labelled set, written from the issue without looking at the parser."""
    bench = _bench_module()
    cases = bench.load_cases(BENCH / "holdout.yaml")
    assert len(cases) >= 150
    whole, outcomes = bench.run_accuracy(cases)
    failures = [(o.text, o.problems) for o in outcomes if not o.ok]
    assert whole >= 0.95, failures


def test_holdout2_set_whole_accuracy():
    """A third set, written blind imagining other users: dictation, jargon, non-native
    English, chatty hedging, UK words, emoji, typos (scored 92% before its fixes)."""
    bench = _bench_module()
    cases = bench.load_cases(BENCH / "holdout2.yaml")
    assert len(cases) >= 150
    whole, outcomes = bench.run_accuracy(cases)
    failures = [(o.text, o.problems) for o in outcomes if not o.ok]
    assert whole >= 0.97, failures


def test_bench_set_whole_accuracy():
    bench = _bench_module()
    load_cases, run_accuracy = bench.load_cases, bench.run_accuracy
    cases = load_cases(BENCH / "commands.yaml")
    assert len(cases) >= 250
    assert {c["intent"] for c in cases} == {
        "generate", "variations", "show", "collection_create", "collection_add",
        "schedule_nightly", "cost_report", "cancel", "help", "unknown",
    }  # fmt: skip
    whole, outcomes = run_accuracy(cases)
    failures = [(o.text, o.problems) for o in outcomes if not o.ok]
    assert whole >= 0.97, failures


# ---------------------------------------------------------------- quantities read as said


@pytest.mark.parametrize(
    "text",
    [
        "make me -5 dresses",
        "make -1 dress",
        "design \u22123 skirts",  # a typographic minus
        "make minus 5 dresses",
        "make negative five dresses",
        "make 0 dresses",
        "0 dresses",
        "make zero tops",
        "make 1.5 dresses",  # not the 5 after the point
        "make 5 dresses and -3 skirts",  # every garment's count, not only the total
        "make 5 dresses and 0 skirts",
        "make -5 variations of this",
        "0 variations of this",
        "every night make -5 dresses",
        "make 0 dresses every night",
    ],
)
def test_negative_zero_and_fractional_quantities_are_refused(text: str):
    result = parse(text)
    assert result.error is not None and result.error.code == "quantity_invalid", result
    assert "positive" in result.reply and "too many" not in result.reply
    # The refused count is not kept as a (valid-looking) quantity, and a stored parse
    # reads back: GarmentSpec quantities are at least one.
    assert all(spec.quantity is None or spec.quantity >= 1 for spec in result.specs)
    assert ParseResult.model_validate(result.model_dump()) == result


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a million dresses", 10**6),
        ("make me a million dresses", 10**6),
        ("1e9 dresses", 10**9),
        ("make 2.5e3 tops", 2500),
        ("make 10^6 dresses", 10**6),
        ("make 10000000 dresses", 10**7),
        ("make 1,000,000 dresses", 10**6),
        ("make 1 000 000 dresses", 10**6),
        ("a billion dresses", 10**9),
        ("make one million dresses", 10**6),
        ("make 3 million skirts", 3 * 10**6),
        ("ten thousand dresses", 10_000),
        ("make 2000 dresses", 2000),  # a count after a design verb, not a year
        ("a million variations of this", 10**6),
        ("every night make a million dresses", 10**6),
    ],
)
def test_huge_quantities_in_any_form_are_too_many(text: str, value: int):
    result = parse(text)
    assert result.error is not None and result.error.code == "quantity_too_large", result
    assert str(value) in result.error.message
    assert result.reply.startswith("That's too many")


def test_number_forms_that_stay_small_are_read_exactly():
    assert parse("make 1e1 dresses").spec.quantity == 10
    assert parse("make 5.0 dresses").spec.quantity == 5
    assert parse("make 1,000 dresses", max_quantity=1000).spec.quantity == 1000
    assert parse("make 3-5 dresses").error is None  # a range, not a minus sign
    assert parse("make spring 2026 dresses").spec.quantity == 1  # a year stays a year
    assert parse("4 romantic gowns minus the ruffles").spec.quantity == 4
    timed = parse("make 5 dresses at 6.30pm every night")
    assert timed.error is None and timed.spec.quantity == 5


@pytest.mark.parametrize(
    ("text", "garment", "colors"),
    [
        ("cowl neck slip, bias, champagne... no, make it gold silk. 2 of them", "dress", ["gold"]),
        ("3 linen shirts in white, actually make them navy", "shirt", ["navy"]),
        ("3 linen shirts in white... no, navy", "shirt", ["navy"]),
        ("a red dress, I mean blue", "dress", ["blue"]),
        ("a red dress, no, a skirt", "skirt", ["red"]),
    ],
)
def test_a_correction_replaces_what_was_just_said(text, garment, colors):
    result = parse_command(text)
    assert result.intent == "generate"
    assert result.spec is not None
    assert result.spec.garment_type == garment
    assert result.spec.colors == colors


def test_a_correction_touches_only_its_family_and_garment():
    result = parse_command("a red dress and a blue skirt, actually green")
    assert [(s.garment_type, s.colors) for s in result.specs] == [
        ("dress", ["red"]),
        ("skirt", ["green"]),
    ]
    kept = parse_command("3 dresses, no, no pockets")
    assert kept.spec is not None and kept.spec.exclude.details == ["pocket"]


def _generated(text: str) -> list[tuple[int | None, str | None, list[str], list[str]]]:
    result = parse_command(text)
    assert result.intent == "generate"
    return [(s.quantity, s.garment_type, s.colors, s.fabrics) for s in result.specs]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("make a red dress and a blue skirt, actually make the skirt green",
         [(1, "dress", ["red"], []), (1, "skirt", ["green"], [])]),
        ("make 2 dresses in silk and a skirt, actually make the dress linen",
         [(2, "dress", [], ["linen"]), (1, "skirt", [], [])]),
        ("a red dress, actually a dress in green", [(1, "dress", ["green"], [])]),
        ("a red dress, no, make that dress a green silk one",
         [(1, "dress", ["green"], ["silk"])]),
        ("make 2 black dresses, actually make it 4", [(4, "dress", ["black"], [])]),
        ("make 2 black dresses, no, 4", [(4, "dress", ["black"], [])]),
        ("make 2 black dresses, sorry, 4 white dresses", [(4, "dress", ["white"], [])]),
        ("make black dresses, sorry, 4 black dresses", [(4, "dress", ["black"], [])]),
        ("make 2 dresses and a skirt, actually make the dresses 4",
         [(4, "dress", [], []), (1, "skirt", [], [])]),
        ("make 3 dresses, no, 2 skirts", [(2, "skirt", [], [])]),
        ("a red dress and a blue skirt, actually a dress in green",
         [(1, "dress", ["green"], []), (1, "skirt", ["blue"], [])]),
        ("3 dresses, no, 2 pockets", [(3, "dress", [], [])]),
    ],
)  # fmt: skip
def test_a_correction_naming_a_garment_changes_that_garment(text, expected):
    assert _generated(text) == expected


def test_a_new_garment_after_a_correction_cue_is_still_new():
    result = parse_command("make 2 black dresses and a skirt, actually 3 skirts")
    assert [(s.quantity, s.garment_type) for s in result.specs] == [(2, "dress"), (3, "skirt")]
    result = parse_command("a red dress, no, a skirt")
    assert [(s.garment_type, s.colors) for s in result.specs] == [("skirt", ["red"])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have 5 denim jackets, make 3 more", [(3, "jacket", [], ["denim"])]),
        ("I've already got a dozen denim jackets, make 3 more", [(3, "jacket", [], ["denim"])]),
        ("I have 5 black dresses, make 3 more in red", [(3, "dress", ["red"], [])]),
        ("we made 6 gowns last week, now do 2 more", [(2, "gown", [], [])]),
        ("I have 5 dresses, make 3 skirts", [(3, "skirt", [], [])]),
        # A request, not a statement: the count is the one to make.
        ("can I have 4 red dresses", [(4, "dress", ["red"], [])]),
        ("I'd like to have 4 red dresses", [(4, "dress", ["red"], [])]),
    ],
)  # fmt: skip
def test_a_count_already_had_is_not_the_count_to_make(text, expected):
    assert _generated(text) == expected


def test_a_dropped_waist_is_a_detail():
    for text in ("make 4 drop waist dresses", "4 dresses with a dropped waist"):
        result = parse_command(text)
        assert result.spec is not None
        assert result.spec.details == ["drop-waist"]


def test_make_it_still_changes_the_last_image():
    assert parse_command("no, make it gold").intent == "variations"


@pytest.mark.parametrize(
    ("text", "garment"),
    [("a silk slip", "dress"), ("2 cowl neck slips", "dress"), ("3 satin slip skirts", "skirt")],
)
def test_a_slip_is_a_slip_dress_unless_another_garment_is_named(text, garment):
    result = parse_command(text)
    assert result.spec is not None
    assert (result.spec.garment_type, result.spec.silhouette) == (garment, "slip")


def test_a_compound_split_by_a_comma_stays_one_garment():
    # What a recogniser writes for "a silk slip dress and a cashmere cardigan".
    result = parse_command("Silk, slip, dress, and cashmere cardigan.")
    assert [(s.garment_type, s.silhouette) for s in result.specs] == [
        ("dress", "slip"),
        ("cardigan", None),
    ]


def test_a_price_with_a_dot_is_no_time():
    result = parse("3 dresses at 2.50 dollars each")
    assert result.target.schedule is None


@pytest.mark.parametrize(
    ("text", "family", "value"),
    [
        ("3 jump suits. Don't do any sequence.", "fabrics", "sequin"),
        ("3 jumpsuits, don't add lace", "fabrics", "lace"),
        ("3 dresses, do not do florals", "patterns", "floral"),
    ],
)
def test_dont_do_or_add_excludes(text, family, value):
    spec = parse(text).spec
    assert value in getattr(spec.exclude, family)
    assert value not in getattr(spec, family)


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("Three one shoulder gowns in red.", 3),  # not 3 + 1
        ("three one-shoulder gowns", 3),
        ("twenty five dresses", 25),
        ("ninety nine gowns", 99),
    ],
)
def test_number_words_join_only_as_numbers_do(text, quantity):
    result = parse(text)
    assert result.spec is not None and result.spec.quantity == quantity


@pytest.mark.parametrize(
    ("text", "intent"),
    [("Try this 1 in linen.", "variations"), ("another 1 like that but in cobalt", "variations")],
)
def test_the_pronoun_one_written_as_a_digit(text, intent):
    result = parse(text)
    assert result.intent == intent
    assert result.target.image_ref == "last"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("New collection. Fall drop two.", "Fall drop two"),
        ("New board. Bridal ideas.", "Bridal ideas"),
    ],
)
def test_a_new_collections_name_after_a_full_stop(text, name):
    result = parse(text)
    assert result.intent == "collection_create"
    assert result.target.collection_name == name


def test_a_verb_that_is_also_a_noun_adds_only_with_an_object():
    assert parse_command("pin that to the SS25 Moodboard").intent == "collection_add"
    assert parse_command("pop the last 3 in Summer Capsule").intent == "collection_add"
    # "pin" in "baby pin stripe" moved nothing.
    assert parse_command("workwear blazers in baby pin stripe, 3").intent == "generate"


@pytest.mark.parametrize(
    "text", ["I want 20Y 2K crop tops", "20 Y-2K crop tops", "20 y2k crop tops"]
)
def test_y2k_as_recognisers_write_it(text):
    result = parse_command(text)
    assert result.spec is not None
    assert (result.spec.quantity, result.spec.styles) == (20, ["y2k"])


def test_a_count_in_thousands_is_not_one():
    result = parse_command("make 2k dresses")
    assert result.error is not None and result.error.code == "quantity_too_large"


@pytest.mark.parametrize(
    ("text", "quantity", "neckline"),
    [
        ("3 1, shoulder gowns in red", 3, "one-shoulder"),
        ("3 asymmetric 1 shoulder tops in coral jersey", 3, "one-shoulder"),
        ("Have a dozen denim jackets", 6, None),
    ],
)
def test_numbers_as_recognisers_write_them(text, quantity, neckline):
    result = parse_command(text)
    assert result.spec is not None
    assert (result.spec.quantity, result.spec.neckline) == (quantity, neckline)


def test_a_recognisers_comma_inside_a_compound_or_a_negation():
    result = parse_command("Jump, suit in any color, but black.")
    assert result.spec is not None
    assert result.spec.garment_type == "jumpsuit"
    assert (result.spec.colors, result.spec.exclude.colors) == ([], ["black"])
    # A term before the comma stays a term of its own.
    kept = parse_command("slip, dress in silk")
    assert kept.spec is not None and kept.spec.garment_type == "dress"


@pytest.mark.parametrize(
    "text", ["5 sequin dresses for New Year's Eve.", "5 sequin dresses for new years eve"]
)
def test_a_possessive_holiday_as_written_or_heard(text):
    result = parse_command(text)
    assert result.spec is not None
    assert (result.spec.quantity, result.spec.seasons) == (5, ["holiday"])


@pytest.mark.parametrize(
    "text", ["overnight, generate 40 swimsuits", "over night. Generate 40 swimsuits."]
)
def test_overnight_as_written_or_heard_is_the_nightly_batch(text):
    result = parse_command(text)
    assert result.intent == "schedule_nightly"
    assert result.target.schedule is not None and result.target.schedule.quantity == 40
