"""Fashion taxonomy: canonical attribute values, synonyms, plurals and typo tolerance.

The data lives in ``taxonomy.yaml`` next to this module. Family names are the
`GarmentSpec` field names (``garment_type``, ``silhouette``, ``length``, ``neckline``,
``sleeve``, ``styles``, ``colors``, ``palettes``, ``patterns``, ``fabrics``, ``occasions``,
``seasons``, ``details``); canonical values are singular, lower case and hyphenated.

Typical use::

    tax = get_taxonomy()
    tax.values("colors")                 # ('black', 'white', ...)
    tax.resolve("off the shoulder")      # (Attribute('neckline', 'off-shoulder'),)
    tax.canonicalize("colors", "Gray")   # 'grey'
    tax.correct("bohemain")              # 'bohemian'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from designer_bff.garments.spec import ATTRIBUTE_FIELDS

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")

# Fuzzy matching limits: tokens shorter than this are never corrected (no "tip" -> "top").
MIN_FUZZY_LEN = 5
# Tokens at least this long may be two edits away ("bohemain" -> "bohemian").
TWO_EDIT_LEN = 8
# From this length a typo in the first letter is also tolerated.
ANY_FIRST_LETTER_LEN = 7

_NON_WORD = re.compile(r"[^a-z0-9/ ]+")
_SLASH_NOT_FRACTION = re.compile(r"(?<!\d)/|/(?!\d)")
_SPACES = re.compile(r"\s+")
_COMPARATIVE = re.compile(r"^(?:more|less|a bit|slightly)\b|er$")


class Attribute(NamedTuple):
    """One attribute value: ``family`` is a GarmentSpec field, ``value`` a canonical value."""

    family: str
    value: str


Reading = tuple[Attribute, ...]


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """A taxonomy phrase found in a token list.

    ``readings`` holds the possible meanings, default first; every attribute of one
    reading applies together ("sundress" -> dress + summer). Most phrases have one reading;
    phrases listed under ``ambiguous`` have one per family ("casual": style or occasion).
    """

    start: int
    length: int
    readings: tuple[Reading, ...]

    @property
    def attributes(self) -> Reading:
        return self.readings[0]


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_phrase(text: str) -> str:
    """Lower-case, accent-free, hyphens/underscores as spaces; keeps fractions like 3/4."""
    text = strip_accents(text.lower()).replace("&", " and ").replace("'", "").replace("’", "")
    text = text.replace("-", " ").replace("_", " ")
    text = _SLASH_NOT_FRACTION.sub(" ", text)
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def pluralize(word: str) -> str:
    """English plural of the last word of a phrase, good enough for fashion nouns."""
    head, _, last = word.rpartition(" ")
    if last.endswith(("s", "x", "z", "ch", "sh")):
        plural = last + "es"
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return f"{head} {plural}" if head else plural


class FuzzyMatcher:
    """Typo correction for single words with guards against false matches.

    Only unknown words of at least ``MIN_FUZZY_LEN`` letters are corrected, by at most one
    edit (two from ``TWO_EDIT_LEN`` letters; a transposition counts as one edit), and never
    a word listed in ``protected`` (everyday words such as "light" or "pleas"). Candidates
    are bucketed by first letter and length so a lookup scores only a few dozen words; ties
    go to the word listed first in ``words`` (pass canonical values first). Results are
    memoised.
    """

    def __init__(self, words: Iterable[str], protected: Iterable[str] = ()) -> None:
        ordered = list(dict.fromkeys(words))
        self._rank = {word: rank for rank, word in enumerate(ordered)}
        self._known = frozenset(ordered) | frozenset(protected)
        self._by_first_len: dict[tuple[str, int], list[str]] = {}
        self._by_len: dict[int, list[str]] = {}
        for word in ordered:
            if len(word) < MIN_FUZZY_LEN - 1 or not word.isalpha():
                continue
            self._by_first_len.setdefault((word[0], len(word)), []).append(word)
            self._by_len.setdefault(len(word), []).append(word)
        self._cache: dict[str, str | None] = {}

    def is_known(self, token: str) -> bool:
        return token in self._known

    def correct(self, token: str) -> str | None:
        """The vocabulary word `token` is a typo of, or None (also for known words)."""
        try:
            return self._cache[token]
        except KeyError:
            pass
        result = self._correct(token)
        if len(self._cache) < 50_000:  # bound memory on adversarial input
            self._cache[token] = result
        return result

    def _correct(self, token: str) -> str | None:
        size = len(token)
        if size < MIN_FUZZY_LEN or token in self._known or not token.isalpha():
            return None
        max_edits = 2 if size >= TWO_EDIT_LEN else 1
        choices: list[str] = []
        for length in range(size - max_edits, size + max_edits + 1):
            if size >= ANY_FIRST_LETTER_LEN:
                choices.extend(self._by_len.get(length, ()))
            else:
                choices.extend(self._by_first_len.get((token[0], length), ()))
        if not choices:
            return None
        found = process.extract(
            token, choices, scorer=OSA.distance, score_cutoff=max_edits, limit=None
        )
        found = [hit for hit in found if _plausible_typo(token, hit[0], hit[1])]
        if not found:
            return None
        best = min(found, key=lambda hit: (hit[1], self._rank[hit[0]]))
        return best[0]


def _plausible_typo(token: str, candidate: str, distance: float) -> bool:
    """Whether `token` looks like a slip of the keyboard for `candidate`.

    Short real words differ from fashion words by one substituted or added letter all the
    time ("paint"/"print", "coast"/"coat", "sleep"/"sweep"), while typos of short words are
    mostly a dropped letter ("dreses"), a doubled one ("navvy") or swapped neighbours
    ("skrit"). So below ``ANY_FIRST_LETTER_LEN`` only those are accepted; two edits need
    the first letter right.
    """
    if distance >= 2:
        return token[0] == candidate[0]
    if len(token) >= ANY_FIRST_LETTER_LEN:
        return True
    if len(candidate) == len(token) + 1:  # a letter left out
        return True
    if len(candidate) == len(token) - 1:  # a letter typed twice
        return any(
            token[i] == token[i - 1] and token[:i] + token[i + 1 :] == candidate
            for i in range(1, len(token))
        )
    diffs = [i for i in range(len(token)) if token[i] != candidate[i]]
    return (
        len(diffs) == 2
        and diffs[1] == diffs[0] + 1
        and token[diffs[0]] == candidate[diffs[1]]
        and token[diffs[1]] == candidate[diffs[0]]
    )


class Taxonomy:
    """The loaded taxonomy: canonical values per family and a phrase index."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        families: Mapping[str, Mapping[str, Sequence[str] | None]] = data["families"]
        unknown = set(families) - set(ATTRIBUTE_FIELDS)
        if unknown:
            raise ValueError(f"taxonomy families not in GarmentSpec: {sorted(unknown)}")
        self._values: dict[str, tuple[str, ...]] = {
            family: tuple(values) for family, values in families.items()
        }
        for family in ATTRIBUTE_FIELDS:
            self._values.setdefault(family, ())
        self._palette_colors: dict[str, tuple[str, ...]] = {
            name: tuple(colors) for name, colors in (data.get("palette_colors") or {}).items()
        }
        ambiguous: dict[str, list[str]] = {
            normalize_phrase(k): list(v) for k, v in (data.get("ambiguous") or {}).items()
        }
        plural_families = set(data.get("plural_families") or ())

        # Explicit entries always beat generated ones (plurals, joined spellings), so
        # "shorts" stays a garment instead of the plural of length "short".
        explicit: dict[str, list[Reading]] = {}
        generated: dict[str, Reading] = {}
        self.collisions: set[str] = set()

        def add_explicit(key: str, reading: Reading) -> None:
            readings = explicit.setdefault(key, [])
            if reading in readings:
                return
            if readings:
                self.collisions.add(key)
            readings.append(reading)

        def add_generated(key: str, reading: Reading) -> None:
            generated.setdefault(key, reading)

        for family, values in families.items():
            for value, synonyms in values.items():
                reading = (Attribute(family, value),)
                for phrase in (value, *(synonyms or ())):
                    key = normalize_phrase(str(phrase))
                    add_explicit(key, reading)
                    # Plurals of nouns only, not of phrases like "more fitted".
                    if family in plural_families and not _COMPARATIVE.match(key):
                        add_generated(pluralize(key), reading)
                    if " " in key:
                        add_generated(key.replace(" ", ""), reading)
        compound_plurals: dict[str, Reading] = {}
        # A compound is the full meaning of its phrase, so it replaces a plain synonym
        # ("jean jacket" -> jacket + denim rather than just jacket).
        for phrase, assignments in (data.get("compounds") or {}).items():
            compound: Reading = tuple(Attribute(f, v) for f, v in assignments.items())
            for family, value in compound:
                if value not in self._values.get(family, ()):
                    raise ValueError(f"compound {phrase!r}: {value!r} is not a {family}")
            key = normalize_phrase(str(phrase))
            explicit[key] = [compound]
            if any(family == "garment_type" for family, _ in compound):
                compound_plurals[pluralize(key)] = compound  # "maxiskirts", "sheath dresses"

        index: dict[str, tuple[Reading, ...]] = {k: (r,) for k, r in generated.items()}
        index.update({k: (r,) for k, r in compound_plurals.items()})
        for key, readings in explicit.items():
            order = ambiguous.get(key)
            if order:
                readings = sorted(
                    readings, key=lambda r: order.index(r[0].family) if r[0].family in order else 99
                )
            index[key] = tuple(readings)
        self._index = index
        self._max_phrase_tokens = max(len(key.split(" ")) for key in index)
        self.unexpected_collisions = self.collisions - set(ambiguous)

        # Canonical values first so fuzzy ties resolve to them, generated forms last.
        ordered_keys = [normalize_phrase(v) for vs in self._values.values() for v in vs]
        ordered_keys += list(explicit) + list(generated)
        words = [word for key in ordered_keys for word in key.split(" ")]
        self._ordered_words = tuple(dict.fromkeys(words))
        self.vocabulary: frozenset[str] = frozenset(words)
        self.common_words: frozenset[str] = frozenset(
            normalize_phrase(str(w)) for w in data.get("common_words") or ()
        )
        self._fuzzy = FuzzyMatcher(self._ordered_words, self.common_words)

    # -- canonical values -------------------------------------------------------------

    @property
    def families(self) -> tuple[str, ...]:
        return ATTRIBUTE_FIELDS

    def values(self, family: str) -> tuple[str, ...]:
        """Canonical values of a family, in taxonomy order."""
        return self._values[family]

    def is_canonical(self, family: str, value: str) -> bool:
        return value in self._values.get(family, ())

    def palette_colors(self, palette: str) -> tuple[str, ...]:
        """The canonical colors a palette stands for (empty for an unknown palette)."""
        return self._palette_colors.get(palette, ())

    # -- phrase lookup ----------------------------------------------------------------

    def resolve(self, phrase: str) -> Reading | None:
        """Default meaning of a whole phrase ("floor length" -> length floor), or None."""
        readings = self._index.get(normalize_phrase(phrase))
        return readings[0] if readings else None

    def readings(self, phrase: str) -> tuple[Reading, ...]:
        """All meanings of a whole phrase, default first (empty when unknown)."""
        return self._index.get(normalize_phrase(phrase), ())

    def match_at(self, tokens: Sequence[str], start: int) -> PhraseMatch | None:
        """Longest taxonomy phrase starting at ``tokens[start]`` (tokens already normalized)."""
        end = min(len(tokens), start + self._max_phrase_tokens)
        index = self._index
        for stop in range(end, start, -1):
            readings = index.get(" ".join(tokens[start:stop]))
            if readings:
                return PhraseMatch(start, stop - start, readings)
        return None

    def joined_word(self, first: str, second: str) -> str | None:
        """The one-word term two tokens spell when written together, or None.

        Speech-to-text and quick typing split compound words ("jump suits", "sweet heart",
        "over sized"); the pair is read as the joined term when that term is in the
        taxonomy and the spaced phrase is not a term of its own.
        """
        if not (first.isalpha() and second.isalpha()):
            return None
        joined = first + second
        if joined in self._index and f"{first} {second}" not in self._index:
            return joined
        return None

    def canonicalize(self, family: str, text: str) -> str | None:
        """Canonical value of `family` for free text ("Navy Blue" -> "navy"), typo-tolerant.

        Meant for mapping external descriptions (VLT output, filters) onto the taxonomy.
        """
        key = normalize_phrase(text)
        for attempt in (key, " ".join(self.correct(t) or t for t in key.split(" "))):
            for reading in self._index.get(attempt, ()):
                for attribute in reading:
                    if attribute.family == family:
                        return attribute.value
        return None

    # -- typo tolerance ---------------------------------------------------------------

    def correct(self, token: str) -> str | None:
        """The taxonomy word a mistyped token stands for ("dreses" -> "dresses"), or None."""
        return self._fuzzy.correct(token)

    def fuzzy_matcher(
        self, extra_words: Iterable[str] = (), protected: Iterable[str] = ()
    ) -> FuzzyMatcher:
        """A matcher over the taxonomy words plus `extra_words` (e.g. command keywords).

        `protected` adds words that must never be corrected (on top of ``common_words``).
        """
        return FuzzyMatcher(
            (*self._ordered_words, *extra_words), self.common_words | frozenset(protected)
        )


def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    with path.open(encoding="utf-8") as handle:
        return Taxonomy(yaml.safe_load(handle))


@lru_cache(maxsize=1)
def get_taxonomy() -> Taxonomy:
    """The project taxonomy, loaded once per process."""
    return load_taxonomy()
