"""Command parser: what a designer typed or said -> intent, garment spec(s) and target.

`parse_command` is a pure function (no I/O, no clock unless `now` is omitted). The
pipeline is:

1. normalize and tokenize (contractions, hyphens, punctuation, image ids);
2. correct typos of unknown words against the taxonomy and command keywords;
3. pull out time ranges ("last week") and clock times ("3am");
4. decide the intent from keyword patterns (most specific intent first);
5. pull out image references ("the last 3", "my last outlier", "this one");
6. read quantities, taxonomy attributes and negations, split several garments
   ("5 dresses and 3 skirts") into one spec each;
7. assemble the target, a short reply and a confidence.
"""

from __future__ import annotations

import functools
import math
import re
from calendar import monthrange
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from designer_bff.garments.spec import LIST_FIELDS, SCALAR_FIELDS, GarmentSpec
from designer_bff.garments.taxonomy import (
    Attribute,
    FuzzyMatcher,
    Reading,
    Taxonomy,
    get_taxonomy,
    strip_accents,
)

Intent = Literal[
    "generate",
    "variations",
    "show",
    "collection_create",
    "collection_add",
    "schedule_nightly",
    "cost_report",
    "cancel",
    "help",
    "unknown",
]

DEFAULT_MAX_QUANTITY = 100
# Longer input is cut here: a spoken or typed command is a sentence or two, and the cut
# keeps parse time bounded on pasted walls of text.
MAX_COMMAND_CHARS = 1000

EXAMPLES: tuple[str, ...] = (
    "make me 10 bohemian style dresses",
    "generate 5 minimalist black blazers in wool, no pockets",
    "5 dresses and 3 skirts in earth tones",
    "a few flowy maxi dresses for a beach wedding, without florals",
    "five more like the last one but in navy",
    "10 variations of my last outlier",
    "show me my outliers from last week",
    "show bohemian dresses",
    "create a collection called Summer Capsule",
    "add the last 3 to Summer Capsule",
    "every night make me 20 minimalist tops",
    "move the nightly batch to 3am",
    "stop the nightly batch",
    "how much did I spend this month?",
    "cancel that",
)


# --------------------------------------------------------------------------- result model


class TimeRange(BaseModel):
    """A calendar range; `start`/`end` are inclusive ISO dates (start None = all time)."""

    model_config = ConfigDict(extra="forbid")

    label: str
    start: str | None = None
    end: str | None = None


class Schedule(BaseModel):
    """What to do with the nightly batch."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["create", "update", "stop"]
    time: str | None = None  # "HH:MM", 24h, when said
    quantity: int | None = None
    spec: GarmentSpec | None = None


class Target(BaseModel):
    """What the command acts on; absent parts are None / {}."""

    model_config = ConfigDict(extra="forbid")

    image_ref: str | None = None  # "last", "last_outlier", "last_batch" or an image id
    collection_name: str | None = None
    count: int | None = None
    time_range: TimeRange | None = None
    filters: dict[str, Any] = Field(default_factory=dict)
    schedule: Schedule | None = None


class ParseError(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str


class ParseResult(BaseModel):
    """The parse of one command (the JSON shape of issue 3)."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent
    confidence: float
    spec: GarmentSpec = Field(default_factory=GarmentSpec)
    specs: list[GarmentSpec] = Field(default_factory=list)
    target: Target = Field(default_factory=Target)
    reply: str
    error: ParseError | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# --------------------------------------------------------------------------- vocabulary

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {
    "hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12,
}  # fmt: skip
# "1 hundred", "2 dozen", "3 million" after a written number.
_DIGIT_SCALES = {**_SCALES, "dozen": 12}
# The same words, for the hearing step: a number before one of them is a part of a count.
DIGIT_SCALE_WORDS = frozenset(_DIGIT_SCALES)
# Words that make the number after them negative ("minus 5", "negative five"; "-5" is
# read as "negative 5").
_SIGN_WORDS = frozenset({"minus", "negative"})
# Quantity phrases, matched before single words (longest first).
_QUANTITY_PHRASES: dict[tuple[str, ...], int] = {
    ("half", "a", "dozen"): 6,
    ("half", "dozen"): 6,
    ("a", "dozen"): 12,
    ("one", "dozen"): 12,
    ("two", "dozen"): 24,
    ("three", "dozen"): 36,
    ("dozen",): 12,
    ("a", "couple", "of"): 2,
    ("a", "couple"): 2,
    ("couple", "of"): 2,
    ("couple",): 2,
    ("a", "pair", "of"): 2,
    ("pair", "of"): 2,
    ("a", "few"): 3,
    ("few",): 3,
    ("several",): 3,
    ("a", "handful", "of"): 5,
    ("handful", "of"): 5,
    ("a", "bunch", "of"): 5,
    ("a", "hundred"): 100,
    ("a", "thousand"): 1000,
    ("single",): 1,
}
_MAX_QUANTITY_PHRASE = max(len(k) for k in _QUANTITY_PHRASES)
# Garments sold as a "pair": "a pair of jeans" is one garment.
_PAIR_GARMENTS = frozenset(
    {"pants", "jeans", "shorts", "trousers", "leggings", "slacks", "joggers", "culottes"}
)
_WEAK_ONE = frozenset({"a", "an", "another"})
# Words after which a number is a count, even one that looks like a year.
_COUNT_VERBS = frozenset(
    {"make", "create", "generate", "design", "draw", "sketch", "render", "produce", "me", "us"}
)

# "I have 5 denim jackets, make 3 more": a count the speaker says they already have (or
# made) is not the count to make. A modal before the subject makes it a request again
# ("can I have 4 dresses").
_POSSESSION_SUBJECTS = frozenset({"i", "we"})
_POSSESSION_VERBS = frozenset({"have", "got", "own", "made", "bought", "designed"})
_POSSESSION_FILLER = frozenset({"already", "have", "got", "just", "also"})
_MODALS = frozenset(
    {"can", "could", "may", "might", "would", "will", "shall", "should", "must", "to", "let"}
)

_NEGATIONS = frozenset(
    {"no", "not", "without", "never", "avoid", "avoiding", "minus", "except", "excluding",
     "exclude", "skip", "nothing", "none", "non", "ditch", "lose", "omit", "nix", "sans",
     "nor"}
)  # fmt: skip
_NEGATION_PAIRS = frozenset({("instead", "of"), ("rather", "than"), ("other", "than"),
                             ("anything", "but"), ("get", "rid"), ("leave", "out"),
                             ("color", "but"), ("colors", "but"), ("shade", "but"),
                             ("anything", "except"), ("everything", "but"),
                             ("color", "except"), ("colors", "except"),
                             ("steer", "clear"), ("stay", "away")})  # fmt: skip
# Words a negation can reach across: "no more black", "not too short", "without any lace".
_NEG_SKIP = frozenset(
    {"a", "an", "any", "the", "too", "so", "very", "overly", "in", "with", "made", "of",
     "more", "use", "using", "want", "include", "including", "have", "having", "put", "really",
     "super", "my", "is", "are", "be", "it", "them", "colors", "color", "colored", "rid",
     "out", "heavy", "obvious", "crazy", "loud", "anything", "big", "huge", "visible",
     "extra", "do", "add"}
)  # fmt: skip
_CONJUNCTIONS = frozenset({"and", "or", "plus", "also", "with", "then", "along", ","})
_SEGMENT_BREAKS = frozenset({"and", ",", "plus", "also", "with", "then", "along", "or"})
# Nouns that carry a quantity without naming a garment ("5 looks", "3 options").
_GENERIC_HEADS = frozenset(
    {"look", "looks", "outfit", "outfits", "piece", "pieces", "design", "designs", "option",
     "options", "idea", "ideas", "image", "images", "version", "versions", "variation",
     "variations", "variant", "variants", "sketch", "sketches", "render", "renders", "concept",
     "concepts", "pic", "pics", "picture", "pictures", "ones", "item", "items", "garment",
     "garments", "illustration", "illustrations", "drawing", "drawings", "alternatives",
     "takes", "iterations", "riffs", "more", "new", "something"}
)  # fmt: skip
# The nouns among them that only a count comes before ("4 pieces", not "4 more").
COUNTED_NOUNS = _GENERIC_HEADS - {"more", "new", "something", "ones", "render", "sketch"}
_OCCASION_CUES = frozenset({"for", "to", "at", "wear", "attend", "attending"})

# Words that are not attributes but are expected in commands; never typo-corrected, and
# not counted as "not understood" when scoring confidence.
_FILLER = frozenset(
    """a an the um uh uhh umm erm er hmm please pls plz kindly hey hi hello yo ok okay so just
    like could you can would will me my mine i im we us our your it its this that these those
    some any for of to in on at with and or but be is are was were am do does did have has had
    want wanna need needs would like love id ill ive lets let go ahead maybe perhaps really
    actually basically also too very quite pretty kind sort kinda sorta thing things stuff
    something anything new fresh more other another again now today quick quickly real style
    styled looking look inspired vibe vibes vibey feel feeling type types piece pieces them
    they what how much many which when where who why there here all both each every one ones
    up down out over about from by as into onto than then thanks thank cheers great awesome
    cool nice lovely good think guess should shall might must get got give gimme make made
    making create design generate show see find add put save help cancel stop start set run
    batch night nightly collection""".split()
)

# Command keywords that typo correction should know about (on top of taxonomy words).
_KEYWORDS = frozenset(
    """generate create design designs make render sketch variations variation versions
    variants similar outlier outliers collection collections gallery favorites favourites
    nightly schedule scheduled every night cancel stop spend spent spending costs budget
    billing month week today yesterday display please dresses another version iterate
    remix capsule moodboard folder called named scrap abort nevermind forget halt
    terminate expenses invoice examples commands""".split()
)

# Function words never glued onto a neighbour by `_join_split_words` ("glam or" != glamor).
_JOIN_STOP = frozenset({"a", "an", "the", "or", "and", "no", "not", "in", "on", "of", "to"})
_DETERMINERS = frozenset({"a", "an", "the", "my", "some", "any", "our", "your", "this", "that"})
_NUM_WORD_RE = "|".join(sorted([*_UNITS, *_TENS, "a few", "a couple", "few", "couple"], key=len,
                               reverse=True))  # fmt: skip
_NUM = rf"(\d+|(?:{_NUM_WORD_RE})(?: (?:{'|'.join(_UNITS)}))?)"

# --------------------------------------------------------------------------- tokenizer

