"""Fashion taxonomy: data completeness, synonyms, plurals and typo tolerance."""

from __future__ import annotations

import pytest

from designer_bff.garments.spec import ATTRIBUTE_FIELDS
from designer_bff.garments.taxonomy import (
    Attribute,
    FuzzyMatcher,
    get_taxonomy,
    normalize_phrase,
    pluralize,
)

REQUIRED = {
    "garment_type": "dress gown top blouse shirt t-shirt sweater cardigan skirt pants jeans shorts "
    "jumpsuit romper jacket blazer coat trench-coat vest suit hoodie corset bodysuit swimsuit "
    "kimono",
    "silhouette": "a-line sheath bodycon fit-and-flare shift empire mermaid ball-gown wrap slip "
    "oversized boxy tailored relaxed straight wide-leg flared pencil tiered peplum",
    "length": "mini knee midi maxi floor cropped ankle",
    "neckline": "v-neck scoop crew sweetheart halter off-shoulder one-shoulder square high-neck "
    "cowl boat plunging turtleneck collared",
    "sleeve": "sleeveless strapless spaghetti-strap cap short elbow three-quarter long puff "
    "bishop bell flutter balloon",
    "styles": "bohemian minimalist vintage retro romantic edgy streetwear preppy classic elegant "
    "glam grunge punk cottagecore y2k sporty avant-garde western coastal parisian utilitarian "
    "feminine androgynous workwear casual formal resort",
    "colors": "black white ivory cream beige camel tan brown rust terracotta burgundy maroon red "
    "coral pink blush fuchsia lavender lilac purple plum navy blue cobalt sky-blue teal turquoise "
    "mint sage olive emerald green khaki mustard yellow gold orange charcoal grey silver",
    "palettes": "earth-tones pastels neutrals jewel-tones monochrome",
    "patterns": "solid floral striped polka-dot plaid gingham houndstooth paisley animal-print "
    "leopard zebra geometric abstract tie-dye camouflage color-block check",
    "fabrics": "silk satin chiffon cotton linen wool cashmere denim leather suede velvet lace "
    "tulle organza jersey knit crochet tweed corduroy crepe sequin chambray",
    "occasions": "wedding bridal cocktail evening party prom gala office casual beach vacation "
    "festival date-night red-carpet",
    "seasons": "spring summer fall winter holiday",
}


@pytest.fixture(scope="module")
def tax():
    return get_taxonomy()


@pytest.mark.parametrize("family", sorted(REQUIRED))
def test_every_required_value_is_canonical(tax, family):
    values = set(tax.values(family))
    missing = set(REQUIRED[family].split()) - values
    assert not missing, f"{family} lacks {sorted(missing)}"


def test_families_are_the_spec_fields(tax):
    assert tax.families == ATTRIBUTE_FIELDS
    for family in ATTRIBUTE_FIELDS:
        assert isinstance(tax.values(family), tuple)


def test_canonical_values_are_singular_lower_hyphenated(tax):
    for family in tax.families:
        for value in tax.values(family):
            assert value == value.lower().strip()
            assert " " not in value and "_" not in value, value


def test_canonical_values_resolve_to_themselves(tax):
    for family in tax.families:
        for value in tax.values(family):
            assert Attribute(family, value) in {a for r in tax.readings(value) for a in r}, value


def test_only_declared_ambiguities(tax):
    assert tax.unexpected_collisions == set()
    assert [r[0].family for r in tax.readings("casual")] == ["styles", "occasions"]
    assert tax.resolve("short") == (Attribute("length", "mini"),)


def test_cached_instance():
    assert get_taxonomy() is get_taxonomy()


