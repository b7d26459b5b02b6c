"""Turn a (possibly sparse) garment spec into every attribute the renderer draws.

Explicit attributes are kept as given. Unspecified ones are drawn from weighted
tables: a base weight per garment type, multiplied by what the spec's styles,
occasions and seasons lean towards (bohemian -> maxi, tiered, floral, earth tones;
winter -> long sleeves, wool, dark colours; ...). Each attribute gets its own RNG
derived from (seed, attribute name) so that fixing one attribute in a command does not
reshuffle the choices made for the others.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .palette import (
    COLORS,
    PALETTES,
    RGB,
    canonical_color,
    canonical_palette,
    distance,
)

GARMENTS = (
    "dress", "gown", "top", "blouse", "shirt", "t-shirt", "sweater", "cardigan", "skirt",
    "pants", "jeans", "shorts", "jumpsuit", "romper", "jacket", "blazer", "coat",
    "trench-coat", "vest", "suit", "hoodie", "corset", "bodysuit", "swimsuit", "kimono",
)
SILHOUETTES = (
    "a-line", "sheath", "bodycon", "fit-and-flare", "shift", "empire", "mermaid",
    "ball-gown", "wrap", "slip", "oversized", "boxy", "tailored", "relaxed", "straight",
    "wide-leg", "flared", "pencil", "tiered", "peplum",
)
LENGTHS = ("mini", "knee", "midi", "maxi", "floor", "cropped", "ankle")
NECKLINES = (
    "v-neck", "scoop", "crew", "sweetheart", "halter", "off-shoulder", "one-shoulder",
    "square", "high-neck", "cowl", "boat", "plunging", "turtleneck", "collared",
)
SLEEVES = (
    "sleeveless", "strapless", "spaghetti-strap", "cap", "short", "elbow", "three-quarter",
    "long", "puff", "bishop", "bell", "flutter", "balloon",
)
STYLES = (
    "bohemian", "minimalist", "vintage", "retro", "romantic", "edgy", "streetwear",
    "preppy", "classic", "elegant", "glam", "grunge", "punk", "cottagecore", "y2k",
    "sporty", "avant-garde", "western", "coastal", "parisian", "utilitarian", "feminine",
    "androgynous", "workwear", "casual", "formal", "resort",
)
PATTERNS = (
    "solid", "floral", "striped", "polka-dot", "plaid", "gingham", "houndstooth",
    "paisley", "animal-print", "leopard", "zebra", "geometric", "abstract", "tie-dye",
    "camouflage", "color-block", "check",
)
FABRICS = (
    "silk", "satin", "chiffon", "cotton", "linen", "wool", "cashmere", "denim", "leather",
    "suede", "velvet", "lace", "tulle", "organza", "jersey", "knit", "crochet", "tweed",
    "corduroy", "crepe", "sequin", "chambray",
)
OCCASIONS = (
    "wedding", "bridal", "cocktail", "evening", "party", "prom", "gala", "office",
    "casual", "beach", "vacation", "festival", "date-night", "red-carpet",
)
SEASONS = ("spring", "summer", "fall", "winter", "holiday")
DETAILS = (
    "belt", "bow", "ruffle", "pleats", "slit", "buttons", "pockets", "fringe", "lace-trim",
    "embroidery", "cutout", "zipper", "tie", "smocking",
)

_SYNONYMS: dict[str, str] = {
    # garments
    "trousers": "pants", "slacks": "pants", "tee": "t-shirt", "tshirt": "t-shirt",
    "tee-shirt": "t-shirt", "jumper": "sweater", "pullover": "sweater", "trench": "trench-coat",
    "gowns": "gown", "hoody": "hoodie", "sweatshirt": "hoodie", "tank": "top", "cami": "top",
    "camisole": "top", "bikini": "swimsuit", "swimwear": "swimsuit", "one-piece": "swimsuit",
    "overalls": "jumpsuit", "playsuit": "romper", "waistcoat": "vest", "denim": "denim",
    # silhouettes and cuts
    "aline": "a-line", "a-line-skirt": "a-line", "skater": "fit-and-flare",
    "bodycon-fit": "bodycon", "ballgown": "ball-gown", "fishtail": "mermaid",
    "trumpet": "mermaid", "column": "sheath", "loose": "relaxed", "fitted": "tailored",
    "slim": "tailored", "skinny": "tailored", "bootcut": "flared", "flare": "flared",
    "palazzo": "wide-leg", "baggy": "oversized",
    # lengths
    "floor-length": "floor", "ankle-length": "ankle", "knee-length": "knee",
    "crop": "cropped", "short": "mini", "long": "maxi", "tea": "midi",
    # necklines
    "vneck": "v-neck", "v": "v-neck", "scoop-neck": "scoop", "crew-neck": "crew",
    "crewneck": "crew", "off-the-shoulder": "off-shoulder", "bardot": "off-shoulder",
    "asymmetric": "one-shoulder", "square-neck": "square", "mock-neck": "high-neck",
    "funnel": "high-neck", "bateau": "boat", "boat-neck": "boat", "deep-v": "plunging",
    "polo": "collared", "collar": "collared", "turtle-neck": "turtleneck",
    # sleeves
    "no-sleeves": "sleeveless", "tank-strap": "sleeveless", "spaghetti": "spaghetti-strap",
    "spaghetti-straps": "spaghetti-strap", "3/4": "three-quarter", "long-sleeve": "long",
    "long-sleeved": "long", "short-sleeve": "short", "short-sleeved": "short",
    "cap-sleeve": "cap", "puffed": "puff", "puffy": "puff", "lantern": "balloon",
    # styles
    "boho": "bohemian", "minimal": "minimalist", "street": "streetwear", "athleisure": "sporty",
    "goth": "edgy", "gothic": "edgy", "cottage": "cottagecore", "french": "parisian",
    "utility": "utilitarian", "glamorous": "glam",
    # patterns
    "stripes": "striped", "stripe": "striped", "stripy": "striped", "pinstripe": "striped",
    "florals": "floral", "flowers": "floral", "flowery": "floral", "dots": "polka-dot",
    "polka-dots": "polka-dot", "dotted": "polka-dot", "tartan": "plaid", "checked": "check",
    "checkered": "check", "checks": "check", "animal": "animal-print", "cheetah": "leopard",
    "camo": "camouflage", "tiedye": "tie-dye", "colorblock": "color-block",
    "colour-block": "color-block", "plain": "solid",
    # fabrics
    "sequins": "sequin", "sequined": "sequin", "knitted": "knit", "cord": "corduroy",
    "faux-leather": "leather", "mesh": "tulle", "lycra": "jersey",
    # occasions and seasons
    "autumn": "fall", "christmas": "holiday", "date": "date-night", "work": "office",
    "wedding-guest": "wedding", "vacay": "vacation", "holidays": "holiday",
    # details
    "ruffles": "ruffle", "ruffled": "ruffle", "frill": "ruffle", "frills": "ruffle",
    "pleated": "pleats", "pleat": "pleats", "button": "buttons", "buttoned": "buttons",
    "button-front": "buttons", "pocket": "pockets", "bows": "bow", "sash": "tie",
    "waist-tie": "tie", "belted": "belt", "scallop": "lace-trim", "scalloped": "lace-trim",
    "lace": "lace-trim", "zip": "zipper", "fringes": "fringe", "tassels": "fringe",
    "embroidered": "embroidery", "cut-out": "cutout", "cutouts": "cutout", "slits": "slit",
    "side-slit": "slit", "smocked": "smocking",
}

Weights = dict[Any, float]

# --- base weights per garment type -------------------------------------------------

_DRESS_NECK: Weights = {
    "v-neck": 3, "scoop": 2.5, "crew": 1.5, "sweetheart": 2, "square": 2, "halter": 1,
    "off-shoulder": 1.2, "one-shoulder": 0.8, "boat": 1, "high-neck": 0.8, "cowl": 0.6,
    "plunging": 0.6, "collared": 0.6,
}
_DRESS_SLEEVE: Weights = {
    "sleeveless": 3, "spaghetti-strap": 1.5, "strapless": 0.7, "cap": 1.2, "short": 2,
    "elbow": 0.8, "three-quarter": 1, "long": 1.5, "puff": 1.2, "bishop": 0.6, "bell": 0.6,
    "flutter": 1.2, "balloon": 0.4,
}
_TOP_FITS: Weights = {"relaxed": 2, "straight": 1.5, "tailored": 1, "boxy": 1.2, "oversized": 0.8}
_JACKET_NECK: Weights = {"collared": 8, "v-neck": 0.6, "high-neck": 0.6, "crew": 0.4}
_PANTS_FITS: Weights = {
    "straight": 3, "wide-leg": 3, "tailored": 2, "flared": 1.2, "relaxed": 1.2, "oversized": 0.5,
}
_LONG_SLEEVES: Weights = {"long": 6, "three-quarter": 1}

BASE: dict[str, dict[str, Weights]] = {
    "dress": {
        "silhouette": {
            "a-line": 3, "fit-and-flare": 2.5, "sheath": 2, "shift": 1.5, "wrap": 1.5,
            "empire": 1, "slip": 1, "bodycon": 1, "tiered": 1, "mermaid": 0.3, "peplum": 0.3,
        },
        "length": {"mini": 2, "knee": 3, "midi": 3, "maxi": 2, "floor": 0.3},
        "neckline": _DRESS_NECK,
        "sleeve": _DRESS_SLEEVE,
    },
    "gown": {
        "silhouette": {
            "ball-gown": 3, "mermaid": 2.5, "a-line": 2.5, "sheath": 1.5, "empire": 1,
            "fit-and-flare": 1, "slip": 0.8,
        },
        "length": {"floor": 6, "maxi": 2},
        "neckline": {
            "sweetheart": 3, "off-shoulder": 2, "v-neck": 2, "one-shoulder": 1.5, "halter": 1.2,
            "square": 1, "plunging": 1, "boat": 0.8, "high-neck": 0.6, "cowl": 0.6, "scoop": 0.6,
        },
        "sleeve": {
            "strapless": 3, "sleeveless": 2.5, "spaghetti-strap": 1.5, "cap": 0.8, "long": 1,
            "flutter": 0.5, "puff": 0.6, "bishop": 0.4, "short": 0.4,
        },
    },
    "top": {
        "silhouette": {**_TOP_FITS, "peplum": 1, "wrap": 1, "empire": 0.5},
        "length": {None: 4, "cropped": 1.5},
        "neckline": {**_DRESS_NECK, "collared": 0.3},
        "sleeve": {**_DRESS_SLEEVE, "sleeveless": 3.5},
    },
    "blouse": {
        "silhouette": {"relaxed": 3, "peplum": 1, "wrap": 1, "tailored": 1, "empire": 0.5},
        "length": {None: 6, "cropped": 0.8},
        "neckline": {
            "v-neck": 2, "collared": 2, "high-neck": 1.5, "scoop": 1, "square": 1,
            "sweetheart": 0.6, "boat": 1, "cowl": 0.8, "off-shoulder": 0.8,
        },
        "sleeve": {
            "long": 2, "puff": 2, "bishop": 2, "three-quarter": 1, "short": 1, "flutter": 1,
            "balloon": 1, "sleeveless": 0.6, "cap": 0.5, "bell": 0.8,
        },
    },
    "shirt": {
        "silhouette": {"tailored": 2, "relaxed": 2, "oversized": 1, "boxy": 1, "straight": 1},
        "length": {None: 8, "cropped": 0.6},
        "neckline": {"collared": 8},
        "sleeve": {"long": 4, "short": 2, "three-quarter": 0.5, "elbow": 0.3},
    },
    "t-shirt": {
        "silhouette": {
            "relaxed": 2, "straight": 2, "oversized": 1.5, "boxy": 1.5, "tailored": 0.8,
        },
        "length": {None: 5, "cropped": 1.2},
        "neckline": {"crew": 5, "v-neck": 2, "scoop": 1, "boat": 0.3},
        "sleeve": {"short": 6, "cap": 1, "elbow": 0.5, "long": 1},
    },
    "sweater": {
        "silhouette": {"relaxed": 2, "oversized": 2, "boxy": 1, "tailored": 1, "straight": 1},
        "length": {None: 5, "cropped": 1.2},
        "neckline": {
            "crew": 3, "turtleneck": 2, "v-neck": 2, "high-neck": 1, "boat": 1, "cowl": 0.5,
        },
        "sleeve": {**_LONG_SLEEVES, "balloon": 0.8, "puff": 0.5, "bishop": 0.5},
    },
    "cardigan": {
        "silhouette": {"relaxed": 2, "oversized": 1.5, "boxy": 1, "tailored": 1},
        "length": {None: 4, "cropped": 1.5, "knee": 0.6},
        "neckline": {"v-neck": 5, "crew": 2},
        "sleeve": {**_LONG_SLEEVES, "puff": 0.4},
    },
    "skirt": {
        "silhouette": {
            "a-line": 3, "pencil": 2, "fit-and-flare": 1.5, "tiered": 1.2, "wrap": 1.2,
            "straight": 1, "slip": 1, "mermaid": 0.4, "ball-gown": 0.3, "flared": 1,
        },
        "length": {"mini": 3, "knee": 2.5, "midi": 3, "maxi": 2},
    },
    "pants": {
        "silhouette": _PANTS_FITS,
        "length": {"ankle": 4, "cropped": 1.5, "floor": 1},
    },
    "jeans": {
        "silhouette": {
            "straight": 3, "wide-leg": 2, "flared": 1.5, "tailored": 1.5, "relaxed": 1.5,
        },
        "length": {"ankle": 4, "cropped": 1.5, "floor": 0.8},
    },
    "shorts": {
        "silhouette": {"relaxed": 2, "wide-leg": 1, "tailored": 1, "straight": 1.5},
        "length": {"mini": 3, None: 2, "knee": 1},
    },
    "jumpsuit": {
        "silhouette": {
            "wide-leg": 3, "straight": 2, "tailored": 1.5, "relaxed": 1.2, "flared": 1,
            "wrap": 0.8,
        },
        "length": {"ankle": 4, "floor": 1.5, "cropped": 1.2},
        "neckline": {
            "v-neck": 3, "halter": 1.5, "square": 1, "collared": 1.2, "scoop": 1,
            "sweetheart": 0.8, "off-shoulder": 0.8, "one-shoulder": 0.6,
        },
        "sleeve": {
            "sleeveless": 3, "spaghetti-strap": 1.5, "short": 1.5, "long": 1, "cap": 0.8,
            "flutter": 0.8, "strapless": 0.6, "puff": 0.5,
        },
    },
    "romper": {
        "silhouette": {"relaxed": 2, "wrap": 1, "straight": 1, "wide-leg": 1},
        "length": {"mini": 4, None: 1},
        "neckline": {
            "v-neck": 3, "square": 1.5, "sweetheart": 1, "off-shoulder": 1.2, "halter": 1,
            "scoop": 1, "collared": 0.6,
        },
        "sleeve": {
            "sleeveless": 2, "spaghetti-strap": 2, "short": 1.5, "puff": 1.2, "flutter": 1.2,
            "cap": 0.6, "long": 0.4,
        },
    },
    "jacket": {
        "silhouette": {"tailored": 2, "boxy": 1.5, "oversized": 1, "relaxed": 1.5},
        "length": {None: 4, "cropped": 2},
        "neckline": _JACKET_NECK,
        "sleeve": {"long": 10, "three-quarter": 0.5},
    },
    "blazer": {
        "silhouette": {"tailored": 3, "oversized": 1.5, "boxy": 1, "relaxed": 1},
        "length": {None: 5, "cropped": 0.8},
        "neckline": _JACKET_NECK,
        "sleeve": {"long": 10, "three-quarter": 0.6},
    },
    "coat": {
        "silhouette": {
            "tailored": 2, "oversized": 1.5, "a-line": 1, "wrap": 1.2, "straight": 1.5,
            "relaxed": 1,
        },
        "length": {"knee": 3, "midi": 3, "maxi": 1.2, "mini": 0.8},
        "neckline": _JACKET_NECK,
        "sleeve": {"long": 10},
    },
    "trench-coat": {
        "silhouette": {"tailored": 2, "a-line": 1, "relaxed": 1, "oversized": 1, "wrap": 1},
        "length": {"knee": 3, "midi": 3, "maxi": 1},
        "neckline": _JACKET_NECK,
        "sleeve": {"long": 10},
    },
    "vest": {
        "silhouette": {"tailored": 3, "boxy": 1, "relaxed": 1, "oversized": 0.5},
        "length": {None: 5, "cropped": 1},
        "neckline": {"v-neck": 6, "crew": 1, "collared": 1},
    },
    "suit": {
        "silhouette": {
            "tailored": 3, "oversized": 1.2, "relaxed": 1, "boxy": 0.8, "wide-leg": 1,
        },
        "length": {"ankle": 4, "floor": 1, "cropped": 1},
        "neckline": {"collared": 8, "v-neck": 1},
        "sleeve": {"long": 10},
    },
    "hoodie": {
        "silhouette": {"relaxed": 3, "oversized": 2.5, "boxy": 1},
        "length": {None: 4, "cropped": 1.5},
        "sleeve": {"long": 8, "short": 1},
    },
    "corset": {
        "silhouette": {"bodycon": 3, "peplum": 0.5},
        "length": {None: 3, "cropped": 2},
        "neckline": {
            "sweetheart": 4, "square": 2, "v-neck": 1, "plunging": 0.6, "off-shoulder": 0.6,
        },
        "sleeve": {"strapless": 4, "spaghetti-strap": 3, "puff": 0.5, "long": 0.3},
    },
    "bodysuit": {
        "silhouette": {"bodycon": 3},
        "length": {None: 1},
        "neckline": {
            "scoop": 2, "square": 2, "high-neck": 1.5, "v-neck": 1.5, "turtleneck": 1,
            "sweetheart": 0.8, "off-shoulder": 0.8, "one-shoulder": 0.8,
        },
        "sleeve": {
            "long": 3, "sleeveless": 2, "spaghetti-strap": 1, "short": 1, "three-quarter": 0.5,
        },
    },
    "swimsuit": {
        "silhouette": {"bodycon": 1},
        "length": {None: 1},
        "neckline": {
            "scoop": 3, "v-neck": 1.5, "sweetheart": 1, "halter": 1.5, "one-shoulder": 1,
            "square": 1, "plunging": 0.8,
        },
        "sleeve": {"spaghetti-strap": 3, "sleeveless": 2, "strapless": 1},
    },
    "kimono": {
        "silhouette": {"relaxed": 2, "wrap": 2, "oversized": 1},
        "length": {"knee": 2, "midi": 2, "maxi": 2, None: 1.5},
        "sleeve": {"long": 4, "short": 1.2},
    },
}

PATTERN_BASE: Weights = {
    "solid": 4, "floral": 1.2, "striped": 1.2, "polka-dot": 0.8, "plaid": 0.6, "gingham": 0.5,
    "check": 0.5, "houndstooth": 0.4, "paisley": 0.4, "animal-print": 0.4, "geometric": 0.5,
    "abstract": 0.4, "tie-dye": 0.25, "camouflage": 0.15, "color-block": 0.5,
}
_TAILORED_PATTERNS: Weights = {
    "solid": 6, "striped": 1.5, "houndstooth": 1.5, "check": 1, "plaid": 1,
}
PATTERN_BY_GARMENT: dict[str, Weights] = {
    "jeans": {"solid": 20, "color-block": 0.3, "animal-print": 0.2, "camouflage": 0.2},
    "hoodie": {
        "solid": 6, "tie-dye": 1.5, "color-block": 1.5, "camouflage": 0.6, "striped": 1.5,
    },
    "t-shirt": {"solid": 6, "striped": 2, "tie-dye": 1, "color-block": 1, "geometric": 0.4},
    "suit": _TAILORED_PATTERNS,
    "blazer": _TAILORED_PATTERNS,
    "coat": _TAILORED_PATTERNS,
    "trench-coat": {"solid": 12, "check": 0.5},
    "sweater": {"solid": 4, "striped": 2, "geometric": 1, "color-block": 1, "plaid": 0.3},
    "cardigan": {"solid": 4, "striped": 1.5, "geometric": 0.8, "color-block": 0.6},
    "swimsuit": {
        "solid": 3, "striped": 1.5, "floral": 1.5, "polka-dot": 1, "animal-print": 1,
        "tie-dye": 0.6, "geometric": 0.5,
    },
    "corset": {"solid": 4, "floral": 1, "animal-print": 0.5, "plaid": 0.4},
    "kimono": {"floral": 4, "paisley": 2, "geometric": 1.5, "solid": 1, "abstract": 0.6},
    "shirt": {
        "solid": 4, "striped": 2.5, "check": 1.5, "gingham": 1.2, "plaid": 1.2, "floral": 0.6,
        "polka-dot": 0.3, "paisley": 0.3,
    },
}

FABRIC_BY_GARMENT: dict[str, Weights] = {
    "dress": {
        "cotton": 3, "silk": 1.5, "satin": 1, "chiffon": 1.5, "linen": 1.5, "crepe": 1.5,
        "jersey": 1.5, "lace": 0.6, "velvet": 0.4, "knit": 0.3, "denim": 0.3, "tulle": 0.2,
        "organza": 0.2, "sequin": 0.2, "chambray": 0.4, "wool": 0.3,
    },
    "gown": {
        "satin": 3, "silk": 2, "tulle": 2, "chiffon": 2, "organza": 1, "lace": 1.5,
        "velvet": 1, "sequin": 1.5, "crepe": 1,
    },
    "top": {
        "cotton": 3, "jersey": 2, "silk": 1.5, "linen": 1.5, "satin": 0.8, "chiffon": 1,
        "knit": 0.8, "lace": 0.4, "crochet": 0.3,
    },
    "blouse": {
        "silk": 3, "chiffon": 2.5, "cotton": 2, "satin": 1.5, "crepe": 1.5, "linen": 1,
        "lace": 0.8, "organza": 0.4,
    },
    "shirt": {"cotton": 5, "linen": 2, "chambray": 1.5, "denim": 1, "silk": 1, "corduroy": 0.3},
    "t-shirt": {"jersey": 4, "cotton": 4},
    "sweater": {"knit": 6, "cashmere": 3, "wool": 3, "crochet": 0.5},
    "cardigan": {"knit": 6, "cashmere": 2, "wool": 2, "crochet": 1},
    "skirt": {
        "cotton": 2, "denim": 1.5, "wool": 1, "satin": 1.5, "silk": 1, "leather": 0.8,
        "tweed": 0.8, "chiffon": 1, "linen": 1, "corduroy": 0.5, "tulle": 0.5, "suede": 0.4,
        "crepe": 1, "lace": 0.4, "velvet": 0.3,
    },
    "pants": {
        "cotton": 2, "wool": 2, "linen": 1.5, "crepe": 1.5, "denim": 0.6, "leather": 0.6,
        "corduroy": 0.8, "satin": 0.5, "velvet": 0.3, "tweed": 0.4, "silk": 0.5,
    },
    "jeans": {"denim": 20},
    "shorts": {
        "denim": 3, "cotton": 3, "linen": 2, "chambray": 0.8, "leather": 0.4, "corduroy": 0.3,
    },
    "jumpsuit": {
        "cotton": 2, "linen": 2, "crepe": 2, "denim": 1.2, "satin": 1, "silk": 1, "jersey": 1,
        "chambray": 1,
    },
    "romper": {"cotton": 3, "linen": 2, "chiffon": 1, "jersey": 1, "denim": 0.8},
    "jacket": {
        "denim": 2, "leather": 2, "wool": 1.5, "cotton": 1.5, "suede": 1, "tweed": 1,
        "corduroy": 0.8, "velvet": 0.4,
    },
    "blazer": {
        "wool": 4, "tweed": 1.5, "linen": 1.2, "velvet": 0.6, "crepe": 1, "cotton": 1,
        "corduroy": 0.5, "satin": 0.3,
    },
    "coat": {
        "wool": 5, "cashmere": 2, "tweed": 1.5, "leather": 0.6, "suede": 0.5, "velvet": 0.3,
        "corduroy": 0.3,
    },
    "trench-coat": {"cotton": 5, "leather": 0.6, "suede": 0.3, "wool": 0.5, "satin": 0.3},
    "vest": {
        "wool": 2, "tweed": 1.5, "denim": 1, "suede": 0.8, "knit": 1, "leather": 0.6,
        "cotton": 1, "satin": 0.3,
    },
    "suit": {"wool": 5, "linen": 1.2, "tweed": 1, "velvet": 0.6, "crepe": 1, "cotton": 0.6},
    "hoodie": {"jersey": 4, "cotton": 4, "knit": 1, "velvet": 0.3},
    "corset": {
        "satin": 3, "silk": 1, "lace": 1.5, "leather": 1, "velvet": 1, "denim": 0.6,
        "cotton": 0.5, "crepe": 0.5, "tulle": 0.3, "sequin": 0.4,
    },
    "bodysuit": {"jersey": 4, "knit": 1, "lace": 1, "satin": 0.6, "velvet": 0.5, "leather": 0.3},
    "swimsuit": {"jersey": 6, "crochet": 0.6, "satin": 0.3},
    "kimono": {"silk": 4, "satin": 2, "chiffon": 2, "cotton": 1, "linen": 1, "crepe": 1},
}

COLOR_BASE: Weights = {c: 1.0 for c in COLORS}
COLOR_BASE.update(
    {"black": 2.2, "white": 2, "navy": 1.6, "ivory": 1.3, "cream": 1.2, "beige": 1.2,
     "camel": 1.2, "grey": 1.1, "silver": 0.5, "gold": 0.6, "maroon": 0.7}
)
COLOR_BY_GARMENT: dict[str, Weights] = {
    "jeans": {
        "blue": 4, "navy": 3, "sky-blue": 2, "black": 2, "white": 0.8, "charcoal": 1, "grey": 0.6,
    },
    "trench-coat": {
        "khaki": 4, "beige": 3, "camel": 2, "black": 1.5, "navy": 1, "olive": 1, "cream": 1,
    },
}

DETAIL_BASE: dict[str, Weights] = {
    "dress": {"belt": 0.12, "pockets": 0.06, "buttons": 0.06, "bow": 0.05, "ruffle": 0.08,
              "slit": 0.08, "pleats": 0.06, "tie": 0.08},
    "gown": {"slit": 0.15, "bow": 0.06, "belt": 0.08, "ruffle": 0.06, "pleats": 0.05},
    "skirt": {"pleats": 0.15, "slit": 0.1, "buttons": 0.08, "ruffle": 0.06, "belt": 0.06,
              "pockets": 0.05},
    "top": {"bow": 0.05, "ruffle": 0.08, "buttons": 0.06, "tie": 0.05},
    "blouse": {"bow": 0.15, "ruffle": 0.15, "buttons": 0.2, "tie": 0.06},
    "pants": {"belt": 0.15, "pleats": 0.2, "pockets": 0.1},
    "jumpsuit": {"belt": 0.3, "pockets": 0.2, "buttons": 0.15, "zipper": 0.1},
    "romper": {"belt": 0.2, "tie": 0.15, "ruffle": 0.1, "buttons": 0.1},
    "coat": {"belt": 0.3},
    "jacket": {"zipper": 0.1},
    "shorts": {"belt": 0.15, "pleats": 0.1},
}

# --- steering by styles, occasions and seasons -------------------------------------
# Each entry multiplies the base weights of the attributes it names. "palettes" lift
# every colour of that palette; "details" are probabilities added for unspecified
# details; "detail_scale" damps them (minimalist); "garment" weights a missing type.

Steer = dict[str, Any]

_EVENING: Steer = {
    "length": {"floor": 4, "maxi": 3, "mini": 0.3, "knee": 0.5},
    "silhouette": {"mermaid": 2, "ball-gown": 2, "slip": 1.5, "sheath": 1.5, "shift": 0.3},
    "fabric": {"satin": 3, "silk": 2.5, "velvet": 2, "sequin": 2, "chiffon": 1.5, "tulle": 1.3,
               "cotton": 0.2, "linen": 0.1, "denim": 0.05, "jersey": 0.3},
    "palettes": {"jewel-tones": 3},
    "colors": {"black": 2.5, "gold": 2, "silver": 2, "red": 1.5, "burgundy": 1.5},
    "neckline": {"plunging": 2, "one-shoulder": 2, "off-shoulder": 2, "sweetheart": 2,
                 "halter": 1.5, "crew": 0.4, "collared": 0.2},
    "sleeve": {"strapless": 2, "spaghetti-strap": 1.5, "short": 0.5},
    "pattern": {"solid": 4},
    "details": {"slit": 0.2},
    "garment": {"gown": 5, "dress": 2},
}

STEER: dict[str, Steer] = {
    "bohemian": {
        "length": {"maxi": 4, "midi": 1.6, "mini": 0.5, "knee": 0.7},
        "silhouette": {"tiered": 3, "empire": 2, "a-line": 1.5, "wrap": 1.5, "relaxed": 1.5,
                       "wide-leg": 1.5, "flared": 1.5, "bodycon": 0.2, "sheath": 0.4,
                       "pencil": 0.3, "tailored": 0.4},
        "pattern": {"floral": 5, "paisley": 3, "solid": 0.5, "tie-dye": 1.2},
        "sleeve": {"flutter": 3.5, "bell": 2.5, "bishop": 2, "puff": 1.2, "long": 1.2,
                   "strapless": 0.4},
        "neckline": {"v-neck": 2, "off-shoulder": 2, "scoop": 1.4, "square": 1.2,
                     "high-neck": 0.6, "collared": 0.4},
        "palettes": {"earth-tones": 5},
        "fabric": {"chiffon": 3, "cotton": 2, "linen": 1.5, "crochet": 2, "lace": 1.2,
                   "suede": 1.2, "satin": 0.5, "leather": 0.3},
        "details": {"fringe": 0.12, "embroidery": 0.25, "ruffle": 0.25, "tie": 0.2},
        "garment": {"dress": 4, "skirt": 1.5, "blouse": 1.5, "kimono": 1, "pants": 0.6},
    },
    "minimalist": {
        "silhouette": {"shift": 2, "sheath": 2, "straight": 2, "slip": 1.5, "tailored": 2,
                       "tiered": 0.2, "ball-gown": 0.2, "peplum": 0.3},
        "pattern": {"solid": 10},
        "palettes": {"neutrals": 5, "monochrome": 2},
        "sleeve": {"sleeveless": 1.5, "long": 1.3, "puff": 0.3, "flutter": 0.3, "balloon": 0.3,
                   "bishop": 0.5},
        "neckline": {"crew": 1.5, "boat": 1.5, "square": 1.3, "sweetheart": 0.5,
                     "plunging": 0.5, "cowl": 0.7},
        "fabric": {"crepe": 2, "cotton": 1.5, "wool": 1.5, "linen": 1, "jersey": 1, "silk": 1,
                   "sequin": 0.1, "lace": 0.2, "crochet": 0.2},
        "detail_scale": 0.2,
        "garment": {"dress": 3, "top": 1.5, "pants": 1.5, "coat": 1},
    },
    "vintage": {
        "silhouette": {"fit-and-flare": 3, "a-line": 1.5, "pencil": 1.3},
        "length": {"midi": 2.5, "knee": 1.5, "mini": 0.6},
        "pattern": {"polka-dot": 4, "gingham": 2.5, "floral": 1.5, "houndstooth": 1.5,
                    "check": 1.2},
        "neckline": {"sweetheart": 2, "square": 1.5, "collared": 1.5, "boat": 1.2},
        "sleeve": {"puff": 1.8, "cap": 1.8, "short": 1.2},
        "palettes": {"pastels": 2, "jewel-tones": 1.2},
        "colors": {"red": 1.5, "navy": 1.3, "cream": 1.3},
        "details": {"belt": 0.3, "bow": 0.2, "buttons": 0.25},
    },
    "retro": {
        "silhouette": {"shift": 2, "fit-and-flare": 1.5, "a-line": 1.5, "flared": 2},
        "length": {"mini": 2, "knee": 1.2},
        "pattern": {"geometric": 3, "color-block": 2.5, "striped": 1.5, "polka-dot": 1.5},
        "colors": {"mustard": 2.5, "orange": 2.5, "teal": 2, "brown": 1.5, "rust": 1.5},
        "neckline": {"collared": 1.5, "boat": 1.3, "crew": 1.2},
        "details": {"belt": 0.15, "buttons": 0.2},
    },
    "romantic": {
        "pattern": {"floral": 3, "solid": 0.8},
        "fabric": {"lace": 3, "chiffon": 2, "tulle": 1.5, "silk": 1.5, "organza": 1.2},
        "sleeve": {"puff": 2, "flutter": 2, "bishop": 1.5},
        "neckline": {"sweetheart": 3, "off-shoulder": 2, "square": 1.5},
        "silhouette": {"fit-and-flare": 2, "a-line": 1.5, "tiered": 1.2},
        "palettes": {"pastels": 4},
        "details": {"ruffle": 0.35, "bow": 0.3, "lace-trim": 0.25},
    },
    "edgy": {
        "colors": {"black": 6, "charcoal": 2, "burgundy": 1.5},
        "palettes": {"monochrome": 2},
        "fabric": {"leather": 4, "denim": 2, "suede": 1.2},
        "pattern": {"solid": 2, "animal-print": 2, "abstract": 1.5},
        "silhouette": {"bodycon": 2, "oversized": 1.5},
        "length": {"mini": 2.5},
        "neckline": {"one-shoulder": 2, "plunging": 1.5, "halter": 1.3},
        "details": {"zipper": 0.35, "cutout": 0.25, "belt": 0.2, "slit": 0.15},
        "garment": {"jacket": 2, "jeans": 1.5, "dress": 1.5, "skirt": 1.5, "corset": 1},
    },
    "grunge": {
        "colors": {"black": 4, "charcoal": 2, "burgundy": 2, "olive": 1.5, "maroon": 1.5},
        "fabric": {"denim": 3, "corduroy": 2, "knit": 2, "leather": 1.5},
        "pattern": {"plaid": 5, "check": 1.5, "solid": 1.2},
        "silhouette": {"oversized": 3, "relaxed": 2, "slip": 1.5},
        "details": {"buttons": 0.15},
        "garment": {"shirt": 2, "jeans": 2, "dress": 1.5, "sweater": 1.5, "skirt": 1},
    },
    "punk": {
        "colors": {"black": 6, "red": 2.5},
        "fabric": {"leather": 4, "denim": 2},
        "pattern": {"plaid": 4, "animal-print": 1.5, "solid": 1.5},
        "silhouette": {"bodycon": 2, "tailored": 1.5},
        "length": {"mini": 3},
        "details": {"zipper": 0.4, "belt": 0.35, "cutout": 0.2},
        "garment": {"jacket": 2.5, "skirt": 2, "jeans": 1.5, "corset": 1},
    },
    "streetwear": {
        "silhouette": {"oversized": 4, "boxy": 2, "relaxed": 2, "wide-leg": 2},
        "pattern": {"color-block": 3, "camouflage": 2, "solid": 2, "tie-dye": 1.2},
        "fabric": {"jersey": 3, "cotton": 2, "denim": 1.5},
        "colors": {"black": 2, "white": 1.5, "grey": 1.5, "orange": 1.3, "olive": 1.3},
        "details": {"pockets": 0.35, "zipper": 0.2},
        "garment": {"hoodie": 3, "t-shirt": 2, "pants": 2, "jacket": 1.5, "jeans": 1.5},
    },
    "preppy": {
        "pattern": {"plaid": 4, "check": 3, "striped": 2.5, "gingham": 2},
        "neckline": {"collared": 4, "crew": 1.5, "v-neck": 1.2},
        "silhouette": {"tailored": 2, "a-line": 1.5, "pencil": 1.2},
        "colors": {"navy": 4, "white": 2, "red": 1.5, "green": 1.5, "cream": 1.5, "camel": 1.2},
        "fabric": {"cotton": 2, "wool": 2, "tweed": 2, "cashmere": 1, "knit": 1},
        "details": {"buttons": 0.3, "pleats": 0.35},
        "garment": {"skirt": 2, "shirt": 2, "blazer": 1.5, "sweater": 1.5, "dress": 1.5,
                    "cardigan": 1},
    },
    "classic": {
        "silhouette": {"tailored": 2, "sheath": 2, "a-line": 1.5},
        "pattern": {"solid": 3, "striped": 1.5, "houndstooth": 1.5},
        "palettes": {"neutrals": 3},
        "colors": {"navy": 2, "black": 1.5, "white": 1.5, "camel": 1.5},
        "fabric": {"wool": 2, "cotton": 1.5, "silk": 1.5, "cashmere": 1.2},
        "length": {"knee": 2, "midi": 1.5},
        "neckline": {"collared": 1.5, "crew": 1.2, "boat": 1.2},
        "sleeve": {"long": 1.5, "three-quarter": 1.5},
        "garment": {"dress": 2, "blazer": 1.5, "coat": 1.2, "shirt": 1.2, "trench-coat": 1},
    },
    "elegant": {
        "silhouette": {"sheath": 2, "mermaid": 1.5, "a-line": 1.2, "slip": 1.5, "wrap": 1.2},
        "length": {"midi": 2, "maxi": 2, "floor": 2, "mini": 0.4},
        "pattern": {"solid": 4},
        "fabric": {"silk": 3, "satin": 3, "crepe": 2, "chiffon": 1.5, "denim": 0.2},
        "palettes": {"jewel-tones": 2, "neutrals": 2},
        "neckline": {"v-neck": 1.5, "boat": 1.5, "off-shoulder": 1.5, "one-shoulder": 1.5,
                     "cowl": 1.5},
        "details": {"belt": 0.15, "bow": 0.08},
        "garment": {"dress": 3, "gown": 2},
    },
    "glam": {
        "fabric": {"sequin": 5, "satin": 3, "velvet": 2, "silk": 1.5, "cotton": 0.3,
                   "linen": 0.2},
        "palettes": {"jewel-tones": 4},
        "colors": {"gold": 3, "silver": 3, "black": 2, "fuchsia": 1.5},
        "silhouette": {"bodycon": 2, "mermaid": 2, "slip": 1.5},
        "neckline": {"plunging": 2, "one-shoulder": 2, "sweetheart": 1.5, "halter": 1.5},
        "length": {"mini": 2, "floor": 1.5},
        "pattern": {"solid": 3, "animal-print": 1},
        "details": {"cutout": 0.2, "slit": 0.25},
        "garment": {"dress": 3, "gown": 2},
    },
    "cottagecore": {
        "pattern": {"floral": 4, "gingham": 4, "polka-dot": 1.5},
        "sleeve": {"puff": 4, "balloon": 1.5, "flutter": 1.5},
        "neckline": {"square": 3, "sweetheart": 2, "collared": 1, "high-neck": 1},
        "silhouette": {"tiered": 2, "fit-and-flare": 2, "a-line": 2, "empire": 1.5},
        "length": {"midi": 3, "maxi": 2},
        "fabric": {"cotton": 3, "linen": 3, "lace": 1.5},
        "palettes": {"pastels": 3, "earth-tones": 1},
        "details": {"ruffle": 0.4, "smocking": 0.3, "bow": 0.3, "lace-trim": 0.25},
        "garment": {"dress": 4, "blouse": 1.5, "skirt": 1.5},
    },
    "y2k": {
        "length": {"mini": 4, "cropped": 3},
        "silhouette": {"bodycon": 3, "slip": 2},
        "pattern": {"tie-dye": 2, "animal-print": 1.5, "geometric": 1.2, "solid": 1},
        "palettes": {"pastels": 2},
        "colors": {"pink": 2, "fuchsia": 2, "sky-blue": 1.5, "silver": 2, "lilac": 1.5},
        "neckline": {"halter": 3, "off-shoulder": 1.5, "one-shoulder": 1.5, "square": 1},
        "sleeve": {"spaghetti-strap": 3, "sleeveless": 1.5},
        "fabric": {"satin": 2, "jersey": 2, "denim": 2},
        "details": {"cutout": 0.25},
        "garment": {"top": 2, "skirt": 2, "jeans": 1.5, "dress": 1.5},
    },
    "sporty": {
        "fabric": {"jersey": 4, "knit": 1.5},
        "pattern": {"color-block": 4, "striped": 2, "solid": 2},
        "silhouette": {"relaxed": 2, "straight": 1.5, "bodycon": 1.5},
        "sleeve": {"short": 2, "sleeveless": 2},
        "neckline": {"crew": 2, "high-neck": 1.5, "v-neck": 1},
        "colors": {"white": 2, "black": 2, "red": 1.5, "cobalt": 1.5, "grey": 1.5,
                   "orange": 1.2, "turquoise": 1.2},
        "details": {"zipper": 0.35, "pockets": 0.2},
        "garment": {"hoodie": 2, "t-shirt": 2, "shorts": 1.5, "pants": 1.5, "bodysuit": 1},
    },
    "avant-garde": {
        "silhouette": {"oversized": 3, "boxy": 2, "bodycon": 1},
        "neckline": {"one-shoulder": 3, "cowl": 2, "high-neck": 1.5},
        "pattern": {"geometric": 3, "abstract": 3, "color-block": 2, "solid": 1.5},
        "sleeve": {"balloon": 2, "bishop": 1.5, "puff": 1.5},
        "colors": {"black": 3, "white": 2.5, "red": 1.5},
        "details": {"cutout": 0.3},
    },
    "western": {
        "fabric": {"suede": 3, "denim": 3, "leather": 2},
        "pattern": {"paisley": 2, "plaid": 2, "check": 1.5},
        "neckline": {"collared": 3},
        "colors": {"brown": 2, "tan": 2, "camel": 2, "rust": 2, "cream": 1.5, "turquoise": 1.5},
        "length": {"midi": 1.5},
        "details": {"fringe": 0.45, "buttons": 0.3, "pockets": 0.2},
        "garment": {"shirt": 2, "jeans": 2, "jacket": 1.5, "dress": 1.5, "skirt": 1},
    },
    "coastal": {
        "fabric": {"linen": 4, "cotton": 3},
        "pattern": {"striped": 4, "solid": 2},
        "colors": {"white": 4, "navy": 4, "sky-blue": 3, "beige": 2},
        "silhouette": {"relaxed": 2, "shift": 1.5, "a-line": 1.2},
        "neckline": {"boat": 3, "v-neck": 1.5},
        "sleeve": {"short": 1.3, "three-quarter": 1.3},
    },
    "parisian": {
        "pattern": {"striped": 3, "polka-dot": 2, "solid": 2},
        "colors": {"black": 3, "white": 3, "navy": 2, "red": 2, "cream": 2, "camel": 1.5},
        "silhouette": {"wrap": 2, "a-line": 1.5, "tailored": 1.5},
        "neckline": {"square": 2, "boat": 2, "v-neck": 1.5, "sweetheart": 1.2},
        "length": {"midi": 2},
        "fabric": {"silk": 1.5, "crepe": 1.5, "wool": 1.5},
        "sleeve": {"puff": 1.5},
        "details": {"belt": 0.2, "buttons": 0.3},
        "garment": {"dress": 3, "blouse": 1.5, "trench-coat": 1, "skirt": 1},
    },
    "utilitarian": {
        "details": {"pockets": 0.6, "belt": 0.4, "zipper": 0.3, "buttons": 0.4},
        "colors": {"khaki": 3, "olive": 3, "tan": 2, "navy": 1.5, "brown": 1.5, "charcoal": 1.5},
        "fabric": {"cotton": 3, "denim": 2, "chambray": 2, "corduroy": 1.5},
        "pattern": {"camouflage": 2, "solid": 3},
        "silhouette": {"boxy": 2, "straight": 2, "relaxed": 1.5},
        "neckline": {"collared": 3},
        "sleeve": {"long": 2, "short": 1.5},
        "garment": {"jumpsuit": 2, "pants": 2, "jacket": 2, "shirt": 1.5},
    },
    "feminine": {
        "pattern": {"floral": 2, "polka-dot": 1.5},
        "silhouette": {"fit-and-flare": 2, "wrap": 1.5, "a-line": 1.5},
        "palettes": {"pastels": 3},
        "neckline": {"sweetheart": 2, "square": 1.5, "off-shoulder": 1.5},
        "sleeve": {"puff": 1.5, "flutter": 1.5},
        "fabric": {"chiffon": 1.5, "silk": 1.5, "lace": 1.5},
        "details": {"ruffle": 0.3, "bow": 0.3},
    },
    "androgynous": {
        "silhouette": {"tailored": 2, "oversized": 2, "boxy": 2, "straight": 2},
        "pattern": {"solid": 3, "striped": 1.5, "houndstooth": 1.5, "check": 1},
        "palettes": {"neutrals": 3, "monochrome": 2},
        "neckline": {"collared": 3, "crew": 1.5},
        "sleeve": {"long": 2},
        "fabric": {"wool": 2, "cotton": 2},
        "garment": {"suit": 2, "blazer": 2, "shirt": 2, "pants": 2},
    },
    "casual": {
        "silhouette": {"relaxed": 2, "straight": 1.5, "shift": 1.5},
        "fabric": {"cotton": 3, "jersey": 3, "denim": 2, "linen": 1.5, "satin": 0.4,
                   "sequin": 0.1},
        "pattern": {"striped": 1.5, "solid": 2, "gingham": 1, "check": 1},
        "neckline": {"crew": 2, "v-neck": 1.5, "scoop": 1.5},
        "sleeve": {"short": 2, "sleeveless": 1.2},
        "length": {"knee": 1.5, "mini": 1.2, "floor": 0.2},
        "garment": {"t-shirt": 2, "jeans": 2, "dress": 2, "shorts": 1, "hoodie": 1},
    },
    "formal": {
        "silhouette": {"sheath": 1.5, "mermaid": 1.5, "a-line": 1.2, "ball-gown": 1.5,
                       "tailored": 2},
        "length": {"floor": 2.5, "maxi": 2, "midi": 1.2, "mini": 0.3},
        "pattern": {"solid": 4},
        "fabric": {"satin": 2, "silk": 2, "crepe": 2, "velvet": 1.5, "wool": 1.5, "denim": 0.1,
                   "jersey": 0.3},
        "palettes": {"neutrals": 2, "jewel-tones": 2},
        "colors": {"black": 3, "navy": 2},
        "garment": {"gown": 3, "suit": 2, "dress": 2},
    },
    "resort": {
        "fabric": {"linen": 3, "cotton": 2, "silk": 2, "chiffon": 1.5},
        "pattern": {"floral": 2, "striped": 1.5, "paisley": 1.2, "tie-dye": 1},
        "palettes": {"pastels": 2},
        "colors": {"white": 2, "coral": 1.5, "turquoise": 1.5, "sky-blue": 1.5},
        "length": {"maxi": 2, "midi": 1.5},
        "neckline": {"halter": 2, "off-shoulder": 1.5, "v-neck": 1.5},
        "sleeve": {"sleeveless": 2, "spaghetti-strap": 1.5, "flutter": 1.5, "long": 0.4},
        "silhouette": {"relaxed": 2, "wrap": 1.5, "slip": 1.2},
        "garment": {"dress": 3, "kimono": 1, "swimsuit": 1, "shorts": 1},
    },
    # occasions
    "wedding": {
        "palettes": {"pastels": 2},
        "pattern": {"floral": 1.5, "solid": 2},
        "fabric": {"chiffon": 2, "silk": 2, "satin": 1.5, "lace": 1.5, "denim": 0.05},
        "length": {"midi": 2, "maxi": 2, "floor": 1.5},
        "colors": {"white": 0.2, "ivory": 0.3},  # guests do not wear white
        "garment": {"dress": 4, "gown": 2},
    },
    "bridal": {
        "colors": {"white": 40, "ivory": 30, "cream": 12, "blush": 4},
        "pattern": {"solid": 8, "floral": 1},
        "fabric": {"lace": 3, "tulle": 3, "satin": 3, "silk": 2, "organza": 2, "chiffon": 1.5,
                   "cotton": 0.2, "denim": 0.02, "jersey": 0.1},
        "silhouette": {"ball-gown": 3, "mermaid": 2.5, "a-line": 2},
        "length": {"floor": 5, "maxi": 1.5, "mini": 0.2},
        "neckline": {"sweetheart": 3, "off-shoulder": 2, "v-neck": 1.5},
        "garment": {"gown": 6, "dress": 2},
    },
    "cocktail": {
        "length": {"knee": 3, "mini": 2, "midi": 1.5, "floor": 0.2, "maxi": 0.3},
        "silhouette": {"sheath": 2, "fit-and-flare": 2, "bodycon": 1.5},
        "fabric": {"satin": 2, "silk": 1.5, "crepe": 1.5, "velvet": 1.5, "sequin": 1.5},
        "palettes": {"jewel-tones": 2},
        "colors": {"black": 2, "red": 1.5},
        "neckline": {"v-neck": 1.5, "sweetheart": 1.5, "one-shoulder": 1.5, "halter": 1.3},
        "sleeve": {"sleeveless": 2, "spaghetti-strap": 1.5},
        "pattern": {"solid": 3},
        "garment": {"dress": 5},
    },
    "evening": _EVENING,
    "gala": _EVENING,
    "red-carpet": {**_EVENING, "details": {"slit": 0.35}},
    "prom": {**_EVENING, "silhouette": {"ball-gown": 3, "mermaid": 2, "a-line": 1.5},
             "fabric": {"tulle": 3, "satin": 3, "sequin": 2, "chiffon": 1.5}},
    "party": {
        "length": {"mini": 3, "knee": 1.2},
        "silhouette": {"bodycon": 2, "slip": 1.5},
        "fabric": {"sequin": 3, "satin": 2, "velvet": 1.2},
        "colors": {"gold": 2, "silver": 2, "fuchsia": 1.5, "black": 1.5},
        "neckline": {"one-shoulder": 1.5, "halter": 1.3},
        "details": {"cutout": 0.15},
        "garment": {"dress": 4, "top": 1, "skirt": 1},
    },
    "office": {
        "silhouette": {"tailored": 3, "sheath": 3, "pencil": 2, "straight": 1.5,
                       "bodycon": 0.2, "slip": 0.3},
        "length": {"knee": 3, "midi": 2, "mini": 0.2, "floor": 0.2},
        "pattern": {"solid": 3, "striped": 1.5, "houndstooth": 1.5, "check": 1,
                    "tie-dye": 0.05, "camouflage": 0.05, "animal-print": 0.2},
        "palettes": {"neutrals": 3},
        "colors": {"navy": 2},
        "fabric": {"wool": 2, "crepe": 2, "cotton": 1.5, "sequin": 0.05, "leather": 0.3},
        "neckline": {"collared": 2, "boat": 1.5, "crew": 1.5, "plunging": 0.1,
                     "off-shoulder": 0.2, "halter": 0.2},
        "sleeve": {"long": 2, "three-quarter": 2, "strapless": 0.1, "spaghetti-strap": 0.2},
        "garment": {"blazer": 2, "pants": 2, "shirt": 1.5, "blouse": 1.5, "dress": 2,
                    "skirt": 1},
    },
    "beach": {
        "fabric": {"linen": 3, "cotton": 3, "chiffon": 2, "crochet": 2, "wool": 0.1,
                   "velvet": 0.1, "leather": 0.1},
        "palettes": {"pastels": 3},
        "colors": {"white": 2, "coral": 1.5, "turquoise": 2, "sky-blue": 1.5},
        "pattern": {"floral": 2, "striped": 2, "tie-dye": 1.5},
        "sleeve": {"sleeveless": 2, "spaghetti-strap": 2, "strapless": 1.2, "flutter": 1.3,
                   "long": 0.3},
        "length": {"mini": 1.5, "maxi": 1.5},
        "neckline": {"halter": 2},
        "garment": {"dress": 3, "swimsuit": 2, "shorts": 1.5, "kimono": 1, "top": 1},
    },
    "festival": {
        "fabric": {"crochet": 2, "denim": 2, "suede": 1.5},
        "pattern": {"tie-dye": 2, "paisley": 2, "floral": 1.5},
        "palettes": {"earth-tones": 2},
        "length": {"mini": 2, "maxi": 1.5},
        "details": {"fringe": 0.4},
        "garment": {"dress": 2, "shorts": 2, "top": 1.5, "kimono": 1, "jumpsuit": 1},
    },
    "date-night": {
        "silhouette": {"bodycon": 2, "slip": 2, "wrap": 1.5},
        "length": {"mini": 2, "midi": 1.5},
        "fabric": {"satin": 2, "silk": 2, "velvet": 1.5, "lace": 1.5},
        "colors": {"red": 2, "black": 2, "burgundy": 1.5},
        "neckline": {"v-neck": 2, "sweetheart": 1.5, "off-shoulder": 1.5, "cowl": 1.5},
        "sleeve": {"spaghetti-strap": 2},
        "garment": {"dress": 5, "top": 1},
    },
    # seasons
    "spring": {
        "palettes": {"pastels": 3},
        "pattern": {"floral": 3, "gingham": 1.5},
        "fabric": {"cotton": 2, "linen": 1.5, "chiffon": 1.5},
        "sleeve": {"short": 1.5, "three-quarter": 1.5, "puff": 1.3, "flutter": 1.3},
        "length": {"midi": 1.5},
    },
    "summer": {
        "palettes": {"pastels": 2},
        "colors": {"coral": 2, "yellow": 2, "turquoise": 2, "white": 2, "orange": 1.5,
                   "black": 0.5, "charcoal": 0.3, "burgundy": 0.4},
        "fabric": {"linen": 3, "cotton": 3, "chiffon": 2, "wool": 0.1, "velvet": 0.2,
                   "leather": 0.3, "cashmere": 0.1, "tweed": 0.1, "corduroy": 0.2},
        "sleeve": {"sleeveless": 3, "spaghetti-strap": 2.5, "short": 2, "strapless": 1.5,
                   "flutter": 1.5, "long": 0.3, "bishop": 0.5},
        "length": {"mini": 1.5},
        "pattern": {"floral": 1.5, "striped": 1.5, "tie-dye": 1.2, "plaid": 0.4},
        "neckline": {"turtleneck": 0.1, "high-neck": 0.4},
    },
    "fall": {
        "palettes": {"earth-tones": 4},
        "colors": {"burgundy": 2, "mustard": 2, "rust": 2, "olive": 2, "brown": 2},
        "fabric": {"wool": 2, "tweed": 2, "corduroy": 2, "suede": 2, "knit": 2, "cashmere": 1.5,
                   "linen": 0.4, "chiffon": 0.5},
        "pattern": {"plaid": 3, "houndstooth": 2, "check": 2},
        "sleeve": {"long": 3, "three-quarter": 1.5, "sleeveless": 0.5},
        "length": {"midi": 2},
    },
    "winter": {
        "colors": {"black": 2.5, "charcoal": 2.5, "navy": 2, "burgundy": 2.5, "emerald": 2,
                   "plum": 2, "camel": 2, "grey": 1.5, "ivory": 1.5, "yellow": 0.3,
                   "mint": 0.3, "coral": 0.3, "sky-blue": 0.4},
        "fabric": {"wool": 4, "cashmere": 3, "velvet": 2, "knit": 3, "tweed": 2,
                   "leather": 1.5, "linen": 0.1, "chiffon": 0.3, "organza": 0.3},
        "sleeve": {"long": 5, "sleeveless": 0.2, "spaghetti-strap": 0.15, "strapless": 0.2,
                   "short": 0.3, "cap": 0.3, "flutter": 0.3},
        "neckline": {"turtleneck": 3, "high-neck": 2},
        "length": {"maxi": 1.5, "midi": 1.5, "mini": 0.5},
        "pattern": {"plaid": 1.5},
        "garment": {"coat": 3, "sweater": 2},
    },
    "holiday": {
        "colors": {"red": 3, "emerald": 3, "gold": 2, "silver": 2, "burgundy": 2, "black": 1.5},
        "fabric": {"velvet": 3, "sequin": 3, "satin": 2},
        "pattern": {"plaid": 2, "solid": 2},
        "garment": {"dress": 3},
    },
}

# Garment types that are cut without a neckline or sleeves of their own.
_NO_TOP = {"skirt", "pants", "jeans", "shorts"}


@dataclass(slots=True)
class Resolved:
    garment_type: str
    silhouette: str | None
    length: str | None
    neckline: str | None
    sleeve: str | None
    pattern: str
    pattern_variant: str | None
    fabric: str
    colors: list[str]  # candidates in role order: primary, secondary, tertiary, accent
    palettes: list[str]
    styles: list[str]
    occasions: list[str]
    seasons: list[str]
    details: list[str]
    variant: str | None
    exclude: dict[str, list[str]]
    explicit: set[str] = field(default_factory=set)
    ignored: dict[str, Any] = field(default_factory=dict)

    def rgb(self, index: int) -> RGB:
        return COLORS[self.colors[index % len(self.colors)]]


def _norm(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    key = value.strip().lower().replace("_", "-").replace(" ", "-")
    while "--" in key:
        key = key.replace("--", "-")
    return key or None


def canon(value: Any, allowed: Iterable[str]) -> str | None:
    """Canonical value from a tolerated spelling; None when it is not one we know."""
    allowed_set = set(allowed)
    key = _norm(value)
    if key is None:
        return None
    if key in allowed_set:
        return key
    # synonyms are shared across families ("long" is a length and a sleeve), so they
    # only apply when the word is not already a value of the family asked for
    key = _SYNONYMS.get(key, key)
    if key in allowed_set:
        return key
    if key.endswith("es") and key[:-2] in allowed_set:
        return key[:-2]
    if key.endswith("s") and key[:-1] in allowed_set:
        return key[:-1]
    if key.endswith("s") and _SYNONYMS.get(key[:-1]) in allowed_set:
        return _SYNONYMS[key[:-1]]
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return []


def _canon_list(value: Any, allowed: Iterable[str]) -> list[str]:
    allowed_t = tuple(allowed)
    out: list[str] = []
    for item in _as_list(value):
        c = canon(item, allowed_t)
        if c is not None and c not in out:
            out.append(c)
    return out


def _first(value: Any, allowed: Iterable[str]) -> str | None:
    vals = _canon_list(value, allowed)
    return vals[0] if vals else None


def _rng(seed: int, name: str) -> random.Random:
    # Design variety, not security: a reproducible stream per (seed, attribute).
    return random.Random(f"{seed}|{name}")  # noqa: S311


def choose(rng: random.Random, weights: Weights) -> Any:
    items = [(k, w) for k, w in weights.items() if w > 0]
    if not items:
        raise ValueError("nothing to choose from")
    total = sum(w for _, w in items)
    r = rng.random() * total
    for k, w in items:
        r -= w
        if r < 0:
            return k
    return items[-1][0]


def _steer(weights: Weights, attr: str, hints: list[str]) -> Weights:
    out = dict(weights)
    for h in hints:
        mult = STEER.get(h, {}).get(attr)
        if not mult:
            continue
        for k, m in mult.items():
            if k in out:
                out[k] = out[k] * m
    return out


def _exclusions(spec: Mapping[str, Any]) -> dict[str, list[str]]:
    raw = spec.get("exclude")
    if not isinstance(raw, Mapping):
        return {}
    families = {
        "colors": tuple(COLORS), "patterns": PATTERNS, "fabrics": FABRICS, "styles": STYLES,
        "garment_types": GARMENTS, "silhouettes": SILHOUETTES, "lengths": LENGTHS,
        "necklines": NECKLINES, "sleeves": SLEEVES, "details": DETAILS, "palettes": (),
    }
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        k = _norm(key)
        if k is None:
            continue
        k = k.replace("-", "_")
        fam = k if k in families else (k + "s" if k + "s" in families else None)
        if fam is None:
            continue
        if fam == "colors":
            vals = [c for c in (canonical_color(v) for v in _as_list(value) if isinstance(v, str))
                    if c is not None]
        elif fam == "palettes":
            vals = [p for p in (canonical_palette(v) for v in _as_list(value)
                                if isinstance(v, str)) if p is not None]
        else:
            vals = _canon_list(value, families[fam])
        if vals:
            out[fam] = sorted(set(out.get(fam, [])) | set(vals))
    # Excluding a whole palette excludes its colours; excluding animal print its kinds.
    for p in out.get("palettes", []):
        out["colors"] = sorted(set(out.get("colors", [])) | set(PALETTES[p]))
    if "animal-print" in out.get("patterns", []):
        out["patterns"] = sorted(set(out["patterns"]) | {"leopard", "zebra"})
    return out


def _pick(
    seed: int,
    attr: str,
    explicit: str | None,
    base: Weights,
    hints: list[str],
    excluded: list[str],
) -> Any:
    if explicit is not None:
        return explicit
    weights = {k: w for k, w in _steer(base, attr, hints).items() if k not in excluded}
    if not weights:
        weights = {k: w for k, w in base.items() if k not in excluded} or dict(base)
    return choose(_rng(seed, attr), weights)


def _choose_garment(seed: int, hints: list[str], excluded: list[str]) -> str:
    weights: Weights = {}
    for h in hints:
        for g, w in STEER.get(h, {}).get("garment", {}).items():
            weights[g] = weights.get(g, 0.0) + w
    if not weights:
        return "dress" if "dress" not in excluded else next(
            g for g in GARMENTS if g not in excluded
        )
    weights = {g: w for g, w in weights.items() if g not in excluded}
    if not weights:
        return next((g for g in GARMENTS if g not in excluded), "dress")
    return choose(_rng(seed, "garment_type"), weights)


def _color_weights(garment: str, hints: list[str], palettes: list[str]) -> Weights:
    base = dict(COLOR_BY_GARMENT.get(garment, COLOR_BASE))
    for h in hints:
        st = STEER.get(h, {})
        for pal, m in st.get("palettes", {}).items():
            members = PALETTES[pal]
            for c in base:
                if c in members:
                    base[c] *= m
                elif m >= 3:
                    # a strong palette lean also pushes the rest of the colour wheel back
                    base[c] *= 0.35
        for c, m in st.get("colors", {}).items():
            if c in base:
                base[c] *= m
    if palettes:
        members = {c for p in palettes for c in PALETTES[p]}
        base = {c: (w if c in members else 0.0) for c, w in base.items()}
        if not any(base.values()):
            base = {c: 1.0 for c in members}
    return base


def _choose_colors(
    seed: int,
    garment: str,
    spec_colors: list[str],
    palettes: list[str],
    hints: list[str],
    excluded: list[str],
) -> tuple[list[str], set[str]]:
    """Colour roles (primary, secondary, tertiary, accent) and which were named."""
    members = {c for p in palettes for c in PALETTES[p]}
    # The parser adds a palette's colours to `colors`; those are a pool to vary over,
    # while colours named on their own are fixed choices in the order given.
    named = [c for c in spec_colors if c not in members and c not in excluded]
    pool_extra = [c for c in spec_colors if c in members and c not in excluded]
    pal = list(palettes)
    weights = _color_weights(garment, hints, pal)
    for c in pool_extra:
        weights[c] = max(weights.get(c, 0.0), 1.0)
    for c in excluded:
        weights.pop(c, None)
    if not any(w > 0 for w in weights.values()):
        weights = {c: 1.0 for c in COLORS if c not in excluded} or {"grey": 1.0}
    rng = _rng(seed, "colors")
    out: list[str] = list(named[:4])
    while len(out) < 4:
        cand = {c: w for c, w in weights.items() if c not in out and w > 0}
        if not cand:
            cand = {c: 1.0 for c in COLORS if c not in out and c not in excluded}
        if not cand:
            out.append(out[-1] if out else "grey")
            continue
        if out:
            # Later roles must stand out against the primary or a pattern disappears.
            prim = COLORS[out[0]]
            cand = {
                c: w * min(1.0, max(0.05, distance(COLORS[c], prim) / 140.0)) ** 2
                for c, w in cand.items()
            }
        out.append(choose(rng, cand))
    return out, set(named)


def resolve(spec: Mapping[str, Any], seed: int) -> Resolved:
    exclude = _exclusions(spec)
    styles = [s for s in _canon_list(spec.get("styles"), STYLES)
              if s not in exclude.get("styles", [])]
    occasions = _canon_list(spec.get("occasions"), OCCASIONS)
    seasons = _canon_list(spec.get("seasons"), SEASONS)
    hints = [*styles, *occasions, *seasons]
    explicit: set[str] = set()
    ignored: dict[str, Any] = {}

    garment = _first(spec.get("garment_type"), GARMENTS)
    if garment is not None:
        explicit.add("garment_type")
    else:
        if spec.get("garment_type"):
            ignored["garment_type"] = spec.get("garment_type")
        garment = _choose_garment(seed, hints, exclude.get("garment_types", []))
    base = BASE[garment]

    def attr(name: str, allowed: tuple[str, ...], excl_key: str) -> str | None:
        raw = spec.get(name)
        value = _first(raw, allowed)
        if value is None and raw:
            ignored[name] = raw
        if value is not None:
            explicit.add(name)
        table = base.get(name)
        if table is None:
            if value is not None:
                ignored[name] = value
            return None
        return _pick(seed, name, value, table, hints, exclude.get(excl_key, []))

    silhouette = attr("silhouette", SILHOUETTES, "silhouettes")
    length = attr("length", LENGTHS, "lengths")
    neckline = attr("neckline", NECKLINES, "necklines") if garment not in _NO_TOP else None
    if garment in _NO_TOP and spec.get("neckline"):
        ignored["neckline"] = spec.get("neckline")
    sleeve = attr("sleeve", SLEEVES, "sleeves") if garment not in _NO_TOP else None
    if garment in _NO_TOP and spec.get("sleeve"):
        ignored["sleeve"] = spec.get("sleeve")
    if garment == "vest":
        sleeve = "sleeveless"
    neckline, sleeve = _compat(seed, garment, neckline, sleeve, explicit, hints, exclude, ignored)

    # Patterns: an explicit list is honoured in order (the first drawable one wins).
    excl_pat = exclude.get("patterns", [])
    pats = [p for p in _canon_list(spec.get("patterns"), PATTERNS) if p not in excl_pat]
    if pats:
        pattern = pats[0]
        explicit.add("patterns")
    else:
        pw = PATTERN_BY_GARMENT.get(garment, PATTERN_BASE)
        pattern = _pick(seed, "pattern", None, pw, hints, excl_pat)
    pattern_variant: str | None = None
    if pattern == "animal-print":
        kinds = {k: 1.0 for k in ("leopard", "zebra") if k not in excl_pat}
        pattern_variant = choose(_rng(seed, "animal"), kinds) if kinds else None
        if pattern_variant is None:
            pattern = "solid"

    excl_fab = exclude.get("fabrics", [])
    fabs = [f for f in _canon_list(spec.get("fabrics"), FABRICS) if f not in excl_fab]
    if fabs:
        fabric = fabs[0]
        explicit.add("fabrics")
    else:
        fabric = _pick(seed, "fabric", None, FABRIC_BY_GARMENT[garment], hints, excl_fab)

    palettes = [p for p in (canonical_palette(v) for v in _as_list(spec.get("palettes"))
                            if isinstance(v, str)) if p is not None]
    palettes = [p for p in dict.fromkeys(palettes) if p not in exclude.get("palettes", [])]
    spec_colors = [c for c in (canonical_color(v) for v in _as_list(spec.get("colors"))
                               if isinstance(v, str)) if c is not None]
    spec_colors = list(dict.fromkeys(spec_colors))
    excl_col = exclude.get("colors", [])
    colors, named = _choose_colors(seed, garment, spec_colors, palettes, hints, excl_col)
    natural = _natural_colors(pattern, pattern_variant)
    if natural and not named and not palettes and not set(natural) & set(excl_col):
        # an animal print or camouflage in its natural colours unless colours were asked for
        colors = [*natural, *[c for c in colors if c not in natural]][:4]
    if named:
        explicit.add("colors")
    if palettes:
        explicit.add("palettes")

    details = _choose_details(seed, garment, spec.get("details"), hints,
                              exclude.get("details", []), explicit, ignored)

    variant: str | None = None
    vr = _rng(seed, "variant")
    if garment == "swimsuit":
        # a named neckline or sleeve describes a one-piece; a bikini has neither
        if "neckline" in explicit or "sleeve" in explicit:
            variant = "one-piece"
        else:
            variant = choose(vr, {"one-piece": 3, "bikini": 2})
        if variant == "bikini":
            neckline, sleeve = None, None
    elif garment == "jacket":
        vw: Weights = {"tailored": 2, "denim": 1.5, "bomber": 1.5, "moto": 1.2}
        if fabric == "denim":
            vw = {"denim": 6, "bomber": 0.5}
        elif fabric == "leather":
            vw = {"moto": 5, "bomber": 1.5, "tailored": 0.5}
        elif fabric in ("wool", "tweed", "velvet"):
            vw = {"tailored": 5, "bomber": 1}
        vw = _steer_variant(vw, hints)
        variant = choose(vr, vw)
    elif garment == "coat":
        variant = choose(vr, {"single-breasted": 2, "double-breasted": 2, "wrap": 1})
        if silhouette == "wrap":
            variant = "wrap"
    elif garment in ("blazer", "suit"):
        variant = choose(vr, {"single-breasted": 3, "double-breasted": 1.5})

    return Resolved(
        garment_type=garment,
        silhouette=silhouette,
        length=length,
        neckline=neckline,
        sleeve=sleeve,
        pattern=pattern,
        pattern_variant=pattern_variant,
        fabric=fabric,
        colors=colors,
        palettes=palettes,
        styles=styles,
        occasions=occasions,
        seasons=seasons,
        details=details,
        variant=variant,
        exclude=exclude,
        explicit=explicit,
        ignored=ignored,
    )


def _natural_colors(pattern: str, variant: str | None) -> list[str]:
    kind = variant if pattern == "animal-print" else pattern
    return {
        "leopard": ["camel", "black", "brown", "tan"],
        "zebra": ["white", "black", "charcoal", "grey"],
        "camouflage": ["olive", "brown", "khaki", "charcoal"],
    }.get(kind or "", [])


STRAPLESS_NECKS = {"sweetheart", "v-neck", "plunging", "square", "scoop"}
_NECK_MAP_TAILORED = {
    "turtleneck": "high-neck", "cowl": "high-neck", "plunging": "v-neck", "scoop": "crew",
    "boat": "crew", "square": "crew", "sweetheart": "v-neck", "halter": "v-neck",
    "off-shoulder": "collared", "one-shoulder": "collared",
}


def _compat(
    seed: int,
    garment: str,
    neckline: str | None,
    sleeve: str | None,
    explicit: set[str],
    hints: list[str],
    exclude: dict[str, list[str]],
    ignored: dict[str, Any],
) -> tuple[str | None, str | None]:
    """Make neckline and sleeve drawable together, changing the one that was not asked for."""
    rng = _rng(seed, "compat")
    n_exp, s_exp = "neckline" in explicit, "sleeve" in explicit
    excl_n = exclude.get("necklines", [])
    excl_s = exclude.get("sleeves", [])
    if garment in ("hoodie", "kimono"):
        if neckline is not None and n_exp:
            ignored["neckline"] = neckline
        return None, sleeve
    if garment in ("jacket", "blazer", "coat", "trench-coat", "suit", "vest", "cardigan"):
        if neckline in _NECK_MAP_TAILORED:
            ignored["neckline"] = neckline
            neckline = _NECK_MAP_TAILORED[neckline]
        if garment == "cardigan" and neckline not in ("v-neck", "crew"):
            neckline = "v-neck"
        if garment == "vest" and neckline not in ("v-neck", "crew", "collared"):
            neckline = "v-neck"
        return neckline, sleeve
    if garment == "corset" and neckline not in STRAPLESS_NECKS | {"off-shoulder"}:
        if n_exp:
            ignored["neckline"] = neckline
        neckline = "sweetheart"
    strap = {"strapless", "spaghetti-strap"}
    if sleeve in strap and neckline not in STRAPLESS_NECKS | {None, "halter", "one-shoulder",
                                                              "off-shoulder"}:
        if not n_exp:
            opts = {k: w for k, w in {"sweetheart": 3, "square": 2, "v-neck": 2,
                                      "scoop": 1}.items() if k not in excl_n}
            neckline = choose(rng, opts or {"sweetheart": 1})
        elif not s_exp:
            opts = {k: w for k, w in BASE[garment].get("sleeve", {"short": 1.0}).items()
                    if k not in strap and k not in excl_s}
            sleeve = choose(rng, _steer(opts, "sleeve", hints) or {"sleeveless": 1})
        else:
            ignored["sleeve"] = sleeve
            sleeve = "sleeveless"
    if neckline in ("halter", "one-shoulder", "off-shoulder") and sleeve in strap | (
        {"cap", "short", "elbow", "three-quarter", "long", "puff", "bishop", "bell", "flutter",
         "balloon"} if neckline == "halter" else set()
    ):
        if not s_exp:
            if neckline == "off-shoulder":
                opts = {k: w for k, w in {"puff": 2, "flutter": 2, "short": 1, "long": 1,
                                          "bell": 1, "sleeveless": 1.5}.items()
                        if k not in excl_s}
                sleeve = choose(rng, _steer(opts, "sleeve", hints) or {"sleeveless": 1})
            else:
                sleeve = "sleeveless"
        elif not n_exp:
            opts = {k: w for k, w in BASE[garment].get("neckline", {"crew": 1.0}).items()
                    if k not in ("halter", "one-shoulder", "off-shoulder") and k not in excl_n}
            neckline = choose(rng, opts or {"crew": 1})
            return _compat(seed + 1, garment, neckline, sleeve, explicit | {"neckline"}, hints,
                           exclude, ignored)
        elif neckline != "halter" or sleeve in strap:
            ignored["sleeve"] = sleeve
            sleeve = "sleeveless"
    return neckline, sleeve


def _steer_variant(weights: Weights, hints: list[str]) -> Weights:
    out = dict(weights)
    lean = {"edgy": "moto", "punk": "moto", "grunge": "denim", "western": "denim",
            "streetwear": "bomber", "sporty": "bomber", "casual": "denim",
            "classic": "tailored", "office": "tailored", "preppy": "tailored"}
    for h in hints:
        if h in lean and lean[h] in out:
            out[lean[h]] *= 3
    return out


def _choose_details(
    seed: int,
    garment: str,
    raw: Any,
    hints: list[str],
    excluded: list[str],
    explicit: set[str],
    ignored: dict[str, Any],
) -> list[str]:
    named: list[str] = []
    unknown: list[Any] = []
    for item in _as_list(raw):
        c = canon(item, DETAILS)
        if c is None:
            unknown.append(item)
        elif c not in named and c not in excluded:
            named.append(c)
    if unknown:
        ignored["details"] = unknown
    if named:
        explicit.add("details")
        return named
    probs = dict(DETAIL_BASE.get(garment, {}))
    scale = 1.0
    for h in hints:
        st = STEER.get(h, {})
        for d, p in st.get("details", {}).items():
            probs[d] = 1 - (1 - probs.get(d, 0.0)) * (1 - p)
        scale *= st.get("detail_scale", 1.0)
    rng = _rng(seed, "details")
    out = [
        d for d in DETAILS
        if d in probs and d not in excluded and rng.random() < probs[d] * scale
    ]
    return out[:3]