_ID_RE = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|#\s?([a-z0-9][a-z0-9_-]*)"
    r"|\b((?:img|image|design|render|gen)[_-][a-z0-9_-]*\d[a-z0-9_-]*)\b"
    r"|\b(?:number|no\.|nr\.?|num\.?)\s*(\d+)\b(?=\s+(?:to|into|in|onto|with|but|as|again)\b"
    r"|\s*$|\s*[,.!?;:])"
    r"|\b(?:image|img|design|render|picture|photo|pic)\s+(?:id\s+|number\s+|no\.?\s*|#\s?)?"
    r"([a-z]*\d[a-z0-9_-]*)\b"
    # A bare number after "design" is usually a quantity ("design 8 dresses"): only an id
    # when the sentence moves on right after it ("image 42 with a v-neck", "image 17 to X").
    r"(?=\s*$|\s*[,.!?;:]|\s+(?:to|into|in|with|but|and|as|from|please|again|using|so|more"
    r"|but|without|on|for)\b)"
)
_CONTRACTIONS = (
    (re.compile(r"\bcan['’]?t\b"), "can not"),
    (re.compile(r"\bwon['’]t\b"), "will not"),
    (re.compile(r"\bdon['’]?t\b"), "do not"),
    (re.compile(r"\bdoesn['’]?t\b"), "does not"),
    (re.compile(r"\bdidn['’]?t\b"), "did not"),
    (re.compile(r"\bisn['’]?t\b"), "is not"),
    (re.compile(r"\baren['’]?t\b"), "are not"),
    (re.compile(r"n['’]t\b"), " not"),
    (re.compile(r"['’](?:re)\b"), " are"),
    (re.compile(r"['’](?:ll)\b"), " will"),
    (re.compile(r"['’](?:ve)\b"), " have"),
    (re.compile(r"['’](?:m)\b"), " am"),
    (re.compile(r"['’](?:d)\b"), " would"),
    (re.compile(r"['’]s\b"), ""),
)
# Shorthand designers type, spelled out before tokenizing ("w/ 3/4 slv", "pls", "SS26").
_ABBREVIATIONS: dict[str, str] = {
    "w/o": " without ", "w/": " with ", "pls": "please", "plz": "please", "plse": "please",
    "slv": "sleeve", "slvs": "sleeves", "slvd": "sleeved", "u": "you",
    "ur": "your", "thx": "thanks", "blk": "black", "wht": "white", "nvy": "navy",
    "colour": "color", "colours": "colors", "coloured": "colored", "colourway": "colorway",
    "colourways": "colorways", "favourite": "favorite", "favourites": "favorites",
    "favourited": "favorited",
}  # fmt: skip
_ABBREVIATION_RE = re.compile(
    r"(?<![a-z0-9/])(?:w/o|w/(?=\s|[a-z0-9])|pls|plse|plz|slvs?|slvd|thx|blk|wht|nvy|ur"
    r"|colou?r(?:s|ed|ways?)?|favourit(?:e|es|ed)|u(?! ?neck))(?![a-z0-9])"
)
# Season codes: "SS26" spring/summer, "AW25"/"FW25" autumn/winter (only with a year, so
# "aw, cute" stays an interjection).
_SEASON_CODE_RE = re.compile(r"\b(ss|aw|fw)\s?['’]?(\d{2}|\d{4})\b")
_SEASON_CODES = {"ss": " spring summer ", "aw": " autumn winter ", "fw": " autumn winter "}
_AM_PM_DOTS = re.compile(r"\b([ap])\.\s?m\.?")
# A recogniser's "3 1, shoulder gowns", "3 asymmetric 1 shoulder tops" and "have a
# dozen": the words said were "one shoulder" and "half a dozen". At the very start "1"
# may be the count.
_ONE_SHOULDER_RE = re.compile(r"(?<=\w )1[\s,-]+shoulder")
_HAVE_A_DOZEN_RE = re.compile(r"(?<!\bi )(?<!\bwe )(?<!\byou )(?<!\bthey )\bhave a dozen\b")
# "this 1", "another 1": recognisers write the pronoun "one" as a digit.
_PRONOUN_ONE = re.compile(
    r"\b(this|that|last|latest|previous|another|each|which|first|second|other|same) 1\b"
    r"(?!\s?(?:[:.]\d|am\b|pm\b|o'?\s?clock\b))"
)
# "9.15 pm", "at 4.30": a clock time written with a dot (British style, and how
# recognisers write a spoken time), not a decimal.
_DOT_TIME = re.compile(
    r"\b(\d{1,2})\.([0-5]\d)(?=\s?(?:[ap]\.?\s?m\b|o'?\s?clock\b))"
    r"|(?<=\b(?:at|by) )(\d{1,2})\.([0-5]\d)\b(?!\s?(?:dollars?|pounds?|euros?|usd|gbp|eur)\b)"
)
_WORD_JOINERS = re.compile(r"(?<=[a-z0-9])[-_/](?=[a-z])|(?<=[a-z])[-_/](?=[0-9])")
_NUM_RANGE = re.compile(r"(?<=\d)\s*-\s*(?=\d)")
_SENTENCE_PUNCT = re.compile(r"[.!?;]+(?!\d)|,|:(?!\d)")
_OTHER_PUNCT = re.compile(r"[^a-z0-9/:,%$ ]+")
_TOKEN_RE = re.compile(r"\$\d+(?:\.\d+)?|\d+%|\d+/\d+|\d{1,2}:\d{2}(?:am|pm)?|[a-z0-9]+|,")
# Written numbers the punctuation rules below would break apart: digit groups
# ("1,000,000", "1'000", "10 000", "1.000.000"), scientific ("1e9", "2.5e3") and power
# ("10^6", "10**6") notation. Each becomes one plain integer token.
_DIGIT_GROUPS_RE = re.compile(
    r"(?<![\w.,'])\d{1,3}(?:(?P<sep>[,'_])\d{3})(?:(?P=sep)\d{3})*(?![\w]|[.,']\d)"
    r"|(?<![\w.,'])\d{1,3}(?: 000)+(?![\w]|[.,']\d)"
    r"|(?<![\w.,'])\d{1,3}(?:\.\d{3}){2,}(?![\w]|[.,']\d)"
)
_SCIENTIFIC_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)e([+-]?\d{1,4})(?![\w.])")
_POWER_RE = re.compile(r"(?<![\w.])(\d{1,6}) ?(?:\^|\*\*) ?(\d{1,4})(?![\w.])")
# A decimal is no count of designs ("1.5 dresses" must not read as 5): a whole one
# ("5.0") is its integer, any other a marker that is refused. Clock times ("at 6.30",
# "6.30pm"), sizes and prices keep their own reading.
_DECIMAL_RE = re.compile(
    r"(?<![\w.$])(?<!at )(?<!by )(?<!around )(?<!size )(?<!sizes )(\d+)\.(\d+)"
    r"(?![\w.]| ?(?:am|pm|a\.m|p\.m|h|hrs?|hours?|o ?clock)\b)"
)
_NOT_WHOLE = "0notwhole"  # has a digit, so the spelling corrector leaves it alone
# A minus sign before a number (not a range "3-5", which _NUM_RANGE has read by then).
_SIGN_RE = re.compile(r"(?:^|(?<=[\s(\[]))[-\u2212\u2013](?=\d)")
# Past any command limit, and bounded so "1e9999" stays a small integer to print.
_HUGE = 10**15


def _plain_numbers(s: str) -> str:
    """Digit groups, scientific and power notation as plain integers ("1e9" -> "1000000000")."""
    s = _DIGIT_GROUPS_RE.sub(lambda m: re.sub(r"\D", "", m.group(0)), s)

    def scientific(match: re.Match[str]) -> str:
        mantissa, exponent = Decimal(match.group(1)), int(match.group(2))
        if exponent > 15:
            return str(_HUGE) if mantissa else "0"
        value = mantissa.scaleb(max(exponent, -20))
        return str(min(int(value), _HUGE)) if value == value.to_integral_value() else _NOT_WHOLE

    def power(match: re.Match[str]) -> str:
        base, exponent = int(match.group(1)), int(match.group(2))
        if base > 1 and exponent * math.log10(base) > 15:
            return str(_HUGE)
        return str(base**exponent)

    def decimal(match: re.Match[str]) -> str:
        return match.group(1) if not match.group(2).strip("0") else _NOT_WHOLE

    s = _POWER_RE.sub(power, _SCIENTIFIC_RE.sub(scientific, s))
    return _DECIMAL_RE.sub(decimal, s)


# "Y2K" as recognisers write it: "Y 2K", "Y-2K", and fused to a count ("20Y 2K").
_Y2K_RE = re.compile(r"\b(\d+)?\s?y[\s-]?2\s?k\b")
_THOUSANDS_RE = re.compile(r"\b(\d+)k\b")  # "2k dresses" is 2000, not a dress

_REF_WORD = "xrefx"  # stands for an image id pulled out of the text
_MARK = "_"  # stands for text consumed by an extractor (time range, reference, clock time)


def _tokenize(text: str) -> tuple[list[str], list[str]]:
    """Lower-case tokens and the image ids found in the text."""
    s = strip_accents(text.lower())
    s = s.replace("‘", "'").replace("“", '"').replace("”", '"')
    ids: list[str] = []

    def take_id(match: re.Match[str]) -> str:
        ids.append(next((g for g in match.groups() if g), match.group(0)))
        return f" {_REF_WORD} "

    s = _ID_RE.sub(take_id, s)
    s = _Y2K_RE.sub(lambda m: f"{m.group(1) or ''} y2k", s)
    s = _THOUSANDS_RE.sub(r"\g<1>000", s)
    s = _ONE_SHOULDER_RE.sub("one shoulder", s)
    s = _HAVE_A_DOZEN_RE.sub("half a dozen", s)
    s = _PRONOUN_ONE.sub(r"\1 one", s)
    s = _DOT_TIME.sub(lambda m: f"{m.group(1) or m.group(3)}:{m.group(2) or m.group(4)}", s)
    s = _plain_numbers(s)
    s = _SEASON_CODE_RE.sub(lambda m: _SEASON_CODES[m.group(1)], s)
    s = _ABBREVIATION_RE.sub(lambda m: _ABBREVIATIONS.get(m.group(0), m.group(0)), s)
    s = _AM_PM_DOTS.sub(r"\1m ", s)
    for pattern, replacement in _CONTRACTIONS:
        s = pattern.sub(replacement, s)
    s = s.replace("&", " and ").replace("+", " and ").replace("'", " ")
    s = _NUM_RANGE.sub(" to ", s)
    s = _SIGN_RE.sub(" negative ", s)
    s = _WORD_JOINERS.sub(" ", s)
    s = _SENTENCE_PUNCT.sub(" , ", s)
    s = _OTHER_PUNCT.sub(" ", s)
    return _TOKEN_RE.findall(s), ids


# --------------------------------------------------------------------------- numbers


def _number_value(words: Sequence[str]) -> int | None:
    """Value of a spoken or written number ("twenty five", "25", "a few")."""
    key = tuple(words)
    if key in _QUANTITY_PHRASES:
        return _QUANTITY_PHRASES[key]
    total = 0
    current = 0
    seen = False
    for word in words:
        if word.isdigit():
            current += int(word)
        elif word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total += current
                current = 0
        elif word == "and" and seen:
            continue
        else:
            return None
        seen = True
    return total + current if seen else None


def _number_word_follows(tokens: Sequence[str], start: int, end: int) -> bool:
    """Whether tokens[end] continues the spoken number begun at `start`: "twenty five",
    "one hundred and two", but not "three one" ("three one-shoulder gowns")."""
    tok = tokens[end]
    if tok in _SCALES:
        return True
    if tok not in _UNITS and tok not in _TENS:
        return False
    if end == start:
        return True
    prev = tokens[end - 1]
    if prev in _SCALES or prev == "and":
        return True
    return prev in _TENS and tok in _UNITS and 0 < _UNITS[tok] < 10


def _read_number(tokens: Sequence[str], i: int) -> tuple[int, int, bool] | None:
    """(value, tokens consumed, strong) for a quantity starting at tokens[i]."""
    if tokens[i] in _SIGN_WORDS and i + 1 < len(tokens):
        signed = _read_number(tokens, i + 1)
        if signed is not None and signed[2]:  # "minus 5 dresses"; not "minus a collar"
            return -signed[0], signed[1] + 1, True
    if tokens[i] == "a" and i + 1 < len(tokens) and tokens[i + 1] in _SCALES:
        scaled = _read_number(tokens, i + 1)  # "a hundred and twenty"
        if scaled is not None:
            return scaled[0], scaled[1] + 1, True
    for size in range(min(_MAX_QUANTITY_PHRASE, len(tokens) - i), 0, -1):
        key = tuple(tokens[i : i + size])
        if key in _QUANTITY_PHRASES:
            value = _QUANTITY_PHRASES[key]
            if key[-1] == "of" and key[-2] == "pair":
                ahead = tokens[i + size : i + size + 5]
                if any(t in _PAIR_GARMENTS for t in ahead):
                    return 1, size, False
            return value, size, True
    tok = tokens[i]
    if tok in _WEAK_ONE:
        return 1, 1, False
    if tok == _NOT_WHOLE:
        return 0, 1, True  # refused like zero
    if tok.endswith("x") and tok[:-1].isdigit():
        return int(tok[:-1]), 1, True
    if tok.startswith("x") and tok[1:].isdigit():  # "dresses x4"
        return int(tok[1:]), 1, True
    if tok.isdigit():
        value = int(tok)
        size = 1
        # "1 hundred", "2 dozen", "3 million"
        if i + 1 < len(tokens) and tokens[i + 1] in _DIGIT_SCALES:
            value *= _DIGIT_SCALES[tokens[i + 1]]
            size = 2
        return value, size, True
    if tok in _UNITS or tok in _TENS or tok in _SCALES:
        end = i
        while end < len(tokens) and (
            _number_word_follows(tokens, i, end)
            or (
                # "one hundred and fifty", "two and a half" is not a quantity
                tokens[end] == "and"
                and end > i
                and tokens[end - 1] in _SCALES
                and end + 1 < len(tokens)
                and (tokens[end + 1] in _UNITS or tokens[end + 1] in _TENS)
            )
        ):
            end += 1
        spoken = _number_value(tokens[i:end])
        if end < len(tokens) and tokens[end] == "dozen":
            return (spoken * 12, end + 1 - i, True) if spoken is not None else None
        if spoken is not None:
            return spoken, end - i, True
    return None


def _word_number(text: str) -> int | None:
    return _number_value(text.split())


# --------------------------------------------------------------------------- time