@pytest.mark.parametrize(
    ("phrase", "family", "value"),
    [
        ("boho", "styles", "bohemian"),
        ("gray", "colors", "grey"),
        ("autumn", "seasons", "fall"),
        ("polka dots", "patterns", "polka-dot"),
        ("Polka-Dots", "patterns", "polka-dot"),
        ("stripes", "patterns", "striped"),
        ("trousers", "garment_type", "pants"),
        ("floor length", "length", "floor"),
        ("floor-length", "length", "floor"),
        ("off the shoulder", "neckline", "off-shoulder"),
        ("a line", "silhouette", "a-line"),
        ("A-line", "silhouette", "a-line"),
        ("long sleeved", "sleeve", "long"),
        ("3/4 sleeves", "sleeve", "three-quarter"),
        ("earthy", "palettes", "earth-tones"),
        ("earth tone", "palettes", "earth-tones"),
        ("tee", "garment_type", "t-shirt"),
        ("tank top", "garment_type", "top"),
        ("jumper", "garment_type", "sweater"),
        ("frock", "garment_type", "dress"),
        ("pantsuit", "garment_type", "suit"),
        ("bikini", "garment_type", "swimsuit"),
        ("navy blue", "colors", "navy"),
        ("hot pink", "colors", "fuchsia"),
        ("colour block", "patterns", "color-block"),
        ("no sleeves", "sleeve", "sleeveless"),
        ("bouclé", "fabrics", "tweed"),
        ("pockets", "details", "pocket"),
        ("structured", "silhouette", "tailored"),
    ],
)
def test_synonyms(tax, phrase, family, value):
    assert Attribute(family, value) in tax.resolve(phrase)


@pytest.mark.parametrize(
    ("phrase", "family", "value"),
    [
        ("dresses", "garment_type", "dress"),
        ("blouses", "garment_type", "blouse"),
        ("t-shirts", "garment_type", "t-shirt"),
        ("trench coats", "garment_type", "trench-coat"),
        ("florals", "patterns", "floral"),
        ("reds", "colors", "red"),
        ("parties", "occasions", "party"),
        ("ruffles", "details", "ruffle"),
    ],
)
def test_plurals(tax, phrase, family, value):
    assert Attribute(family, value) in tax.resolve(phrase)


def test_plural_never_overrides_an_explicit_entry(tax):
    # "shorts" is a garment, not the plural of length "short".
    assert tax.resolve("shorts") == (Attribute("garment_type", "shorts"),)


def test_compounds_set_several_attributes(tax):
    assert set(tax.resolve("sundress")) == {
        Attribute("garment_type", "dress"),
        Attribute("seasons", "summer"),
    }
    assert set(tax.resolve("ball gown")) == {
        Attribute("garment_type", "gown"),
        Attribute("silhouette", "ball-gown"),
    }


def test_match_at_prefers_longest_phrase(tax):
    tokens = "a long sleeved off the shoulder dress".split()
    first = tax.match_at(tokens, 1)
    assert first is not None and first.length == 2
    assert first.attributes == (Attribute("sleeve", "long"),)
    second = tax.match_at(tokens, 3)
    assert second is not None and second.length == 3
    assert tax.match_at(tokens, 0) is None


def test_palette_colors(tax):
    for palette in tax.values("palettes"):
        colors = tax.palette_colors(palette)
        assert colors, palette
        assert all(tax.is_canonical("colors", c) for c in colors)
    assert tax.palette_colors("nope") == ()


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("bohemain", "bohemian"),
        ("minimalst", "minimalist"),
        ("dreses", "dress"),
        ("skrit", "skirt"),
        ("vintgae", "vintage"),
        ("lether", "leather"),
        ("sleevless", "sleeveless"),
        ("burgandy", "burgundy"),
        ("navvy", "navy"),
    ],
)
def test_typos_are_corrected(tax, typo, word):
    corrected = tax.correct(typo)
    assert corrected is not None
    assert tax.resolve(corrected) == tax.resolve(word)


@pytest.mark.parametrize(
    "word",
    ["a", "me", "in", "tip", "bed", "red", "top", "light", "paint", "coast", "sleep", "blank",
     "please", "pleas", "write", "shoot", "store", "dream", "class", "glass", "mouth", "speed",
     "colour", "flowy", "weather"],
)  # fmt: skip
def test_no_false_corrections(tax, word):
    assert tax.correct(word) is None


