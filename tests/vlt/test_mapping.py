"""VLT records -> garment specs: canonical values only, the unknown left open."""

from __future__ import annotations

from typing import Any

import pytest

from designer_bff.garments.taxonomy import get_taxonomy
from designer_bff.vlt.mapping import DEFAULT_CONFIDENCE, nearest_color, record_to_spec

# As the Visual Descriptor API returns one (gemini, passes A,B,C).
FULL_RECORD: dict[str, Any] = {
    "image_id": "img_7f3a",
    "garment_type": "Midi Dress",
    "silhouette": "A-line",
    "fabric": {"type": "Silk Charmeuse", "texture": "smooth", "weight": "light", "finish": "satin"},
    "garment": {"top": "bodice", "bottom": "skirt", "top_style": "V-Neck", "top_sleeve": "Long"},
    "colors": {
        "primary": "Navy Blue",
        "secondary": "Off White",
        "pattern": {
            "type": "Polka Dots",
            "foreground": "Off White",
            "background": "Navy Blue",
            "ratio_foreground": 0.2,
            "orientation": "none",
        },
    },
    "color_palette": [
        {"name": "Navy Blue", "hex": "#1d2a52"},
        {"name": "Off White", "hex": "#f4f1e8"},
        {"hex": "#c0152d"},
    ],
    "construction": {
        "seams": "french seams",
        "stitching": "blind",
        "hems": "rolled hem",
        "closure": "Concealed back zipper",
    },
    "fit_and_drape": "fluid, skims the body",
    "details": ["Self-tie belt", "Ruffled hem", "Covered buttons"],
    "prompt_text": "a navy silk midi dress with white polka dots",
    "confidence": {"garment_type": 0.97, "silhouette": 0.81, "fabric": 0.64, "colors": 0.92},
    "version": "vlt-1.4",
}


def test_a_full_record_maps_onto_canonical_values() -> None:
    spec, confidence = record_to_spec(FULL_RECORD)
    assert spec.garment_type == "dress"
    assert spec.length == "midi"  # carried by "Midi Dress"
    assert spec.silhouette == "a-line"
    assert spec.neckline == "v-neck"
    assert spec.sleeve == "long"
    assert spec.fabrics == ["silk"]
    assert spec.patterns == ["polka-dot"]
    # primary, secondary, then the hex-only palette entry named by its nearest colour
    assert spec.colors == ["navy", "ivory", "red"]
    assert spec.details == ["belt", "ruffle", "button", "zipper"]
    tax = get_taxonomy()
    for field, value in spec.attribute_items():
        if field != "details":
            assert tax.is_canonical(field, value), (field, value)
    assert confidence == {
        "garment_type": 0.97,
        "silhouette": 0.81,
        "length": DEFAULT_CONFIDENCE,
        "neckline": DEFAULT_CONFIDENCE,
        "sleeve": DEFAULT_CONFIDENCE,
        "colors": 0.92,
        "patterns": DEFAULT_CONFIDENCE,
        "fabrics": 0.64,
        "details": DEFAULT_CONFIDENCE,
    }


def test_an_explicit_length_beats_the_one_in_the_garment_name() -> None:
    spec, _ = record_to_spec({"garment_type": "Midi Dress", "length": "Maxi"})
    assert (spec.garment_type, spec.length) == ("dress", "maxi")


def test_words_inside_longer_phrases_are_found() -> None:
    spec, _ = record_to_spec(
        {
            "garment_type": "A-Line Dress",
            "fabric": {"type": "Linen Blend"},
            "colors": {"primary": "deep emerald green"},
            "garment": {"top_sleeve": "3/4 sleeves with buttoned cuffs"},
        }
    )
    assert spec.garment_type == "dress"
    assert spec.silhouette == "a-line"
    assert spec.fabrics == ["linen"]
    assert spec.colors == ["emerald"]
    assert spec.sleeve == "three-quarter"