@dataclass(slots=True)
class _Extracted:
    time_range: TimeRange | None = None
    clock: str | None = None
    refs: list[tuple[str, int | None]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def _iso(day: date) -> str:
    return day.isoformat()


def _months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def _range_for(label: str, today: date, amount: int = 1, unit: str = "") -> TimeRange:
    if label == "today":
        return TimeRange(label=label, start=_iso(today), end=_iso(today))
    if label == "yesterday":
        day = today - timedelta(days=1)
        return TimeRange(label=label, start=_iso(day), end=_iso(day))
    if label == "this_week":
        start = today - timedelta(days=today.weekday())
        return TimeRange(label=label, start=_iso(start), end=_iso(today))
    if label == "last_week":
        end = today - timedelta(days=today.weekday() + 1)
        return TimeRange(label=label, start=_iso(end - timedelta(days=6)), end=_iso(end))
    if label == "this_month":
        return TimeRange(label=label, start=_iso(today.replace(day=1)), end=_iso(today))
    if label == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return TimeRange(label=label, start=_iso(end.replace(day=1)), end=_iso(end))
    if label == "this_year":
        return TimeRange(label=label, start=_iso(date(today.year, 1, 1)), end=_iso(today))
    if label == "last_year":
        year = today.year - 1
        return TimeRange(label=label, start=_iso(date(year, 1, 1)), end=_iso(date(year, 12, 31)))
    if label == "all_time":
        return TimeRange(label=label, start=None, end=_iso(today))
    # Rolling windows ending today: "past 3 days", "last 2 weeks", "past month".
    if unit == "day":
        start = today - timedelta(days=amount - 1)
    elif unit == "week":
        start = today - timedelta(days=7 * amount - 1)
    elif unit == "month":
        start = _months_back(today, amount) + timedelta(days=1)
    else:  # year
        start = _months_back(today, 12 * amount) + timedelta(days=1)
    return TimeRange(label=f"last_{amount}_{unit}s", start=_iso(start), end=_iso(today))


_ROLLING_RE = re.compile(
    rf"\b(?:in |over |during |for |from |within )?(?:the )?(?:last|past|previous) {_NUM} "
    r"(day|week|month|year|hour)s?\b"
)
_ROLLING_ONE_RE = re.compile(
    r"\b(?:in |over |during |for |from |within )?(?:the (?:last|past)|past|this past) "
    r"(day|week|month|year)\b"
)
_CALENDAR_RANGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), label)
    for pattern, label in (
        (r"\b(?:from |in |during |of |over )?(?:last|previous) week\b|\bthe week before\b",
         "last_week"),
        (r"\b(?:from |in |during |of |over )?(?:last|previous) month\b", "last_month"),
        (r"\b(?:from |in |during |of |over )?(?:last|previous) year\b", "last_year"),
        (r"\b(?:so far |for |in |from |during |of )?this week(?: so far)?\b", "this_week"),
        (r"\b(?:so far |for |in |from |during |of )?this month(?: so far)?\b|\bmonth to date\b"
         r"|\bmtd\b", "this_month"),
        (r"\b(?:so far |for |in |from |during |of )?this year(?: so far)?\b|\byear to date\b"
         r"|\bytd\b", "this_year"),
        (r"\b(?:from |for |of )?yesterday\b|\b(?:from |of )?last night\b", "yesterday"),
        (r"\b(?:so far |for |from |of )?today(?: so far)?\b|\bthis (?:morning|afternoon)\b",
         "today"),
        (r"\b(?:of |for |in )?all time\b|\bin total\b|\bto date\b|\boverall\b|\bso far\b"
         r"|\bever\b", "all_time"),
    )
)  # fmt: skip

_CLOCK_RES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:at |around |by |for )?(\d{1,2})(?::(\d{2}))? ?(am|pm)\b"), "ampm"),
    (re.compile(rf"\b(?:at |around |by )?({'|'.join(_UNITS)}) ?(am|pm)\b"), "word_ampm"),
    (re.compile(
        rf"\b(?:at |around |by )?(\d{{1,2}}|{'|'.join(_UNITS)})(?::(\d{{2}}))?(?: o clock)? "
        r"(?:in the |at )(morning|night|evening|afternoon)\b"), "part"),
    (re.compile(r"\b(?:at |around |by )?(\d{1,2}):(\d{2})\b"), "24h"),
    (re.compile(r"\b(?:at |around |by )?midnight\b"), "midnight"),
    (re.compile(r"\b(?:at |around |by )?(?:noon|midday)\b"), "noon"),
)  # fmt: skip
_PAST_TO_RE = re.compile(
    rf"\b(?:at |around |by )?(half|quarter|twenty|ten|five) (past|after|to) "
    rf"(\d{{1,2}}|{'|'.join(_UNITS)})(?: o clock)?(?: ?(am|pm)| in the (morning|evening|night))?\b"
)
_PAST_TO_MINUTES = {"half": 30, "quarter": 15, "twenty": 20, "ten": 10, "five": 5}
_BARE_AT_RE = re.compile(rf"\b(?:at|around|by) (\d{{1,2}}|{'|'.join(_UNITS)})(?: o clock)?\b")


def _hour(text: str) -> int | None:
    return int(text) if text.isdigit() else _UNITS.get(text)


def _clock(hour: int | None, minute: int = 0) -> str | None:
    if hour is None or not 0 <= hour <= 23 or not 0 <= minute <= 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def _extract_clock(s: str, nightly: bool, out: _Extracted) -> str:
    """Pull a time of day out of a nightly-schedule command ("at 3am", "midnight")."""
    if not nightly:
        return s  # elsewhere "midnight" is a color ("midnight blue")
    match = _PAST_TO_RE.search(s)
    if match:
        base = _hour(match.group(3))
        if base is not None and 0 <= base <= 12:
            minutes = _PAST_TO_MINUTES[match.group(1)]
            if match.group(2) == "to":
                base, minutes = (base - 1) % 12, 60 - minutes
            # A nightly run at "half past ten" is 22:30; "half past one" is 01:30.
            pm = match.group(4) == "pm" or (match.group(5) in {"evening", "night"} and base >= 6)
            if match.group(4) is None and match.group(5) is None:
                pm = 6 <= base <= 11
            out.clock = _clock(base % 12 + (12 if pm else 0), minutes)
            return s[: match.start()] + f" {_MARK} " + s[match.end() :]
    for pattern, kind in _CLOCK_RES:
        match = pattern.search(s)
        if not match:
            continue
        value: str | None = None
        if kind == "ampm":
            hour = int(match.group(1)) % 12 + (12 if match.group(3) == "pm" else 0)
            value = _clock(hour, int(match.group(2) or 0))
        elif kind == "word_ampm":
            base = _hour(match.group(1))
            value = (
                None if base is None else _clock(base % 12 + (12 if match.group(2) == "pm" else 0))
            )
        elif kind == "part":
            base = _hour(match.group(1))
            if base is not None:
                pm = match.group(3) in {"evening", "afternoon"} or (
                    match.group(3) == "night" and 6 <= base < 12
                )
                value = _clock(base % 12 + (12 if pm else 0), int(match.group(2) or 0))
        elif kind == "24h":
            value = _clock(int(match.group(1)), int(match.group(2)))
        elif kind == "midnight":
            value = "00:00"
        else:
            value = "12:00"
        if value:
            out.clock = value
            return s[: match.start()] + f" {_MARK} " + s[match.end() :]
    match = _BARE_AT_RE.search(s)
    if match:
        base = _hour(match.group(1))
        # A nightly run "at 10" means 22:00; "at 3" means 03:00.
        if base is not None and 1 <= base <= 12:
            out.clock = _clock(base + 12 if 6 <= base <= 11 else base % 12)
            return s[: match.start()] + f" {_MARK} " + s[match.end() :]
    return s