def test_canonicalize_for_external_text(tax):
    assert tax.canonicalize("colors", "Gray") == "grey"
    assert tax.canonicalize("colors", "navvy blue") == "navy"
    assert tax.canonicalize("neckline", "Off-the-Shoulder") == "off-shoulder"
    assert tax.canonicalize("colors", "silk") is None
    assert tax.canonicalize("fabrics", "unobtainium") is None


def test_fuzzy_matcher_rules():
    matcher = FuzzyMatcher(["dress", "bohemian", "top"], protected=["dross"])
    assert matcher.correct("dres") is None  # too short
    assert matcher.correct("dresss") == "dress"  # doubled letter
    assert matcher.correct("drass") is None  # substitution in a short word
    assert matcher.correct("dross") is None  # protected
    assert matcher.correct("bohmeain") == "bohemian"  # two edits in a long word
    assert matcher.correct("xohemain") is None  # two edits need the first letter right


def test_normalize_and_pluralize():
    assert normalize_phrase("  Off-the-Shoulder ") == "off the shoulder"
    assert normalize_phrase("3/4 Sleeves") == "3/4 sleeves"
    assert normalize_phrase("Black & White") == "black and white"
    assert pluralize("dress") == "dresses"
    assert pluralize("party") == "parties"
    assert pluralize("trench coat") == "trench coats"


@pytest.mark.parametrize(
    ("phrase", "family", "value"),
    [
        ("swimming costume", "garment_type", "swimsuit"),
        ("vest top", "garment_type", "top"),
        ("bodywarmer", "garment_type", "vest"),
        ("wide legs", "silhouette", "wide-leg"),
        ("flared sleeves", "sleeve", "bell"),
        ("half sleeves", "sleeve", "elbow"),
        ("mandarin collar", "neckline", "collared"),
        ("pillar box red", "colors", "red"),
        ("grey marl", "colors", "grey"),
        ("prince of wales check", "patterns", "check"),
        ("needlecord", "fabrics", "corduroy"),
        ("lambswool", "fabrics", "wool"),
        ("tomboy", "styles", "androgynous"),
        ("shirred", "details", "smocking"),
    ],
)
def test_trade_and_british_synonyms(phrase, family, value):
    assert Attribute(family, value) in get_taxonomy().resolve(phrase)


def test_smock_dress_is_a_compound():
    reading = get_taxonomy().resolve("smock dress")
    assert reading is not None
    assert set(reading) == {Attribute("garment_type", "dress"), Attribute("details", "smocking")}


def test_joined_word(tax):
    assert tax.joined_word("jump", "suits") == "jumpsuits"
    assert tax.joined_word("sweet", "heart") == "sweetheart"
    # The spaced phrase is a term of its own: keep it.
    assert tax.joined_word("a", "line") is None
    assert tax.joined_word("red", "dress") is None
    assert tax.joined_word("3", "x") is None


def test_garment_compounds_get_plurals(tax):
    assert tax.resolve("maxiskirts") == (
        Attribute("garment_type", "skirt"),
        Attribute("length", "maxi"),
    )
    assert tax.resolve("sheath dresses") == (
        Attribute("garment_type", "dress"),
        Attribute("silhouette", "sheath"),
    )


def test_no_plain_synonym_swallows_a_garment_noun(tax):
    """A non-garment synonym ending in a garment noun ("sheath dress") would drop the
    garment; such phrases must be compounds that set both."""
    garments = {"dress", "dresses", "skirt", "skirts", "gown", "gowns", "top", "tops"}
    for phrase in ("sheath dress", "shift dress", "slip dress", "wrap dress", "pencil skirt"):
        reading = tax.resolve(phrase)
        assert reading is not None
        assert any(a.family == "garment_type" for a in reading), phrase
        assert phrase.split()[-1] in garments