def test_typos_and_capitals_resolve() -> None:
    spec, _ = record_to_spec(
        {
            "garment_type": "JUMPSUITE",
            "silhouette": "Wide Leg",
            "colors": {"primary": "Burgandy", "pattern": {"type": "Stripes"}},
        }
    )
    assert spec.garment_type == "jumpsuit"
    assert spec.silhouette == "wide-leg"
    assert spec.colors == ["burgundy"]
    assert spec.patterns == ["striped"]


def test_unknown_values_are_dropped_not_guessed() -> None:
    spec, confidence = record_to_spec(
        {
            "garment_type": "Garment",
            "silhouette": "Unclear",
            "fabric": {"type": "Technical blend"},
            "colors": {"primary": "Chartreuse-ish glow?", "pattern": {"type": "Mixed media"}},
            "color_palette": [{"hex": "#ff00ff"}, "not a colour", "#zzzzzz"],
        }
    )
    assert spec.garment_type is None
    assert spec.silhouette is None
    assert spec.fabrics == []
    assert spec.patterns == []
    assert "fuchsia" not in spec.colors  # #ff00ff is far from every colour we name
    assert set(confidence) == {field for field, _ in spec.attribute_items()}


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"garment_type": 42, "silhouette": None, "fabric": "silk", "garment": ["top"]},
        {"colors": "red", "color_palette": "red", "details": "pockets", "confidence": [0.9]},
        {"colors": {"primary": ["red"], "pattern": "striped"}, "construction": 3},
        {"color_palette": [None, 7, {"name": 5}, {"hex": 123}], "details": [None, 3, {"x": 1}]},
    ],
)
def test_wrong_types_and_missing_keys_leave_the_spec_open(record: dict[str, Any]) -> None:
    spec, confidence = record_to_spec(record)
    assert not spec.has_attributes()
    assert confidence == {}


def test_palette_names_and_hexes() -> None:
    spec, _ = record_to_spec(
        {
            "color_palette": [
                "Camel",
                {"name": "Earth Tones"},
                {"name": "mystery shade", "hex": "#1e2a54"},
                "#FAFAFA",
                "#fff",
            ]
        }
    )
    assert spec.colors == ["camel", "navy", "white"]
    assert spec.palettes == ["earth-tones"]


def test_hex_to_nearest_colour() -> None:
    assert nearest_color("#1e2a54") == "navy"
    assert nearest_color("c8202e") == "red"
    assert nearest_color("#ff00ff") is None
    assert nearest_color("navy") is None


def test_colours_are_capped() -> None:
    names = ["Red", "Navy", "Olive", "Mustard", "Teal", "Coral", "Lilac"]
    spec, _ = record_to_spec({"color_palette": names})
    assert spec.colors == ["red", "navy", "olive", "mustard", "teal"]


def test_details_keep_short_free_text_and_skip_relative_words() -> None:
    spec, _ = record_to_spec(
        {
            "details": [
                "Patch pockets",
                "contrast topstitching",
                "Slightly longer back hem",
                "An extremely long sentence describing the whole back of the garment",
                "  ",
                "patch pocket",
                "Keyhole",
                "Scalloped edges",
                "Piping",
                "Welt seams",
            ],
            "construction": {"closure": "Buttons"},
        }
    )
    assert spec.details == [
        "pocket",
        "contrast topstitching",
        "cutout",  # "keyhole" is a cutout to the taxonomy
        "scalloped edges",
        "piping",
    ]


def test_confidence_reads_nested_keys_and_rejects_nonsense() -> None:
    _, confidence = record_to_spec(
        {
            "garment_type": "Blazer",
            "fabric": {"type": "Tweed"},
            "colors": {"primary": "Grey"},
            "silhouette": "Tailored",
            "confidence": {
                "garment_type": True,  # not a score
                "fabric": {"type": 0.55},
                "colors": 1.7,  # out of range
                "silhouette": "high",
                "overall": 0.66,
            },
        }
    )
    assert confidence == {
        "garment_type": 0.66,
        "silhouette": 0.66,
        "colors": 0.66,
        "fabrics": 0.55,
    }