def _extract_time_range(s: str, today: date, out: _Extracted) -> str:
    match = _ROLLING_RE.search(s)
    if match:
        amount = _word_number(match.group(1)) or 1
        unit = match.group(2)
        if unit == "hour":
            unit, amount = "day", max(1, (amount + 23) // 24)
        out.time_range = _range_for("", today, amount, unit)
        return s[: match.start()] + f" {_MARK} " + s[match.end() :]
    match = _ROLLING_ONE_RE.search(s)
    if match:
        unit = match.group(1)
        amount, unit = {"day": (1, "day"), "week": (7, "day"), "month": (30, "day"),
                        "year": (365, "day")}[unit]  # fmt: skip
        out.time_range = _range_for("", today, amount, unit)
        return s[: match.start()] + f" {_MARK} " + s[match.end() :]
    for pattern, label in _CALENDAR_RANGES:
        match = pattern.search(s)
        if match:
            out.time_range = _range_for(label, today)
            return s[: match.start()] + f" {_MARK} " + s[match.end() :]
    return s


# --------------------------------------------------------------------------- intent cues


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_COST_RE = _rx(
    r"\bhow much (?:did|have|has|do|am|will|does|is|was|are|money|have i|did i|i)\b"
    r"|\b(?:spend|spent|spending|spends|expenses?|expenditure|billing|bill|bills|invoices?"
    r"|charges|charged|costs?|costing|budget|usage|credits?|tab)\b"
    r"|\bwhat am i paying\b|\bhow much (?:am i|do i|will i) (?:paying|pay|owe)\b"
    r"|\bhow expensive\b|\bwhat do i owe\b|\bwhat(?: s| is|s)? the damage\b|\brunning total\b"
    r"|\bhow much (?:money |credit )?(?:have i|did i|i ve) (?:used|burned|burnt|gone through)\b"
)
_COST_QUESTION_RE = _rx(r"\bhow much\b")
_NIGHTLY_RE = _rx(
    r"\b(?:every|each) (?:night|evening|day|morning|weeknight|week night)\b"
    r"|\bnightly\b|\bnightlies\b|\bover ?night\b"
    r"|\bat night\b|\bwhile i (?:sleep|am asleep|am sleeping)\b|\bdaily\b"
    r"|\b(?:schedule|scheduled|recurring)\b|\bnight (?:batch|run|job)\b|\bevery single night\b"
)
# The recurrence words themselves, masked before reading the garment spec of a nightly command.
_SCHEDULE_PHRASE_RE = _rx(
    r"\b(?:every|each) (?:single )?(?:night|evening|day|morning|weeknight|week night)\b"
    r"|\bat night\b"
)
_NIGHTLY_STOP_RE = _rx(
    r"\b(?:stop|cancel|pause|end|disable|turn off|switch off|shut off|kill|halt|remove|delete"
    r"|quit|suspend|skip|unschedule|deactivate|no more|do not|don t|discontinue)\b"
)
_NIGHTLY_UPDATE_RE = _rx(
    r"\b(?:change|update|switch|move|reschedule|bump|increase|decrease|raise|lower|adjust"
    r"|edit|modify|instead|push|shift|make it|set it|up it|drop it)\b|\bset (?:the|my)\b"
    r"|\b(?:the|my|our) (?:nightly|daily|scheduled|night)\b"
)
_NIGHTLY_CREATE_RE = _rx(r"\b(?:set up|setup|start|create|new|begin|add a|schedule a)\b")
_CANCEL_RE = _rx(
    r"^(?:cancel|stop|abort|halt|kill|terminate|undo|scrap|nevermind|never mind|forget|wait stop"
    r"|no stop)\b"
    r"|\b(?:cancel|abort|halt|terminate)\b"
    r"|\bstop (?:it|that|this|everything|generating|generation|making|creating|rendering"
    r"|the (?:job|jobs|generation|batch|render|rendering|current|run|queue|request)|all|now"
    r"|right now|those|them|what you re doing)\b"
    r"|\bnever mind\b|\bforget (?:it|that|about it|about that)\b|\bscrap (?:that|it|this)\b"
    r"|\b(?:scrap|scratch|ditch|drop) (?:that|it|this)\s*(?:,\s*)*$"
    r"|\bdo not (?:make|generate|do|render) (?:that|it|those|them|this)\b|\bcall it off\b"
    r"|\bstop(?: ,| stop| please| now| it| that)*\s*$|\b(?:hold|hang) on\b.*\bstop\b"
    r"|\bhold (?:it|that|everything|off)\s*$"
)
_HELP_RE = _rx(
    r"^(?:help|help me|commands|options|examples|menu|what now|huh)(?: ,)*$"
    r"|\bwhat (?:can|could|should|do) (?:you|i) (?:do|say|ask|type|use)\b"
    r"|\bhow (?:do|does|can|should) (?:i|you|this|it|one) (?:use|work|talk|start|get started)\b"
    r"|\b(?:show|give|list|tell) (?:me )?(?:some |the |a few |all )?(?:examples?|commands"
    r"|options|things i can say)\b|\bhelp\b|\bwhat are (?:the|your|my) (?:commands|options)\b"
    r"|\bhow (?:do|can|would|should) (?:i|we) (?:make|create|start|add|save|set up|schedule"
    r"|find|cancel|stop|see|check) (?:a |an |my |the )?(?:collection|board|folder|nightly"
    r"|schedule|favorites|costs?|spend|outliers?)\b"
    r"|\bi am (?:lost|stuck|confused)\b|\bwhat do you do\b|\btutorial\b|\bhow to use\b"
    r"|\bwhat (?:can|does) (?:this|the) (?:thing|app|tool|bot|assistant) do\b"
    r"|\bwhat (?:is|are) (?:this|you)\b|\bwho are you\b|\bgetting started\b"
    r"|\bwhat (?:kinds? of |sorts? of |types? of )?(?:things|stuff|commands|requests) (?:can|could"
    r"|should|do) (?:i|you)\b|\bcan i ask\b|\bwhat are you able\b|\bwhat else can\b"
)
_COLLECTION_NOUN_WORDS = "collection|collections|board|moodboard|mood board|folder|lookbook|album"
_COLLECTION_NOUN = rf"(?:{_COLLECTION_NOUN_WORDS})"
# A "capsule" or "edit" is a collection only when it is being created and named.
_CREATE_NOUN = rf"(?:{_COLLECTION_NOUN_WORDS}|capsule|edit)"
_COLLECTION_CREATE_RE = _rx(
    rf"\bnew {_COLLECTION_NOUN}\b"
    rf"|\b(?:create|make|start|set up|setup|begin|build|name)\b(?: me| up)?"
    rf"(?: (?:a|an|the|my))?(?: new| fresh)?(?: [a-z0-9]+){{0,4}}? {_COLLECTION_NOUN}\b"
    rf"|\bopen (?:up )?(?:a|an)(?: new| fresh)?(?: [a-z0-9]+){{0,4}}? {_COLLECTION_NOUN}\b"
    rf"|\b(?:new|create|make|start|set up|setup|begin|build|open)\b(?: (?:a|an|my))?"
    rf"(?: new| fresh)?(?: [a-z0-9]+){{0,4}}? {_CREATE_NOUN} (?:called|named|titled)\b"
)
_NAME_MARKER_RE = _rx(r"\b(?:called|named|titled|entitled|name it|call it)\b")
# Words that are also nouns ("a baby pin stripe", "a drop waist") add only when what they
# move follows them ("pin that to ...", "pop the last 3 in ...").
_ADD_OBJECT = (
    r"(?: (?:these|those|this|that|them|it|the|my|all|both|everything|last|latest|one|\d+"
    r"|to|into|in|onto|on|outliers?|images?|designs?))"
)
_ADD_VERB_RE = _rx(
    r"\b(?:add|save|put|move|copy|include|bookmark|shortlist|file away)\b"
    r"|\b(?:pin|stick|throw|drop|file|send|place|stash|store|chuck|toss|pop|bung|shove|tuck"
    rf"|dump)\b(?={_ADD_OBJECT})"
)
# Renaming or deleting a collection has no intent yet: it must not read as a design request.
_COLLECTION_MANAGE_RE = _rx(
    rf"^(?:please |can you |could you )?(?:delete|remove|rename|erase|trash|archive)\b"
    rf"(?!.*\b(?:from|out of)\b).*\b(?:{_COLLECTION_NOUN_WORDS}|capsule)\b"
    r"|^(?:please |can you |could you )?rename\b"
    r"|^(?:please |can you |could you )?(?:delete|remove|take)\b.*\b(?:from|out of) "
    r"(?!(?:the |my )?(?:last|latest|previous|this|that|it|these|those|them|xrefx|_)\b)"
)
_ADD_DEST_RE = _rx(r"\b(?:to|into|onto|in|under|inside)\b")
_FAVORITES_RE = _rx(r"\b(?:favorites|favourites|faves|favs|favorite|favourite)\b")
_VARIATION_RE = _rx(
    r"\bvariations?\b|\bvariants?\b|\bversions?\b|\biterat\w*|\bremix\w*|\briffs?\b"
    r"|\bsimilar\b|\bbased on\b|\bspin on\b|\btake on\b|\balternatives? (?:of|to|for)\b"
    r"|\blike (?:this|that|these|those|it|them|xrefx|the last|my last|the previous|my previous"
    r"|my latest|the latest|the one|my recent|the recent|the outlier|my outlier|the first"
    r"|the second|the other)\b"
    r"|\b(?:same|similar) (?:but|thing|one|design|look|again|style|vibe|idea)\b"
    r"|\b(?:redo|rework|tweak|regenerate|rerun|retry|recolor|riff|reimagine|iterate|modify"
    r"|alter)\b|\bre (?:do|run|generate|make)\b|\bagain\b|\bsame again\b"
    r"|\bmake (?:it|this|that|these|those|them|this one|that one)\b"
    r"|\b(?:try|do|have) (?:it|this|that|these|those|them|this one|that one) (?:in|with|but|as)\b"
    r"|\bchange (?:it|this|that|the)\b|\bswap\b"
    r"|\bsame [a-z]+ (?:but|in|with|only)\b|\b(?:the )?same (?:in|with)\b"
    r"|\b(?:switch|turn) (?:it|this|that|them|these|those|this one|that one) (?:to|into|in)\b"
    r"|\b(?:see|show me|what would) (?:it|this|that|this one|that one) (?:in|with|look like in)\b"
    r"|\b(?:what|how) about (?:it |this |that |this one |that one )?(?:in|with)\b"
)
# "champagne... no, make it gold" corrects the design being asked for; with a garment named
# in the command it is no change to an earlier image.
_SELF_CORRECTION_RE = _rx(
    r"\b(?:no|actually|sorry|i mean|or rather|wait)(?: ,)* make (?:it|them|that|those)\b"
)
# "...but in navy" changes an earlier image only when no garment is named in the command.
_BUT_CHANGE_RE = _rx(r"\bbut (?:in|with|make|shorter|longer|more|less|as)\b")
# "3 versions of a pleated skirt" asks for new designs, not changes to an earlier one.
_FRESH_VERSIONS_RE = _rx(
    r"\b(?:versions?|variations?|variants?|takes?|options|iterations) (?:of|on) (?:a|an|some)\b"
)
# A named earlier image: with anything else in the command it is the base of a variation
# ("try the last outlier in a maxi length").
_EXPLICIT_REF_RE = _rx(
    r"\b(?:the|my|that) (?:last|latest|previous|most recent) (?:one|outlier|image|design|look"
    r"|render|result|sketch)\b|\b(?:last|latest|previous) outlier\b"
)
_MORE_RE = _rx(
    rf"(?:^|\b{_NUM} |\b(?:some|a few|few|couple|bunch) |\bgive me |\bdo )more\b"
    r"|\bmore (?:please|of (?:this|that|these|those|it|them|the same))\b"
    r"|\b(?:this|that|it|these|those) , more\b"
    rf"|\b{_NUM} (?:more )?of (?:those|these)\b"
)
_REF_PRESENT_RE = _rx(r"\bxrefx\b")
_SHOW_RE = _rx(
    r"^(?:please |can you |could you |can i |could i |let me |let s |lets |let us |let "
    r"|i want to "
    r"|i would like to |i d like to |now )*"
    r"(?:show|display|find|pull up|bring up|search|list|browse|view|see|look at|open|fetch"
    r"|filter|get me all|give me all|go to|take me to)\b"
    r"|\b(?:show|display|pull up|bring up|let me see|can i see|look at|find|list|browse)\b"
    r"|\b(?:let s|lets|let us|let) (?:see|look|have a look)\b|\b(?:go|scroll|look|flick) through\b"
    r"|\bwhat (?:did|have|has) (?:i|we) (?:make|made|generate|generated|create|created|design"
    r"|designed|do|done|got)\b|\bwhere (?:are|is) my\b|\bwhat i (?:made|generated|created)\b"
    r"|\bwhich (?:images|designs|ones|looks|dresses)\b"
)
_GALLERY_CUE_RE = _rx(
    r"\b(?:my|mine|outliers?|favorites|favourites|faves|saved|gallery|portfolio|history"
    r"|generated|made|created|designed|all|everything|collection|liked|starred|previous|past"
    r"|existing|recent|latest|last|old)\b|_"
)
_GENERATE_RE = _rx(
    r"\b(?:make|create|generate|gen|design|draw|sketch|render|produce|whip|come up|dream up"
    r"|mock up|imagine|conjure|give me|i need|i want|we need|get me|can i get|can i have"
    r"|i would like|let us do|let s do|do me|try|build|churn out|crank out|put together"
    r"|brainstorm|ideate|visualize|visualise|show me some new|show me new|need|want)\b"
)
_OUTLIER_RE = _rx(r"\boutliers?\b|\bunusual ones\b|\bodd ones\b")
_FAVORITE_FILTER_RE = _rx(
    r"\b(?:favorites|favourites|faves|favs|liked|starred|hearted|loved|saved|favorited)\b"
)

# Image references: (pattern, ref, default count, is a bare pronoun). Group 1, when present,
# is the count. "id" stands for the next image id pulled out by the tokenizer.
_REF_RES: tuple[tuple[re.Pattern[str], str, int | None, bool], ...] = tuple(
    (re.compile(pattern), ref, count, pronoun)
    for pattern, ref, count, pronoun in (
        (r"\bxrefx\b", "id", 1, False),
        (rf"\b(?:my |the |those |these |your )?(?:last|latest|most recent|previous|newest|recent"
         rf"|final) {_NUM} outliers\b", "last_outlier", None, False),
        # "outlier" before a plural noun is an adjective ("the outlier gowns"), not a reference.
        (r"\b(?:my |the |that |this |your )?(?:last |latest |most recent |previous |newest "
         r"|recent |first )?outlier\b(?! (?!please\b|thanks\b|thx\b|cheers\b)[a-z]+s\b)",
         "last_outlier", 1, False),
        (rf"\b(?:my |the |those |these |your )?(?:last|latest|most recent|previous|newest|recent"
         rf"|final) {_NUM}(?: (?:images?|designs?|ones|pictures?|pics|renders?|looks?|results?"
         rf"|generations?|sketches|outputs|items))?\b", "last", None, False),
        (r"\b(?:the |my |that |your )?(?:last|latest|most recent|previous|newest|final|recent)"
         r" (?:one|image|design|picture|pic|render|look|result|generation|sketch|thing|output)\b",
         "last", 1, False),
        (r"\b(?:the |my |that |your )?(?:last|latest|previous|most recent|recent) (?:batch|set"
         r"|round|run|lot|bunch|group|results|ones|images|designs)\b", "last_batch", None, False),
        (r"\b(?:all )?(?:these|those|them)(?: ones| images| designs| looks| pieces| pics)?\b"
         r"|\ball of (?:them|those|these)\b", "last_batch", None, True),
        (r"\b(?:this|that)(?: one| image| design| picture| pic| render| look| sketch"
         r"| dress| top| piece)?\b|\bit\b", "last", 1, True),
        (r"\b(?:the|my) (?:last|latest|previous)\b", "last", 1, False),
        (r"\b(?:the )?same(?: [a-z]+)?(?= (?:but|in|with|only)\b)|\bsame again\b", "last", 1,
         False),
    )
)  # fmt: skip


# --------------------------------------------------------------------------- items


@dataclass(slots=True)
class _Item:
    kind: str  # attr | num | neg | conj | word | generic | mark
    pos: int
    word: str = ""
    readings: tuple[Reading, ...] = ()
    number: int = 0
    strong: bool = False
    neg: bool = False
    occasion_cue: bool = False
    context: bool = False  # said of what the speaker already has: fills gaps only

    @property
    def reading(self) -> Reading:
        if self.occasion_cue:
            for reading in self.readings:
                if any(a.family == "occasions" for a in reading):
                    return reading
        return self.readings[0]

    @property
    def is_garment(self) -> bool:
        return (
            self.kind == "attr"
            and not self.neg
            and any(a.family == "garment_type" for a in self.reading)
        )


_CHECK_VERB_NEXT = frozenset(
    {"out", "my", "the", "on", "if", "how", "what", "that", "this", "those", "these", "it",
     "whether", "in", "up", "me", "for"}
)  # fmt: skip


def _is_possessed_count(tokens: Sequence[str], i: int) -> bool:
    """Whether the number at i follows "I have", "we've already got", "I made"..."""
    j = i - 1
    if j < 0 or tokens[j] not in _POSSESSION_VERBS:
        return False
    while j > 0 and tokens[j - 1] in _POSSESSION_FILLER:
        j -= 1
    if j == 0 or tokens[j - 1] not in _POSSESSION_SUBJECTS:
        return False
    return j < 2 or tokens[j - 2] not in _MODALS


def _itemize(tokens: Sequence[str], taxonomy: Taxonomy) -> list[_Item]:
    items: list[_Item] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        if tok == _MARK or tok == _REF_WORD:
            items.append(_Item("mark", i, tok))
            i += 1
            continue
        match = taxonomy.match_at(tokens, i)
        number = _read_number(tokens, i)
        nxt = tokens[i + 1] if i + 1 < n else ","
        if (
            tok == "one"
            and items
            and items[-1].kind == "attr"
            and match is None
            and (nxt in _CONJUNCTIONS or nxt in {"for", "in", "too", "please"})
        ):
            items.append(_Item("anaphor", i, tok))  # "a white one"
            i += 1
            continue
        if number is not None and (match is None or number[1] > match.length):
            value, size, strong = number
            # A year ("spring 2026") is not a quantity, unless it follows a design verb
            # ("make 2000 dresses").
            if (
                strong
                and 1900 <= value <= 2100
                and size == 1
                and len(tok) == 4
                and (i == 0 or tokens[i - 1] not in _COUNT_VERBS)
            ):
                items.append(_Item("word", i, tok))
            elif i > 0 and tokens[i - 1] in {"size", "sizes", "us", "uk", "eu"}:
                items.append(_Item("word", i, tok))
            else:
                items.append(_Item("num", i, tok, number=value, strong=strong))
            i += size
            continue
        if match is not None and not _is_false_attribute(tokens, i, match.length):
            items.append(_Item("attr", i, " ".join(tokens[i : i + match.length]),
                               readings=match.readings))  # fmt: skip
            i += match.length
            continue
        if i + 1 < n and (tok, tokens[i + 1]) in _NEGATION_PAIRS:
            items.append(_Item("neg", i, tok))
            i += 2
            continue
        if i + 2 < n and tokens[i + 1] == "," and (tok, tokens[i + 2]) in _NEGATION_PAIRS:
            items.append(_Item("neg", i, tok))  # a recogniser's comma: "any color, but"
            i += 3
            continue
        if tok in _NEGATIONS:
            kind = "neg"
        elif tok in _CONJUNCTIONS:
            kind = "conj"
        elif tok in _GENERIC_HEADS:
            kind = "generic"
        else:
            kind = "word"
        items.append(_Item(kind, i, tok))
        i += 1
    return items


_CLAUSE_ENDS = frozenset({",", "and", "but", "so", "now", "then", "plus", "do"}) | _COUNT_VERBS


def _set_aside_possessed(tokens: Sequence[str], items: list[_Item]) -> None:
    """ "I have 5 black dresses, make 3 more (in red)": the count said later is the one to
    make; the garment carries over unless another is named, its other attributes only
    where the request says nothing of their kind."""
    for k, item in enumerate(items):
        if item.kind != "num" or not _is_possessed_count(tokens, item.pos):
            continue
        if not any(it.kind == "num" and it.strong for it in items[k + 1 :]):
            continue  # "I have 3 dresses": no other count to prefer
        end = next(
            (m for m in range(k + 1, len(items)) if items[m].word in _CLAUSE_ENDS), len(items)
        )
        named_later = any(it.is_garment for it in items[end:])
        item.kind = "word"
        for it in items[k + 1 : end]:
            if it.kind != "attr" or it.neg:
                continue
            if named_later:
                it.kind = "word"
            elif not it.is_garment:
                it.context = True


def _is_false_attribute(tokens: Sequence[str], i: int, length: int) -> bool:
    """Common words that only look like attributes in context ("check out", "to date")."""
    if length != 1:
        return False
    tok = tokens[i]
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    prev = tokens[i - 1] if i > 0 else ""
    if tok == "check":
        # "check blazers in brown" is a print; "check my costs" is a verb.
        leading_verb = i == 0 and get_taxonomy().canonicalize("garment_type", nxt) is None
        return leading_verb or nxt in _CHECK_VERB_NEXT or prev in {"can", "please", "you", "and"}
    if tok == "date":
        return prev in {"to", "up"}
    if tok == "work":
        return nxt in {"on", "with", "out"} or prev in {"it", "does", "this", "will"}
    if tok in {"long", "short"}:
        return prev == "how"
    if tok in {"ball", "split", "sport", "club"}:
        return nxt in {"them", "it", "up", "into"}
    return tok == "fall" and prev in {"the", "in"} and nxt in {"of", "apart"}


# "in white, no, navy", "champagne... actually make it gold": a speaker correcting the
# attribute they just said.
_CORRECTION_WORDS = frozenset({"actually", "sorry", "rather", "scratch"})
_CORRECTION_SKIP = frozenset(
    {",", "make", "it", "them", "that", "those", "a", "an", "in", "do", "change", "to", "mean"}
)


def _merge_split_compounds(items: list[_Item]) -> None:
    """ "slip, dress": a recogniser's comma inside a compound that carries its garment
    ("slip" is a slip dress) leaves one garment, not two."""
    for k, item in enumerate(items[:-1]):
        if not item.is_garment or len(item.reading) < 2:
            continue
        j = k + 1
        while j < len(items) - 1 and items[j].kind == "conj" and items[j].word == ",":
            j += 1
        nxt = items[j]
        garment = {a for a in item.reading if a.family == "garment_type"}
        if nxt.is_garment and len(nxt.reading) == 1 and set(nxt.reading) == garment:
            item.readings = (tuple(a for a in item.reading if a.family != "garment_type"),)


def _is_correction_marker(items: Sequence[_Item], k: int) -> bool:
    item = items[k]
    nxt = items[k + 1] if k + 1 < len(items) else None
    return (item.kind == "neg" and item.word == "no" and nxt is not None
            and nxt.word == ",") or (item.kind == "word" and (
                item.word in _CORRECTION_WORDS
                or (item.word == "mean" and k > 0 and items[k - 1].word == "i")))  # fmt: skip


# "actually, can you make the skirt green": the words before what is corrected.
_GARMENT_CORRECTION_SKIP = _CORRECTION_SKIP | {
    "let's", "lets", "let", "can", "you", "please", "the", "those", "these",
}  # fmt: skip


def _garment_value(item: _Item) -> str | None:
    return next((a.value for a in item.reading if a.family == "garment_type"), None)


def _bounds_garment(item: _Item) -> bool:
    return item.is_garment or (item.kind == "conj" and item.word in _SEGMENT_BREAKS)


def _garment_span(items: Sequence[_Item], target: int, limit: int) -> tuple[int, int]:
    """The items around the garment at `target` that describe it, up to `limit`."""
    start = target
    while start > 0 and not _bounds_garment(items[start - 1]):
        start -= 1
    stop = target + 1
    while stop < limit and not _bounds_garment(items[stop]):
        stop += 1
    return start, stop


def _correct_quantity(items: Sequence[_Item], target: int, start: int, number: _Item) -> bool:
    """Give the garment at `target` the corrected quantity; False when it had none."""
    said = [it for it in items[start:target] if it.kind == "num"]
    if not said:
        return False
    said[-1].number, said[-1].strong, said[-1].word = number.number, True, number.word
    number.kind = "word"
    return True


def _apply_garment_corrections(items: list[_Item]) -> None:
    """ "a red dress and a blue skirt, actually make the skirt green": a correction that
    names a garment already asked for ("the skirt", "a dress in green") changes that
    garment (its attribute of the same family is replaced) instead of adding one.
    A bare number corrects the last garment's quantity ("3 dresses, no, make it 4")."""
    k = 0
    while k < len(items):
        if not _is_correction_marker(items, k):
            k += 1
            continue
        j = k + 1
        while (
            j < len(items)
            and items[j].kind not in {"attr", "num"}
            and items[j].word in _GARMENT_CORRECTION_SKIP
        ):
            j += 1
        number = items[j] if j < len(items) and items[j].kind == "num" else None
        if number is not None:
            j += 1
        before = []  # "sorry, 4 black dresses"
        while j < len(items) and items[j].kind == "attr" and not items[j].is_garment:
            before.append(items[j])
            j += 1
        garment = _garment_value(items[j]) if j < len(items) and items[j].is_garment else None
        end = j + 1 if garment is not None else j
        while end < len(items) and not (
            items[end].is_garment
            or (items[end].kind == "conj" and items[end].word in _SEGMENT_BREAKS - {","})
        ):
            end += 1
        if garment is None:
            # "make it 4": a strong number with nothing after it.
            last = max((i for i in range(k) if items[i].is_garment), default=None)
            if number is not None and number.strong and not before and j >= len(items):
                if last is not None:
                    _correct_quantity(items, last, _garment_span(items, last, k)[0], number)
            k = max(end, k + 1)
            continue
        earlier = [
            i for i in range(k) if items[i].is_garment and _garment_value(items[i]) == garment
        ]
        # "the skirt" or "a skirt": a garment already asked for is changed, not added.
        if not earlier:
            k += 1
            continue
        target = earlier[-1]
        items_target = items[target]
        new = before + [it for it in items[j + 1 : end] if it.kind == "attr" and not it.neg]
        start, stop = _garment_span(items, target, k)
        if number is None:  # "make the dresses 4"
            number = next((it for it in items[j + 1 : end] if it.kind == "num"), None)
        strong = number is not None and number.strong
        if not new and not strong:
            k += 1
            continue
        families = {a.family for it in new for a in it.reading}
        for it in items[start:stop]:
            if it is not items[target] and it.kind == "attr" and not it.neg:
                if {a.family for a in it.reading} & families:
                    it.kind = "word"
        # "black dresses, sorry, 4 black dresses": a garment said without a count gets one.
        count = (
            number
            if strong and number is not None and not _correct_quantity(items, target, start, number)
            else None
        )
        items[j].kind = "word"
        gone = {id(it) for it in new} | ({id(count)} if count is not None else set())
        items[:] = [it for it in items if id(it) not in gone]
        target = next(i for i, it in enumerate(items) if it is items_target)
        items[target:target] = new
        if count is not None:
            first = target  # the count goes before the garment's own attributes
            while first > start and items[first - 1].kind == "attr":
                first -= 1
            items.insert(first, count)
        k = end


def _apply_corrections(items: list[_Item]) -> None:
    """Drop the attribute a correction replaces: the nearest one before it in the same
    family, within the last garment named (a garment replaces only a garment). Nothing
    else is touched: "no, no pockets" and "3 dresses, no sleeves" keep their meaning."""
    for k in range(len(items)):
        if not _is_correction_marker(items, k):
            continue
        j = k + 1
        while j < len(items) and (
            (items[j].kind in {"word", "conj", "generic"} and items[j].word in _CORRECTION_SKIP)
            or (items[j].kind == "num" and items[j].word in {"a", "an"})
            # "3 dresses, no, 2 skirts": the count goes with the garment that replaces
            or (items[j].kind == "num" and j + 1 < len(items) and items[j + 1].is_garment)
        ):
            j += 1
        if j >= len(items) or items[j].kind != "attr" or items[j].neg:
            continue
        families = {a.family for a in items[j].reading}
        garment = "garment_type" in families
        passed = False  # attributes come before and after their garment ("red dress in silk")
        for prev in reversed(items[:k]):
            if prev.kind != "attr" or prev.neg:
                continue
            if prev.is_garment and not garment:
                if passed:
                    break  # an earlier garment's attributes are not corrected
                passed = True
                continue
            if {a.family for a in prev.reading} & families:
                prev.kind = "word"
                break


def _apply_negations(items: list[_Item]) -> None:
    """Mark attributes under a negation ("no black or white", "not too short")."""
    n = len(items)
    k = 0
    while k < n:
        if items[k].kind != "neg":
            k += 1
            continue
        j = k + 1
        skipped = 0
        while j < n and items[j].kind in {"word", "generic"} and items[j].word in _NEG_SKIP:
            j += 1
            skipped += 1
            if skipped > 3:
                break
        if j >= n:
            break
        target = items[j]
        if target.kind == "word" and target.word in {"sleeves", "sleeve"}:
            target.kind = "attr"
            target.readings = ((Attribute("sleeve", "sleeveless"),),)
            k = j + 1
            continue
        if target.kind == "word" and target.word in {"straps", "strap"}:
            target.kind = "attr"
            target.readings = ((Attribute("sleeve", "strapless"),),)
            k = j + 1
            continue
        if (target.kind in {"word", "generic"}) and target.word in {
            "print", "prints", "pattern", "patterns", "patterned", "printed",
        }:  # fmt: skip
            target.kind = "attr"
            target.readings = ((Attribute("patterns", "solid"),),)
            k = j + 1
            continue
        if target.kind != "attr":
            k = j
            continue
        target.neg = True
        families = {a.family for a in target.reading}
        j += 1
        # Continue through lists: "no black, white or grey", "without lace and sequins".
        while j + 1 < n and items[j].kind == "conj" and items[j].word in {",", "or", "and"}:
            m = j + 1
            while m < n and items[m].kind == "word" and items[m].word in {"a", "an", "any"}:
                m += 1
            if m >= n or items[m].kind != "attr":
                break
            nxt_families = {a.family for a in items[m].reading}
            if "garment_type" in nxt_families and "garment_type" not in families:
                break
            # "," and "and" continue only within a family ("no black, white"); "or" and "nor"
            # continue across ("no lace or florals"). A phrase that is itself a negation
            # ("no prints") starts its own meaning.
            if items[j].word in {",", "and"} and not (nxt_families & families):
                break
            if items[m].word.split(" ", 1)[0] in _NEGATIONS:
                break
            items[m].neg = True
            families |= nxt_families
            j = m + 1
        k = j


_SLEEVE_NOUNS = frozenset({"sleeve", "sleeves", "sleeved", "arms"})


def _resolve_sleeve_words(items: list[_Item]) -> None:
    """ "long lace sleeves", "short puffy sleeves": a length word that describes the sleeves
    ("sleeves" within two words after it, across other attributes) reads as a sleeve."""
    for idx, item in enumerate(items):
        if item.kind != "attr" or len(item.readings) < 2:
            continue
        sleeve = next((r for r in item.readings if r[0].family == "sleeve"), None)
        if sleeve is None or item.readings[0] is sleeve:
            continue
        for nxt in items[idx + 1 : idx + 4]:
            if nxt.kind == "word" and nxt.word in _SLEEVE_NOUNS:
                item.readings = (sleeve, *(r for r in item.readings if r is not sleeve))
                break
            if nxt.kind != "attr" or nxt.is_garment:
                break


def _mark_occasion_cues(items: list[_Item]) -> None:
    for idx, item in enumerate(items):
        if item.kind != "attr" or len(item.readings) < 2:
            continue
        prev = [it.word for it in items[max(0, idx - 3) : idx] if it.kind != "attr"]
        nxt = items[idx + 1].word if idx + 1 < len(items) else ""
        if any(t in _OCCASION_CUES for t in prev) or nxt in {"occasions", "occasion", "events"}:
            item.occasion_cue = True


# --------------------------------------------------------------------------- specs


@dataclass(slots=True)
class _Segment:
    items: list[_Item]
    head: int | None  # index into items of the garment head


def _is_anaphor(item: _Item) -> bool:
    """ "ones" in "4 black dresses and 4 white ones": a head that repeats the garment."""
    return item.kind == "anaphor" or (item.kind == "generic" and item.word == "ones")


def _segments(items: list[_Item]) -> list[_Segment]:
    heads = [
        i
        for i, it in enumerate(items)
        if it.is_garment or (_is_anaphor(it) and any(x.is_garment for x in items[:i]))
    ]
    # Adjacent garment words form one compound noun; the last is the head
    # ("bikini top", "shirt jacket").
    merged: list[int] = []
    for h in heads:
        if merged and merged[-1] == h - 1:
            merged[-1] = h
        else:
            merged.append(h)
    if len(merged) <= 1:
        return [_Segment(items, merged[0] if merged else None)]
    starts = [0]
    for prev_head, head in pairwise(merged):
        start = None
        for idx in range(head - 1, prev_head, -1):
            if items[idx].kind == "conj" and items[idx].word in _SEGMENT_BREAKS:
                start = idx + 1
                break
        if start is None:
            nums = [idx for idx in range(prev_head + 1, head) if items[idx].kind == "num"]
            start = nums[0] if nums else head
        starts.append(start)
    segments = []
    for s_idx, (start, head) in enumerate(zip(starts, merged, strict=True)):
        end = starts[s_idx + 1] if s_idx + 1 < len(starts) else len(items)
        segments.append(_Segment(items[start:end], head - start))
    return segments


def _quantity(segment: _Segment) -> tuple[int | None, bool]:
    """(quantity, explicit) for a segment."""
    nums = [(i, it) for i, it in enumerate(segment.items) if it.kind == "num"]
    if not nums:
        return None, False
    head = segment.head if segment.head is not None else len(segment.items)
    before = [it for i, it in nums if i < head]
    strong = [it for it in before if it.strong]
    if strong:
        return strong[-1].number, True
    if before:
        return before[-1].number, False  # "a dress": one, but only implied
    after = [it for i, it in nums if i > head and it.strong]
    if after and segment.head is not None:
        return after[0].number, True
    return None, False


def _apply_reading(spec: GarmentSpec, reading: Reading, taxonomy: Taxonomy) -> None:
    for family, value in reading:
        spec.set_attribute(family, value, overwrite=False)
        if family == "palettes":
            for color in taxonomy.palette_colors(value):
                spec.set_attribute("colors", color)


def _exclude_reading(spec: GarmentSpec, reading: Reading, taxonomy: Taxonomy) -> None:
    for family, value in reading:
        spec.exclude.add(family, value)
        if family == "palettes":
            for color in taxonomy.palette_colors(value):
                spec.exclude.add("colors", color)


def _fill_missing(spec: GarmentSpec, reading: Reading, taxonomy: Taxonomy) -> None:
    """Apply a shared attribute only where the spec has nothing of that family."""
    for family, value in reading:
        if family in SCALAR_FIELDS and getattr(spec, family) is not None:
            continue
        if family in LIST_FIELDS and getattr(spec, family):
            continue
        _apply_reading(spec, (Attribute(family, value),), taxonomy)


# "a gown with a ball gown skirt", "a dress with a corset bodice": the second garment word
# names a part of the first, so its attributes describe the first garment.
_ONE_PIECE_GARMENTS = frozenset({"dress", "gown", "jumpsuit", "romper"})
_COMPONENT_GARMENTS = frozenset({"skirt", "corset", "top", "bodysuit"})


def _fold_into_previous(
    specs: list[GarmentSpec],
    segments: list[_Segment],
    post_attrs: list[list[_Item]],
    taxonomy: Taxonomy,
    folds: Callable[[GarmentSpec, _Segment, GarmentSpec, _Segment], bool],
) -> tuple[list[GarmentSpec], list[_Segment], list[list[_Item]]]:
    """Each spec that `folds(kept spec, its segment, spec, segment)` says belongs to the
    garment kept before it gives that garment its attributes instead of standing alone."""
    keep_specs, keep_segments, keep_post = [specs[0]], [segments[0]], [post_attrs[0]]
    for spec, seg, post in zip(specs[1:], segments[1:], post_attrs[1:], strict=True):
        if folds(keep_specs[-1], keep_segments[-1], spec, seg):
            for name, value in spec.attribute_items():
                if name != "garment_type":
                    _fill_missing(keep_specs[-1], (Attribute(name, value),), taxonomy)
            keep_post[-1] = keep_post[-1] + post
            continue
        keep_specs.append(spec)
        keep_segments.append(seg)
        keep_post.append(post)
    return keep_specs, keep_segments, keep_post


def _has_strong_number(seg: _Segment) -> bool:
    return any(it.kind == "num" and it.strong for it in seg.items)


def _is_component(
    prev_spec: GarmentSpec, prev_seg: _Segment, spec: GarmentSpec, seg: _Segment
) -> bool:
    """Whether the garment after "with" is a part of the one-piece garment before it."""
    joined_by_with = bool(prev_seg.items) and prev_seg.items[-1].word == "with"
    return (
        joined_by_with
        and not _has_strong_number(seg)
        and spec.garment_type in _COMPONENT_GARMENTS
        and prev_spec.garment_type in _ONE_PIECE_GARMENTS
    )


def _conflicts(first: GarmentSpec, second: GarmentSpec) -> bool:
    """Whether `second` sets an attribute `first` already has with another value."""
    for name, value in second.attribute_items():
        if name == "garment_type":
            continue
        current = getattr(first, name)
        if name in SCALAR_FIELDS:
            if current is not None and current != value:
                return True
        elif current and value not in current:
            return True
    return False


def _is_restatement(
    prev_spec: GarmentSpec, prev_seg: _Segment, spec: GarmentSpec, seg: _Segment
) -> bool:
    """Whether "a tailored one" in "a coat? a tailored one" is that coat again: a
    comma-joined "a ... one" that only adds to the garment before it restates that garment;
    "a black dress, a white one" (a clashing attribute) and "a dress and a white one" (a
    conjunction) stay two."""
    head = seg.items[seg.head] if seg.head is not None else None
    return (
        head is not None
        and head.kind == "anaphor"
        and bool(prev_seg.items)
        and prev_seg.items[-1].word == ","
        and not _has_strong_number(seg)
        and not _conflicts(prev_spec, spec)
    )


def _build_specs(items: list[_Item], taxonomy: Taxonomy) -> tuple[list[GarmentSpec], bool]:
    """One spec per garment; returns (specs, quantity_explicit)."""
    segments = _segments(items)
    specs: list[GarmentSpec] = []
    explicit_any = False
    post_attrs: list[list[_Item]] = []
    for seg in segments:
        spec = GarmentSpec()
        quantity, explicit = _quantity(seg)
        explicit_any = explicit_any or explicit
        spec.quantity = quantity
        if seg.head is not None and _is_anaphor(seg.items[seg.head]):
            if specs and specs[-1].garment_type:
                spec.garment_type = specs[-1].garment_type
        elif seg.head is not None:
            _apply_reading(spec, seg.items[seg.head].reading, taxonomy)
        context: list[_Item] = []
        for idx, item in enumerate(seg.items):
            if item.kind != "attr" or item.neg or idx == seg.head:
                continue
            if item.context:
                context.append(item)
                continue
            if any(a.family == "garment_type" for a in item.reading):
                # A garment word merged into the head ("bikini top"): keep its other parts.
                reading = tuple(a for a in item.reading if a.family != "garment_type")
                _apply_reading(spec, reading, taxonomy)
                continue
            _apply_reading(spec, item.reading, taxonomy)
        for item in context:
            _fill_missing(spec, item.reading, taxonomy)
        post = [
            it
            for idx, it in enumerate(seg.items)
            if seg.head is not None
            and idx > seg.head
            and it.kind == "attr"
            and not (it.neg or it.context)
        ]
        post_attrs.append(post)
        specs.append(spec)

    for folds in (_is_component, _is_restatement):
        if len(specs) > 1:
            specs, segments, post_attrs = _fold_into_previous(
                specs, segments, post_attrs, taxonomy, folds
            )
    if len(specs) > 1:
        # "5 dresses and skirts": a bare second garment shares the first one's quantity and
        # attributes.
        for idx in range(1, len(specs)):
            seg = segments[idx]
            own = [it for it in seg.items if it.kind in {"attr", "num"}]
            if len(own) == 1 and seg.head is not None:
                prev = specs[idx - 1]
                specs[idx].quantity = prev.quantity
                for name, value in prev.attribute_items():
                    if name != "garment_type":
                        _fill_missing(specs[idx], (Attribute(name, value),), taxonomy)
        # Attributes after the last garment are shared when the earlier garments had none
        # after them ("5 dresses and 3 skirts in black linen").
        last_post = post_attrs[-1]
        if last_post and not any(post_attrs[:-1]):
            for spec in specs[:-1]:
                for item in last_post:
                    _fill_missing(spec, item.reading, taxonomy)
        # Attributes before the first quantity are shared ("boho: 5 dresses and 3 skirts").
        first = segments[0]
        first_num = next((i for i, it in enumerate(first.items) if it.kind == "num"), None)
        if first_num is not None:
            for item in first.items[:first_num]:
                if item.kind == "attr" and not item.neg:
                    for spec in specs[1:]:
                        _fill_missing(spec, item.reading, taxonomy)

    # Exclusions apply to the whole request.
    for item in items:
        if item.kind == "attr" and item.neg:
            for spec in specs:
                _exclude_reading(spec, item.reading, taxonomy)
    return specs, explicit_any


# --------------------------------------------------------------------------- replies

_IRREGULAR_PLURALS = {
    "pants": "pants", "jeans": "jeans", "shorts": "shorts", "t-shirt": "t-shirts",
    "trench-coat": "trench coats", "dress": "dresses", "blouse": "blouses",
}  # fmt: skip


def _plural(word: str, count: int | None) -> str:
    if count == 1:
        return word.replace("-", " ") if word != "t-shirt" else word
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    word = word.replace("-", " ")
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


def _describe(spec: GarmentSpec, *, with_quantity: bool = True) -> str:
    words: list[str] = []
    quantity = spec.quantity
    if with_quantity and quantity is not None and quantity != 1:
        words.append(str(quantity))
    if spec.length:
        words.append(spec.length)
    words += spec.colors[:3] if not spec.palettes else [p.replace("-", " ") for p in spec.palettes]
    words += spec.patterns + spec.fabrics + spec.styles
    noun = spec.garment_type or "design"
    plural = _plural(noun, quantity if with_quantity else 2)
    if spec.silhouette and spec.silhouette.endswith(noun):
        # "ball-gown" already names the gown: "ball gowns", not "ball gown gowns".
        words.append(spec.silhouette[: -len(noun)] + plural)
    else:
        if spec.silhouette:
            words.append(spec.silhouette)
        words.append(plural)
    extras: list[str] = []
    if spec.neckline:
        extras.append(f"{spec.neckline} neckline")
    if spec.sleeve:
        extras.append(
            spec.sleeve if spec.sleeve in {"sleeveless", "strapless"} else f"{spec.sleeve} sleeves"
        )
    if spec.details:
        extras.append("with " + ", ".join(d.replace("-", " ") for d in spec.details))
    if spec.occasions:
        extras.append("for " + " and ".join(o.replace("-", " ") for o in spec.occasions))
    if spec.seasons:
        extras.append("for " + " and ".join(spec.seasons))
    excluded = [v for values in spec.exclude.non_empty().values() for v in values]
    if excluded:
        extras.append("no " + ", ".join(v.replace("-", " ") for v in excluded[:4]))
    text = " ".join(w.replace("-", " ") if w not in {"t-shirt"} else w for w in words)
    if with_quantity and quantity == 1:
        text = ("an " if text[:1] in "aeiou" else "a ") + text
    return text + (", " + ", ".join(extras) if extras else "")


def _describe_range(time_range: TimeRange | None, prefix: str = "") -> str:
    """ " this month", " from last week", " in the last 3 days" (prefix e.g. " from")."""
    if time_range is None:
        return ""
    label = time_range.label
    if label == "all_time":
        return " overall"
    words = label.replace("_", " ")
    if label.startswith("last_") and label not in {"last_week", "last_month", "last_year"}:
        return f" in the {words}"  # rolling window
    return f"{prefix} {words}"


_UNKNOWN_REPLY = (
    'Sorry, I didn\'t catch that. Try something like "make me 10 bohemian dresses", '
    '"5 more like the last one but in navy", "show my outliers from last week" or '
    '"how much did I spend this month?".'
)
_HELP_REPLY = (
    'You can ask me to design ("make me 10 bohemian dresses"), riff on a result ("5 more '
    'like the last one but in navy"), browse ("show my outliers from last week"), organise '
    '("add the last 3 to Summer Capsule"), schedule ("every night make me 20 minimalist '
    'tops") or check costs ("how much did I spend this month?").'
)


# --------------------------------------------------------------------------- parser


@dataclass(slots=True)
class _Context:
    text: str
    tokens: list[str]
    s: str
    corrections: int
    unknown_tokens: int
    extracted: _Extracted


class CommandParser:
    """Holds the compiled vocabulary; `parse_command` uses one shared instance."""

    def __init__(self, taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy or get_taxonomy()
        protected = (
            _FILLER | frozenset(_UNITS) | frozenset(_TENS) | frozenset(_SCALES) | _SIGN_WORDS
        ) | {"dozen"}
        self._fuzzy: FuzzyMatcher = self.taxonomy.fuzzy_matcher(_KEYWORDS, protected)

    # -- public ---------------------------------------------------------------------

    def parse(
        self,
        text: str,
        *,
        max_quantity: int = DEFAULT_MAX_QUANTITY,
        now: datetime | None = None,
    ) -> ParseResult:
        tokens, ids = _tokenize((text or "")[:MAX_COMMAND_CHARS])
        if not any(t != "," for t in tokens):
            return ParseResult(intent="unknown", confidence=0.0, reply=_UNKNOWN_REPLY)
        today = (now or datetime.now(UTC)).date()

        tokens = self._join_split_words(tokens)
        corrections = 0
        unknown = 0
        for idx, tok in enumerate(tokens):
            if tok == "," or tok == _REF_WORD or self._fuzzy.is_known(tok):
                continue
            fixed = self._fuzzy.correct(tok)
            if fixed is not None:
                tokens[idx] = fixed
                corrections += 1
            elif tok.isalpha():
                unknown += 1
        extracted = _Extracted(ids=ids)
        s = " ".join(tokens)
        s = _extract_time_range(s, today, extracted)
        nightly = bool(_NIGHTLY_RE.search(s))
        s = _extract_clock(s, nightly, extracted)
        ctx = _Context(text, tokens, s, corrections, unknown, extracted)
        return self._dispatch(ctx, max_quantity)

    def _join_split_words(self, tokens: list[str]) -> list[str]:
        """Rejoin compound words split in two ("jump suits" -> "jumpsuits")."""
        out: list[str] = []
        i = 0
        n = len(tokens)
        while i < n:
            if i + 1 < n and not (_JOIN_STOP & {tokens[i], tokens[i + 1]}):
                joined = self.taxonomy.joined_word(tokens[i], tokens[i + 1])
                if joined is not None:
                    out.append(joined)
                    i += 2
                    continue
            # A recogniser's pause inside the compound: "Jump, suit in black".
            if i + 2 < n and tokens[i + 1] == "," and tokens[i] not in _JOIN_STOP:
                joined = self.taxonomy.joined_word(tokens[i], tokens[i + 2])
                if joined is not None and self.taxonomy.match_at(tokens, i) is None:
                    out.append(joined)
                    i += 3
                    continue
            out.append(tokens[i])
            i += 1
        return out

    # -- intents --------------------------------------------------------------------

    def _dispatch(self, ctx: _Context, max_quantity: int) -> ParseResult:
        s = ctx.s
        items = self._items(s)
        has_garment = any(it.is_garment for it in items)
        has_attr = any(it.kind == "attr" for it in items)

        if _COST_RE.search(s) and (not has_garment or _COST_QUESTION_RE.search(s)):
            return self._cost(ctx)
        if _NIGHTLY_RE.search(s):
            return self._nightly(ctx, items, max_quantity)
        if _CANCEL_RE.search(s):
            return self._simple(ctx, "cancel", "Okay, cancelling the current generation.", 0.9)
        if _HELP_RE.search(s) and not has_attr:
            return self._simple(ctx, "help", _HELP_REPLY, 0.9)

        if _COLLECTION_MANAGE_RE.search(s):
            return ParseResult(intent="unknown", confidence=0.3, reply=_UNKNOWN_REPLY)
        collection = self._collection(ctx, items, has_garment)
        if collection is not None:
            return collection

        show_verb = bool(_SHOW_RE.search(s))
        varied = _SELF_CORRECTION_RE.sub(" ", s) if has_garment else s
        if (
            (_VARIATION_RE.search(varied) and not (has_garment and _FRESH_VERSIONS_RE.search(s)))
            or (_MORE_RE.search(s) and not has_garment)
            or (_BUT_CHANGE_RE.search(s) and not has_garment)
            or (_REF_PRESENT_RE.search(s) and (has_attr or _GENERATE_RE.search(s)))
            or (_EXPLICIT_REF_RE.search(s) and not show_verb)
            # "add puff sleeves (to it)": a change to the image on screen.
            or (re.search(r"\b(?:add|put)\b(?! together)", s) and has_attr and not has_garment)
        ):
            return self._variations(ctx, items, max_quantity)
        if _SHOW_RE.search(s) and not re.search(
            r"\b(?:show|give) me (?:some )?new\b|\blet(?: s| us)? see some\b", s
        ):
            explicit_qty = any(it.kind == "num" and it.strong and it.number > 1 for it in items)
            if _GALLERY_CUE_RE.search(s) or not explicit_qty or ctx.extracted.time_range:
                return self._show(ctx, items)
        # A lone attribute word ("brown fox", "weather in Paris") is not a design request;
        # a garment, a quantity, a design verb or several attributes are.
        attributes = sum(1 for it in items if it.kind == "attr")
        generic = any(it.kind == "generic" and it.word not in {"more", "new"} for it in items)
        quantity = any(it.kind == "num" and it.strong for it in items)
        if (
            has_garment
            or attributes >= 2
            or (
                (attributes or generic or quantity)
                and (_GENERATE_RE.search(s) or generic or quantity)
            )
        ):
            return self._generate(ctx, items, max_quantity)
        if _HELP_RE.search(s):
            return self._simple(ctx, "help", _HELP_REPLY, 0.8)
        if _OUTLIER_RE.search(s) or (
            _FAVORITE_FILTER_RE.search(s) and re.search(r"\b(?:my|any|all|the)\b", s)
        ):
            return self._show(ctx, items)  # "any outliers today?", "my favourites"
        return ParseResult(intent="unknown", confidence=0.1, reply=_UNKNOWN_REPLY)

    def _items(self, s: str) -> list[_Item]:
        tokens = s.split()
        items = _itemize(tokens, self.taxonomy)
        _merge_split_compounds(items)
        _set_aside_possessed(tokens, items)
        _apply_garment_corrections(items)
        _apply_corrections(items)
        _apply_negations(items)
        _resolve_sleeve_words(items)
        _mark_occasion_cues(items)
        return items

    def _simple(self, ctx: _Context, intent: Intent, reply: str, base: float) -> ParseResult:
        return ParseResult(intent=intent, confidence=self._confidence(ctx, base), reply=reply)

    def _confidence(self, ctx: _Context, base: float, attributes: int = 0,
                    explicit_quantity: bool = False) -> float:  # fmt: skip
        words = max(1, sum(1 for t in ctx.tokens if t.isalpha()))
        score = base + 0.04 * min(attributes, 3) + (0.04 if explicit_quantity else 0.0)
        score -= 0.04 * ctx.corrections
        score -= 0.25 * (ctx.unknown_tokens / words)
        return round(max(0.05, min(0.99, score)), 2)

    def _cost(self, ctx: _Context) -> ParseResult:
        time_range = ctx.extracted.time_range
        reply = "Here's what you've spent" + (_describe_range(time_range) or " so far") + "."
        return ParseResult(
            intent="cost_report",
            confidence=self._confidence(ctx, 0.9),
            target=Target(time_range=time_range),
            reply=reply,
        )

    def _check_quantity(self, counts: Sequence[int], max_quantity: int) -> ParseError | None:
        """Every garment's count must be positive, and together within the limit."""
        if any(count < 1 for count in counts):
            return ParseError(code="quantity_invalid", message="Ask for at least one image.")
        total = sum(counts)
        if total > max_quantity:
            return ParseError(
                code="quantity_too_large",
                message=f"{total} is more than the {max_quantity} images allowed per command.",
            )
        return None

    @staticmethod
    def _drop_refused_counts(specs: Sequence[GarmentSpec], error: ParseError | None) -> None:
        """A count below one is no spec quantity (GarmentSpec wants at least one, and a
        stored parse is read back through it): the error carries the refusal."""
        if error is not None and error.code == "quantity_invalid":
            for spec in specs:
                if spec.quantity is not None and spec.quantity < 1:
                    spec.quantity = None

    @staticmethod
    def _refusal(error: ParseError, max_quantity: int) -> str:
        if error.code == "quantity_too_large":
            return f"That's too many: {error.message} Try {max_quantity} or fewer."
        return f"I can only make a positive whole number of designs. {error.message}"

    def _generate(self, ctx: _Context, items: list[_Item], max_quantity: int) -> ParseResult:
        specs, explicit = _build_specs(items, self.taxonomy)
        for spec in specs:
            if spec.quantity is None:
                spec.quantity = 1
        error = self._check_quantity([spec.quantity or 0 for spec in specs], max_quantity)
        self._drop_refused_counts(specs, error)
        strong_cue = bool(_GENERATE_RE.search(ctx.s))
        has_garment = any(spec.garment_type for spec in specs)
        attributes = sum(1 for spec in specs for _ in spec.attribute_items())
        base = 0.8 if strong_cue and has_garment else 0.7 if strong_cue or has_garment else 0.5
        target = Target(collection_name=_generation_collection(ctx.text))
        if error:
            reply = self._refusal(error, max_quantity)
        else:
            reply = "On it: " + " and ".join(_describe(spec) for spec in specs) + "."
            if target.collection_name:
                reply = reply[:-1] + f", into \u201c{target.collection_name}\u201d."
        return ParseResult(
            intent="generate",
            confidence=self._confidence(ctx, base, attributes, explicit),
            spec=specs[0],
            specs=specs,
            target=target,
            reply=reply,
            error=error,
        )

    def _refs(self, ctx: _Context, *, pronouns: bool = True) -> tuple[str, list[_Item]]:
        """Pull the first image reference out of the text; returns the rest and its items.

        With ``pronouns=False`` bare "this"/"it"/"those" are not references (show commands).
        """
        s = ctx.s
        ids = list(ctx.extracted.ids)
        found: tuple[re.Match[str], str, int | None] | None = None
        for pattern, ref, count, is_pronoun in _REF_RES:
            if is_pronoun and not pronouns:
                continue
            match = pattern.search(s)
            if not match:
                continue
            if not is_pronoun:
                found = (match, ref, count)
                break
            # Bare pronouns: the one said first wins ("like that but make them ...").
            if found is None or match.start() < found[0].start():
                found = (match, ref, count)
        if found is not None:
            match, ref, count = found
            if ref == "id":
                ref = ids.pop(0) if ids else "last"
            elif match.groups() and match.group(1):
                count = _word_number(match.group(1))
            ctx.extracted.refs.append((ref, count))
            s = s[: match.start()] + f" {_MARK} " + s[match.end() :]
        return s, self._items(s)

    def _variations(self, ctx: _Context, items: list[_Item], max_quantity: int) -> ParseResult:
        _, items = self._refs(ctx)
        ref = ctx.extracted.refs[0][0] if ctx.extracted.refs else "last"
        specs, explicit = _build_specs(items, self.taxonomy)
        spec = specs[0]
        count = 1 if spec.quantity is None else spec.quantity  # "0 variations" is refused
        spec.quantity = count
        error = self._check_quantity([count], max_quantity)
        self._drop_refused_counts(specs, error)
        changes = ", ".join(
            [v.replace("-", " ") for _, v in spec.attribute_items()]
            + [f"no {v.replace('-', ' ')}" for vs in spec.exclude.non_empty().values() for v in vs]
        )
        source = {"last": "your last image", "last_outlier": "your last outlier",
                  "last_batch": "your last batch"}.get(ref, f"image {ref}")  # fmt: skip
        if error:
            reply = self._refusal(error, max_quantity)
        else:
            plural = "variation" if count == 1 else "variations"
            reply = f"On it: {count} {plural} of {source}"
            if changes:
                reply += f", with these changes: {changes}"
            reply += "."
        attributes = sum(1 for _ in spec.attribute_items())
        return ParseResult(
            intent="variations",
            confidence=self._confidence(ctx, 0.85, attributes, explicit),
            spec=spec,
            specs=[spec],
            target=Target(image_ref=ref, count=count),
            reply=reply,
            error=error,
        )

    def _show(self, ctx: _Context, items: list[_Item]) -> ParseResult:
        collection = _show_collection(ctx.text)
        if collection:
            ctx.s = ctx.s.replace(" ".join(_tokenize(collection)[0]), f" {_MARK} ")
        s, items = self._refs(ctx, pronouns=False)
        ref, count = ctx.extracted.refs[0] if ctx.extracted.refs else (None, None)
        specs, _ = _build_specs(items, self.taxonomy)
        spec = specs[0]
        filters: dict[str, Any] = {}
        if _OUTLIER_RE.search(s):
            filters["is_outlier"] = True
        if _FAVORITE_FILTER_RE.search(s):
            filters["is_favorite"] = True
        for name in SCALAR_FIELDS:
            if getattr(spec, name):
                filters[name] = getattr(spec, name)
        for name in LIST_FIELDS:
            if getattr(spec, name):
                filters[name] = list(getattr(spec, name))
        excluded = spec.exclude.non_empty()
        if excluded:
            filters["exclude"] = excluded
        if ref == "last_outlier":
            filters.pop("is_outlier", None)
        if ref is None:
            if spec.quantity is not None and any(it.kind == "num" and it.strong for it in items):
                count = spec.quantity
        time_range = ctx.extracted.time_range
        what = _describe(spec, with_quantity=False) if spec.has_attributes() else "designs"
        if filters.get("is_outlier"):
            what = "outliers" if what == "designs" else f"outlier {what}"
        if filters.get("is_favorite"):
            what = "favorite " + what
        if ref == "last_outlier":
            what = "your last outlier" if (count or 1) == 1 else f"your last {count} outliers"
        elif ref == "last":
            what = "your last image" if (count or 1) == 1 else f"your last {count} {what}"
        elif ref:
            what = f"image {ref}" if ref != "last_batch" else "your last batch"
        else:
            what = "your " + what
        if collection:
            what += f" in \u201c{collection}\u201d"
        attributes = len(filters)
        return ParseResult(
            intent="show",
            confidence=self._confidence(ctx, 0.8, attributes + bool(time_range)),
            target=Target(
                image_ref=ref,
                count=count,
                collection_name=collection,
                time_range=time_range,
                filters=filters,
            ),
            reply=f"Showing {what}{_describe_range(time_range, prefix=' from')}.",
        )

    def _collection(
        self, ctx: _Context, items: list[_Item], has_garment: bool
    ) -> ParseResult | None:
        s = ctx.s
        named = bool(_NAME_MARKER_RE.search(s)) or _has_quotes(ctx.text)
        create = bool(_COLLECTION_CREATE_RE.search(s))
        add_verb = _ADD_VERB_RE.search(s)
        if create:
            has_quantity = any(it.kind == "num" and it.strong for it in items)
            name = _collection_name(ctx.text, create=True)
            # A proper name after the noun ("a moodboard for Resort 27") also names it.
            named = named or (name is not None and name[:1].isupper() and not has_garment)
            if (has_garment or has_quantity) and not named and not add_verb:
                return None  # "design a resort collection of 8 dresses" is a generate
            return self._collection_result(ctx, "collection_create", name)
        if add_verb:
            name = _collection_name(ctx.text, create=False)
            if name is None and not re.search(rf"\b{_COLLECTION_NOUN}\b", s):
                if _FAVORITES_RE.search(s):
                    name = "favorites"
                else:
                    return None
            if name is not None and (_is_reference_phrase(name) or self._describes_design(name)):
                return None
            return self._collection_result(ctx, "collection_add", name)
        return None

    def _describes_design(self, name: str) -> bool:
        """A lower-case "name" made only of attributes ("a square neckline") is a design
        change ("swap to a square neckline"); "summer capsule" is a collection."""
        if name[:1].isupper():
            return False
        items = self._items(" ".join(_tokenize(name)[0]))
        content = [it for it in items if it.kind != "num" and it.word not in _DETERMINERS]
        return bool(content) and all(it.kind == "attr" for it in content)

    def _collection_result(self, ctx: _Context, intent: Intent, name: str | None) -> ParseResult:
        # Drop the name from the text so its words are not read as image references.
        s = ctx.s
        if name:
            s = s.replace(" ".join(_tokenize(name)[0]), f" {_MARK} ")
        ctx.s = s
        self._refs(ctx)
        ref, count = ctx.extracted.refs[0] if ctx.extracted.refs else (None, None)
        if intent == "collection_add" and ref is None:
            ref, count = "last", 1
        quoted = f"\u201c{name}\u201d" if name else "a new collection"
        if intent == "collection_create":
            reply = f"Creating {quoted}" if name else "Creating a new collection"
            if ref:
                reply += f" with {_describe_ref(ref, count)}"
            reply += "." if name else " \u2014 what should I call it?"
        else:
            dest = quoted if name else "a collection"
            reply = f"Adding {_describe_ref(ref, count)} to {dest}."
        return ParseResult(
            intent=intent,
            confidence=self._confidence(ctx, 0.9 if name else 0.65),
            target=Target(image_ref=ref, count=count, collection_name=name),
            reply=reply,
        )

    def _nightly(self, ctx: _Context, items: list[_Item], max_quantity: int) -> ParseResult:
        s = ctx.s
        masked = _SCHEDULE_PHRASE_RE.sub(f" {_MARK} ", s)
        if masked != s:
            items = self._items(masked)
        clock = ctx.extracted.clock
        if _NIGHTLY_STOP_RE.search(s) and not re.search(r"\bno more than\b", s):
            schedule = Schedule(action="stop")
            return ParseResult(
                intent="schedule_nightly",
                confidence=self._confidence(ctx, 0.9),
                target=Target(schedule=schedule),
                reply="Okay, the nightly batch is stopped.",
            )
        specs, explicit = _build_specs(items, self.taxonomy)
        spec = specs[0]
        has_content = spec.has_attributes() or spec.quantity is not None
        update = bool(_NIGHTLY_UPDATE_RE.search(s)) and not _NIGHTLY_CREATE_RE.search(s)
        if not has_content and clock:
            update = True
        action: Literal["create", "update"] = "update" if update else "create"
        if action == "create":
            for each in specs:
                if each.quantity is None:
                    each.quantity = 1
        # An update may leave the count alone; any count that is said is checked.
        counts = [each.quantity for each in specs if each.quantity is not None]
        error = self._check_quantity(counts, max_quantity) if counts else None
        self._drop_refused_counts(specs, error)
        schedule = Schedule(
            action=action,
            time=clock,
            quantity=spec.quantity,
            spec=spec if has_content or action == "create" else None,
        )
        when = f" at {clock}" if clock else ""
        if error:
            reply = self._refusal(error, max_quantity)
        elif action == "create":
            what = " and ".join(_describe(each) for each in specs)
            reply = f"Nightly batch set: {what} every night{when}."
        else:
            parts = []
            if has_content:
                parts.append(" and ".join(_describe(each) for each in specs))
            if clock:
                parts.append(f"runs at {clock}")
            reply = "Nightly batch updated" + (": " + ", ".join(parts) if parts else "") + "."
        attributes = sum(1 for _ in spec.attribute_items())
        return ParseResult(
            intent="schedule_nightly",
            confidence=self._confidence(ctx, 0.85, attributes, explicit),
            spec=spec if has_content or action == "create" else GarmentSpec(),
            specs=specs if has_content or action == "create" else [],
            target=Target(schedule=schedule),
            reply=reply,
            error=error,
        )


# --------------------------------------------------------------------------- names

_QUOTED_RE = re.compile(r"[\"“”]([^\"“”]{1,80})[\"“”]|(?:^|\s)['‘]([^'’]{1,80})['’](?=$|[\s.,!?])")
_CALLED_RE = re.compile(
    r"\b(?:called|named|titled|entitled|name it|call it)\s*:?\s+(.+?)\s*"
    r"(?=$|[.!?,;]|\s+(?:with|and|using|from|containing|that|which|please|for me|then)\b)",
    re.IGNORECASE,
)
_COLLECTION_WORDS = r"(?:collection|collections|board|moodboard|mood board|folder|lookbook|album)"
_DEST_RE = re.compile(
    r"^.*\b(?:to|into|onto|in|under|inside)\s+(?:my\s+|the\s+|our\s+|a\s+)?(?:new\s+)?"
    rf"(?:{_COLLECTION_WORDS}\s*:?\s+)?(.+?)(?:\s+{_COLLECTION_WORDS})?\s*"
    r"(?=$|[.!?,;]|\s+(?:please|thanks|thank you|for me|now|too|as well|pls)\b)",
    re.IGNORECASE,
)
_AFTER_NOUN_RE = re.compile(
    # "new board: Bridal Ideas"; a recogniser writes "New board. Bridal ideas."
    rf"\b{_COLLECTION_WORDS}\s*[:.,]?\s+(?:for\s+(?:the\s+|my\s+|our\s+)?)?"
    r"(?!(?:called|named|titled|of|for|with|and|please|to|from|that|which|using|containing|now)\b)"
    r"(.+?)\s*"
    r"(?=$|[.!?,;]|\s+(?:with|and|using|please|for me|containing|from)\b)",
    re.IGNORECASE,
)
_BEFORE_NOUN_RE = re.compile(
    r"\b(?:a|an|the|my|our|new)\s+(?:new\s+|fresh\s+)?(.+?)\s+" + _COLLECTION_WORDS + r"\b",
    re.IGNORECASE,
)
_GEN_COLLECTION_RE = re.compile(
    r"\b(?:to|into|for|in)\s+(?:my\s+|the\s+|our\s+)?(.+?)\s+" + _COLLECTION_WORDS + r"\b"
    r"|\b(?:to|into)\s+(?:my\s+|the\s+|our\s+)?" + _COLLECTION_WORDS + r"\s+(.+?)\s*(?=$|[.!?,;])",
    re.IGNORECASE,
)
_NAME_TRAILERS = re.compile(
    r"(?:\s+(?:please|pls|thanks|thank you|now|for me|too|as well|right now|asap))+\s*$"
    r"|[\s\"'“”‘’.!?,;:]+$",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    {"new", "fresh", "another", "a", "the", "it", "this", "that", "them", "these", "those",
     "one", "this one", "that one", "me", "my", "there", "here", "collection", "board"}
)  # fmt: skip
_REFERENCE_NAME_RE = re.compile(
    r"^(?:it|this|that|them|these|those|the (?:last|latest|previous)\b.*|(?:this|that) one"
    r"|the same|one|my last\b.*|the dress|the top|there|here)$",
    re.IGNORECASE,
)


def _has_quotes(text: str) -> bool:
    return bool(_QUOTED_RE.search(text))


def _clean_name(raw: str | None) -> str | None:
    if not raw:
        return None
    name = raw.strip()
    for _ in range(3):
        name = _NAME_TRAILERS.sub("", name).strip()
    name = name.strip("\"'“”‘’ ")
    name = re.sub(r"^(?:the|my|our|a|an)\s+", "", name, flags=re.IGNORECASE)
    if not name or name.lower() in _NOT_NAMES or len(name) > 80:
        return None
    return name


def _collection_name(text: str, *, create: bool) -> str | None:
    """The collection name as said, original casing ("Summer Capsule")."""
    quoted = _QUOTED_RE.search(text)
    if quoted:
        return _clean_name(quoted.group(1) or quoted.group(2))
    called = _CALLED_RE.search(text)
    if called:
        return _clean_name(called.group(1))
    patterns: tuple[re.Pattern[str], ...] = (
        (_AFTER_NOUN_RE, _BEFORE_NOUN_RE) if create else (_DEST_RE,)
    )
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            name = _clean_name(match.group(1))
            if name and not (create and _is_reference_phrase(name)):
                return name
    return None


def _generation_collection(text: str) -> str | None:
    """ "...for my Summer Capsule collection": where generated images should go."""
    quoted_called = _CALLED_RE.search(text)
    if quoted_called:
        return _clean_name(quoted_called.group(1))
    match = _GEN_COLLECTION_RE.search(text)
    if not match:
        return None
    name = _clean_name(match.group(1) or match.group(2))
    # Only a proper name counts; "for a resort collection" describes the designs instead.
    if name and name[0].isupper() and not _is_reference_phrase(name):
        return name
    return None


def _show_collection(text: str) -> str | None:
    match = _BEFORE_NOUN_RE.search(text) or _AFTER_NOUN_RE.search(text)
    if not match:
        return None
    name = _clean_name(match.group(1))
    if name and name[0].isupper():
        return name
    return None


def _is_reference_phrase(name: str) -> bool:
    return bool(_REFERENCE_NAME_RE.match(name.strip()))


def _describe_ref(ref: str | None, count: int | None) -> str:
    if ref in {None, "last"}:
        return "your last image" if (count or 1) == 1 else f"your last {count} images"
    if ref == "last_outlier":
        return "your last outlier" if (count or 1) == 1 else f"your last {count} outliers"
    if ref == "last_batch":
        return "your last batch"
    return f"image {ref}"


# --------------------------------------------------------------------------- entry point

_PARSER: CommandParser | None = None


def get_parser() -> CommandParser:
    global _PARSER  # lazy singleton: building the vocabulary index takes a few ms
    if _PARSER is None:
        _PARSER = CommandParser()
    return _PARSER


@functools.cache
def rule_words() -> frozenset[str]:
    """Every word the rules are written in: their word lists and the words in their
    patterns (a recogniser kept to the words of commands must be able to write them)."""
    words: set[str] = set()
    for value in list(globals().values()):
        if isinstance(value, re.Pattern):
            # Escapes such as \b and \s are not letters of a word.
            words.update(re.findall(r"[a-z]+", re.sub(r"\\[A-Za-z]", " ", value.pattern)))
        elif isinstance(value, frozenset | dict):
            for item in value:
                for part in item if isinstance(item, tuple) else (item,):
                    if isinstance(part, str):
                        words.update(re.findall(r"[a-z]+", part.lower()))
    return frozenset(w for w in words if len(w) > 1 or w in ("a", "i"))


def parse_command(
    text: str,
    *,
    max_quantity: int = DEFAULT_MAX_QUANTITY,
    now: datetime | None = None,
) -> ParseResult:
    """Parse one command. Pure: same text, limit and `now` give the same result.

    `max_quantity` is the per-command image limit (a setting); `now` anchors relative
    time ranges ("last week") and defaults to the current UTC time.
    """
    return get_parser().parse(text, max_quantity=max_quantity, now=now)
