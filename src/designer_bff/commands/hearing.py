"""Understanding speech: from a recogniser's readings to the command the designer said.

A small recogniser mishears our vocabulary ("make me free western bed and jackets").
This module proposes what each misheard stretch may have been, only where a command's
slot expects a value there (a quantity after "make me", a fabric or colour in a garment
phrase, one of the designer's collections after "add ... to"), never inside free text
such as a new collection's name. Each proposal becomes a whole candidate command; the
candidates are then weighed by how the audio supports them (when the recogniser can
score text against the audio) and by how well they parse. A slot whose reading won by
a small margin is reported as unsure, so the designer confirms it instead of the
service acting on a guess.

Pure: no I/O, no speech model; the acoustic scores arrive as plain numbers.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from designer_bff.commands.parser import (
    COUNTED_NOUNS,
    DIGIT_SCALE_WORDS,
    ParseResult,
    parse_command,
    rule_words,
)
from designer_bff.commands.phonetics import dictionary, phrase_key
from designer_bff.garments.spec import ATTRIBUTE_FIELDS
from designer_bff.garments.taxonomy import TAXONOMY_PATH, get_taxonomy, normalize_phrase, pluralize

QUANTITY = "quantity"
COLLECTION = "collection_name"
COMMAND = "command"

NUMBER_WORDS: tuple[str, ...] = (
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "a dozen",
)  # fmt: skip

# Words a recogniser writes for a spoken number. Sound alone cannot tell "for" from
# "four": these apply only where a count fits (`_count_position`).
NUMBER_HOMOPHONES: dict[str, str] = {
    "free": "three", "tree": "three", "through": "three", "for": "four", "fore": "four",
    "far": "four", "to": "two", "too": "two", "ate": "eight", "won": "one", "sick": "six",
    "sex": "six", "sticks": "six", "tin": "ten", "then": "ten", "fife": "five", "nein": "nine",
    "fine": "five", "heaven": "seven", "twelfth": "twelve", "fifth": "five", "sixth": "six",
    "fourth": "four", "fifteenth": "fifteen", "tenth": "ten", "eighth": "eight",
    "find": "five", "pre": "three",
}  # fmt: skip
# Everyday words a recogniser writes for a garment's attribute, where one is said: right
# before the garment ("3 tiered maybe skirts" for midi). Sound alone cannot tell them
# apart, so the audio chooses among these.
ATTRIBUTE_HOMOPHONES: dict[str, tuple[str, ...]] = {"maybe": ("midi", "navy")}
# "-teen" and "-ty" differ in one unstressed syllable: "80 dresses" is heard as "18".
TEEN_TY: dict[str, str] = {str(n): str((n - 10) * 10) for n in range(13, 20)}
TEEN_TY |= {v: k for k, v in TEEN_TY.items()}
# Homophones that are also a command's first word ("Find summer dresses").
_VERB_HOMOPHONES = frozenset({"find"})

# The words commands are made of besides fashion terms: the parser's cues for intents,
# references and times. Spoken, they are misheard like any other word.
COMMAND_WORDS: tuple[str, ...] = (
    "make", "generate", "create", "design", "sketch", "draw", "render", "give", "show",
    "find", "outliers", "outlier", "standouts", "favorites", "favourites", "nightly",
    "night", "tonight", "every", "collection", "called", "named", "add", "put", "move",
    "save", "cancel", "stop", "pause", "kill", "bill", "spend", "spent", "cost", "costs",
    "budget", "last", "batch", "riff", "riffs", "variations", "more", "like", "week",
    "month", "today", "yesterday", "morning", "evening", "schedule", "help", "couple",
    "few", "dozen", "another", "these", "those", "this", "them", "it", "ones", "image",
    "images", "folder", "board", "moodboard", "lookbook", "album", "collections", "set",
    "start", "new", "change", "run", "past", "total", "designs", "pairs", "undo", "scrap",
    "abort", "halt", "year", "weeks", "months", "days", "hours", "minutes", "years",
)  # fmt: skip

# Words that carry no slot value: never proposed as misheard on their own.
FUNCTION_WORDS = frozenset(
    """a an the and or but with without in into on of to for from by at as is are be
    me my us our you your i i'm i'd we it its this that these those them they some any
    please can could would will just like um uh so then also not no don't do does please
    let's lets want need have has get got okay ok hey hi up out about all more most very
    really maybe than what what's how much many over under one ones half several pair
    both each use using avoid keep skip include including love try version versions
    something thing things same different other of them there here thanks thank plus
    never mind again stuff pull display stuck far bump instead""".split()
)

# Where a count may follow: a generation verb, the start of the command, or how people
# lead into one ("so like 4 trousers", "I'd love to see 4 cardigans").
_COUNT_CUES = frozenset(
    """make me generate create design sketch draw render give do need want
    another riff us up see like thinking""".split()
)
_NUMBER_NAMERS = frozenset({"image", "images", "number", "no", "at", "by", "#"})
_NOT_AFTER_COUNT = frozenset("a an the my your this that these those of".split())
# A collection is named after these (an existing one), or created with these (free text).
_INTO = frozenset({"to", "into", "in", "onto"})
_COLLECTION_VERBS = frozenset({"add", "put", "move", "save", "file", "drop", "pop", "stick"})
_NAMING = frozenset({"called", "named", "titled"})
_COLLECTION_FILLER = frozenset({"my", "the", "collection", "board", "please", "folder"})

# A collection command's verb as recognisers write it at the start ("But the last 5 in
# Bridal Ideas" for "put"), or lose it ("This one to Summer Capsule" for "add this one").
_REFERENCES = frozenset("the this these those that it them all my".split())
_LEAD_VERB_HOMOPHONES = {"but": "put", "puts": "put", "at": "add", "and": "add"}
_LOST_VERB = "add"
# "v neck" heard as "mean neck", "me neck", "b neck": a letter's name before "neck" is
# one short syllable the recogniser turns into whatever word rhymes.
_NECK = frozenset({"neck", "necks", "neckline", "necklines"})
_BATCH = "batch"
_BATCH_BEFORE = frozenset({"nightly", "last", "latest", "previous", "whole"})

_COMMAND_SET = frozenset(COMMAND_WORDS)
_WORD = re.compile(r"[A-Za-z0-9'&-]+")
_STRIP = '.,!?;:"“”()'

# Weights of the choice, in nats of the recogniser's log-probability.
PARSE_FAILS = 4.0  # a reading the parser cannot understand at all
PARSE_ERROR = 1.5  # understood, but with an error (a missing garment, ...)
UNKNOWN_WORD = 6.0  # each word no slot or cue explains
EDIT_COST = 0.35  # each proposed change, scaled by how different it sounds
UNSURE_MARGIN = 1.5  # a rival reading within this much makes its slots unsure
# ... and within this much when it is another command altogether ("Find summer dresses"
# or "5 summer dresses"): acting on the wrong one costs a batch or loses the request.
INTENT_MARGIN = 3.0
# ... and this much for a rival that says all the best reading says and more
MORE_SAID_MARGIN = 6.0
KNOWN_COLLECTION = 3.0
# Unexplained words in a reading that make it a guess to be confirmed (measured on the
# spoken bench: 2 or more mark 19 wrong choices to 9 right ones).
UNCLEAR_WORDS = 2
_ARTICLES = frozenset({"a", "an", "the"})
_LETTERS = re.compile(r"(?<=\d)[a-z]+|[a-z]+(?=\d)")
_NUMBER_LETTERS = frozenset("st nd rd th s am pm a p x k ss aw fw h hr hrs".split())
WEAK_COMMAND = 0.7  # a parse less confident than this is confirmed before it is acted on
SOUND_SUPPORT = 1.0  # a correction the audio favours by less than this is a guess
MAX_CANDIDATES = 24
FURTHER_OPTIONS = 6  # the readings an unsure slot's buttons may come from
# Per word: Whisper's probabilities favour stopping early ("8 summer dresses." for
# "8 summer dresses, no florals"); a word bonus offsets it.
WORD_BONUS = 2.0
# The recogniser's own first reading was chosen with all of the audio and the whole
# prompt; the scorer sees a cut window and a short prompt. Measured on the spoken bench
# (240 commands, each half alike): 1.5 takes 49.2% to 52.5% understood.
FIRST_READING = 1.5
# Whisper's n-best holds the first reading cut short ("... 4 of them." for "... 4 of
# them. Ivory Organza."), and the scorer cannot weigh stopping (CTranslate2's alignment
# gives the end of text no probability), so dropped words cost what an unexplained one
# does. Measured on the spoken bench: 3 and 8 both mend the cases seen, 8 asks more.
TRUNCATED = 6.0


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # as it goes into the command: "three", "denim", "Winter Noir"
    slot: str  # "quantity", a GarmentSpec family, "collection_name" or "command"
    key: str


class Lexicon:
    """Terms a slot can hold, indexed by how they sound."""

    def __init__(self, terms: Iterable[Term]) -> None:
        unique: dict[tuple[str, str], Term] = {}
        for term in terms:
            if term.key:
                unique.setdefault((term.text.lower(), term.slot), term)
        self.terms: tuple[Term, ...] = tuple(unique.values())
        self._keys = [t.key for t in self.terms]
        self.words: frozenset[str] = frozenset(
            w for t in self.terms for w in t.text.lower().split()
        )
        # Whole terms in lower case ("winter noir"): a collection's name as spoken.
        self.texts: frozenset[str] = frozenset(t.text.lower() for t in self.terms)

    def near(
        self, key: str, slots: frozenset[str] | None, limit: int = 3
    ) -> list[tuple[Term, float]]:
        """Terms sounding like `key` (similarity 0..1), best first, from `slots` only."""
        if not key:
            return []
        cutoff = 0.5 if len(key) >= 4 else 0.66
        found = process.extract(
            key,
            self._keys,
            scorer=Levenshtein.normalized_similarity,
            score_cutoff=cutoff,
            limit=limit * 8,
        )
        out: list[tuple[Term, float]] = []
        for _, score, index in found:
            term = self.terms[index]
            if slots is not None and term.slot not in slots:
                continue
            # A much shorter or longer sound is a different phrase, not a mishearing.
            if abs(len(term.key) - len(key)) > max(1, len(key) // 2):
                continue
            out.append((term, float(score)))
            if len(out) >= limit:
                break
        return out


@functools.cache
def base_lexicon() -> Lexicon:
    """Every phrase of the taxonomy as written there (values, synonyms, compounds) and
    the plurals of its nouns, with number and command words."""
    with TAXONOMY_PATH.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    plural = set(data.get("plural_families") or ())
    terms: list[Term] = []

    def add(phrase: str, family: str) -> None:
        text = normalize_phrase(phrase).replace("-", " ")
        terms.append(Term(text, family, phrase_key(text)))
        # Not comparatives ("looser") or participles ("ruffled"): nouns only.
        if family in plural and not re.search(r"(?:s|er|ed)$", text):
            terms.append(Term(pluralize(text), family, phrase_key(pluralize(text))))

    for family, values in data["families"].items():
        for value, synonyms in values.items():
            for phrase in (value, *(synonyms or ())):
                add(str(phrase), family)
    for phrase, assignments in (data.get("compounds") or {}).items():
        add(str(phrase), next(iter(assignments)))
    terms += [Term(w, QUANTITY, phrase_key(w)) for w in NUMBER_WORDS]
    terms += [Term(w, COMMAND, phrase_key(w)) for w in COMMAND_WORDS]
    return Lexicon(terms)


# Spoken forms the recogniser writes with an apostrophe; the parser expands them.
CONTRACTIONS: frozenset[str] = frozenset(
    """what's i'm i'd i've i'll let's don't doesn't didn't can't won't isn't aren't it's
    that's there's you're we're they're""".split()
)


@functools.cache
def command_vocabulary() -> frozenset[str]:
    """Every word a command is made of, in lower case: the taxonomy's terms, numbers, the
    parser's cues and function words. A recogniser that can keep to them hears "camel
    wool" where it would hear "camel world" (the designer's own names are added per
    request, from the recognition hints)."""
    words = {w for phrase in get_taxonomy().vocabulary for w in phrase.lower().split()}
    words |= base_lexicon().words | FUNCTION_WORDS | rule_words() | CONTRACTIONS
    words |= {w for phrase in (*NUMBER_WORDS, *COMMAND_WORDS) for w in phrase.split()}
    return frozenset(words)


_FREE_TEXT_CUE = re.compile(r"\b(?:called|named|titled|name it|call it)\b", re.IGNORECASE)


def settled_reading(text: str) -> bool:
    """Whether a reading decoded within the command vocabulary is a whole command with no
    free text in it: understood with confidence, every word explained, no new name
    ("called ...", a new collection). Measured on the spoken bench: RTF decoding 0.233 ->
    0.218, the same commands understood."""
    parsed = parse_command(text)
    return (
        parsed.intent not in {"unknown", "collection_create"}
        and parsed.confidence >= WEAK_COMMAND
        and not _FREE_TEXT_CUE.search(text)
        and not _unexplained(text, base_lexicon(), None)
    )


def collection_lexicon(names: Iterable[str]) -> Lexicon:
    return Lexicon(Term(n.strip(), COLLECTION, phrase_key(n)) for n in names if n.strip())


def recase_collections(text: str, collections: Lexicon) -> str:
    """The designer's collection names as they wrote them: a recogniser's capitals are
    arbitrary ("show the summer capsule collection"), and the parser reads an unquoted
    name by its capitals."""
    for term in sorted(collections.terms, key=lambda t: -len(t.text)):
        pattern = r"(?<![\w'])" + r"\s+".join(map(re.escape, term.text.split())) + r"(?![\w'])"
        text = re.sub(pattern, term.text.replace("\\", "\\\\"), text, flags=re.IGNORECASE)
    return text


@dataclass(frozen=True, slots=True)
class Edit:
    start: int  # word index in the reading, inclusive
    end: int  # exclusive
    heard: str
    term: Term
    similarity: float


@dataclass
class Candidate:
    text: str
    source: int  # which recogniser reading it came from (0 = the best)
    edits: tuple[Edit, ...] = ()
    acoustic: float | None = None
    parse: ParseResult | None = None
    score: float = 0.0
    unexplained: tuple[str, ...] = ()  # words no slot or cue explains, set by `rate`
    truncated: bool = False  # the first reading with its last words left off


@dataclass(frozen=True, slots=True)
class UnsureSlot:
    slot: str
    heard: str
    understood: str
    options: tuple[tuple[str, str], ...]  # (label, whole command text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "heard": self.heard,
            "understood": self.understood,
            "options": [{"label": label, "text": text} for label, text in self.options],
        }


@dataclass
class Hearing:
    """What was heard and what is understood from it."""

    transcript: str  # the recogniser's best reading, as it was
    understood_text: str  # the command chosen
    alternatives: list[str] = field(default_factory=list)
    unsure: list[UnsureSlot] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    # The understood command adds to a collection the designer does not have (makes it).
    new_collection: bool = False

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.unsure)


def _words(text: str) -> list[str]:
    return [w.strip(_STRIP) for w in text.split() if w.strip(_STRIP)]


def _is_known(word: str, lexicon: Lexicon, extra: Lexicon | None) -> bool:
    w = word.lower()
    if w in FUNCTION_WORDS or w in CONTRACTIONS or w in lexicon.words:
        return True
    if w.endswith("'s") and len(w) > 2:  # "last week's outliers"
        return _is_known(w[:-2], lexicon, extra)
    if any(c.isdigit() for c in w):  # counts, image numbers, times
        # ... but not what a count is glued to: "Make 3-cane brace shirts".
        glued = [p for p in w.split("-") if p and not any(c.isdigit() for c in p)]
        # ... nor letters run into it ("12g in some dresses" for "12 gingham"), beyond
        # what is written so: "15th", "70s", "3am", "4x", "ss26".
        run_in = [p for p in _LETTERS.findall(w) if p not in _NUMBER_LETTERS]
        return all(_is_known(part, lexicon, extra) for part in [*glued, *run_in])
    if extra is not None and w in extra.words:
        return True
    taxonomy = get_taxonomy()
    return taxonomy.resolve(w) is not None


def _count_position(words: Sequence[str], i: int) -> bool:
    """Whether a count fits at word i: after a generation cue or at the start, and
    before something it can count (not "for a wedding")."""
    before = words[i - 1].lower() if i > 0 else ""
    after = words[i + 1].lower() if i + 1 < len(words) else ""
    if after in _NOT_AFTER_COUNT:
        return False
    if (i == 0 and after) or after in COUNTED_NOUNS:
        return True
    if before in _COUNT_CUES:
        return bool(after)
    # "sleeveless vests in tan suede, 3": a trailing count after a pause.
    return i == len(words) - 1 and i > 0


def _names_a_number(words: Sequence[str], i: int) -> bool:
    """An image's number or a time, not a count: "riff on image 14", "at 13"."""
    return i > 0 and words[i - 1].lower() in _NUMBER_NAMERS


def _homophone_count(words: Sequence[str], i: int) -> str | None:
    """The number word i sounds like, where a count fits ("make find skirts")."""
    w = words[i].lower()
    if w == "it":
        # "Summer dresses in terracotta. Make it." ends on a count; "make it red" does not.
        last = i == len(words) - 1 and i > 0 and words[i - 1].lower() == "make"
        return "eight" if last else None
    if w not in NUMBER_HOMOPHONES or (i == 0 and w in _VERB_HOMOPHONES):
        return None
    return NUMBER_HOMOPHONES[w] if _count_position(words, i) else None


def _attribute_homophone(words: Sequence[str], i: int) -> bool:
    """A word of ATTRIBUTE_HOMOPHONES where an attribute goes: before a garment."""
    return (
        words[i].lower() in ATTRIBUTE_HOMOPHONES
        and i + 1 < len(words)
        and _in_family(words[i + 1], "garment_type")
    )


def _joined_count(words: Sequence[str], i: int) -> str | None:
    """A count heard run into the next word where a count fits: "Pre-tiered maybe
    skirts", "Pre-wedding guest dresses" for "3 tiered ...", "3 wedding ..."."""
    head, dash, tail = words[i].partition("-")
    if not dash or not tail or head.lower() not in NUMBER_HOMOPHONES:
        return None
    if not _count_position([*words[:i], head, tail, *words[i + 1 :]], i):
        return None
    return f"{NUMBER_HOMOPHONES[head.lower()]} {tail}"


def _collection_span(words: Sequence[str]) -> tuple[int, int] | None:
    """The words naming an existing collection ("add the last 3 to Winter Noir")."""
    lowered = [w.lower() for w in words]
    if not any(w in _COLLECTION_VERBS for w in lowered):
        return None
    for i in range(len(words) - 1, -1, -1):
        if lowered[i] in _INTO:
            start = i + 1
            while start < len(words) and lowered[start] in _COLLECTION_FILLER:
                start += 1
            end = len(words)
            while end > start and lowered[end - 1] in _COLLECTION_FILLER:
                end -= 1
            return (start, end) if end > start else None
    return None


def _free_text_start(words: Sequence[str]) -> int:
    """Index where free text begins (a new collection's name), or len(words)."""
    for i, w in enumerate(words):
        if w.lower() in _NAMING:
            return i + 1
    return len(words)


def _lead_verb(words: Sequence[str]) -> Edit | None:
    """A collection verb the recogniser misheard or lost at the start of the command."""
    lowered = [w.lower() for w in words]
    if len(words) < 3 or any(w in _COLLECTION_VERBS for w in lowered):
        return None
    if not any(w in _INTO for w in lowered[2:]):
        return None
    first = lowered[0]
    if first in _LEAD_VERB_HOMOPHONES and lowered[1] in _REFERENCES:
        return Edit(0, 1, words[0], Term(_LEAD_VERB_HOMOPHONES[first], COMMAND, ""), 0.8)
    if first in _REFERENCES - {"it", "them", "my"}:
        return Edit(0, 1, words[0], Term(f"{_LOST_VERB} {first}", COMMAND, ""), 0.7)
    return None


def _letter_necks(words: Sequence[str], end: int) -> list[Edit]:
    """ "with a mean neck" -> "with a v neck": one short unknown word before "neck"."""
    edits: list[Edit] = []
    taxonomy = get_taxonomy()
    for i in range(min(len(words), end)):
        letter, dash, neck = words[i].lower().partition("-")
        if dash and neck in _NECK and len(letter) <= 4 and letter != "v":
            # Written as one word: "with a b-neck".
            edits.append(Edit(i, i + 1, words[i], Term(f"v-{neck}", "neckline", ""), 0.7))
            continue
        if i == 0 or words[i].lower() not in _NECK:
            continue
        before = words[i - 1].lower()
        if len(before) > 4 or any(c.isdigit() for c in before):
            continue
        if before != "v" and taxonomy.resolve(f"{before} neck") is None:
            edits.append(Edit(i - 1, i, words[i - 1], Term("v", "neckline", ""), 0.7))
    return edits


def _batch_edits(words: Sequence[str], end: int) -> list[Edit]:
    """ "the nightly mesh", "the last match": a word after "nightly" or "last" that
    sounds like "batch" (a fabric there would have no garment to belong to)."""
    edits: list[Edit] = []
    batch = phrase_key(_BATCH)
    taxonomy = get_taxonomy()
    for i in range(1, min(len(words), end)):
        w = words[i].lower()
        if words[i - 1].lower() not in _BATCH_BEFORE or w == _BATCH:
            continue
        if i + 1 < end and taxonomy.resolve(words[i + 1]) is not None:
            continue  # "the last silk dress"
        similarity = Levenshtein.normalized_similarity(phrase_key(w), batch)
        if similarity >= 0.5:
            edits.append(Edit(i, i + 1, words[i], Term(_BATCH, COMMAND, batch), similarity))
    return edits


def propose(reading: str, lexicon: Lexicon, collections: Lexicon | None = None) -> list[Edit]:
    """Changes to one reading that a slot would expect, best sounding first."""
    words = _words(reading)
    edits: list[Edit] = []
    lead = _lead_verb(words)
    if lead is not None:
        edits.append(lead)
    free_from = _free_text_start(words)
    coll = _collection_span(words)
    if coll is not None and collections is not None and collections.terms:
        start, end = coll
        heard = " ".join(words[start:end])
        if heard.lower() not in collections.texts:
            for term, sim in collections.near(phrase_key(heard), None, limit=2):
                edits.append(Edit(start, end, heard, term, sim))
            # Spelled close but not said close ("winter ended" -> "Winter Edit").
            for text, sim, _ in process.extract(
                heard.lower(), [t.text.lower() for t in collections.terms], limit=2
            ):
                if sim >= 70:
                    term = next(t for t in collections.terms if t.text.lower() == text)
                    edits.append(Edit(start, end, heard, term, sim / 100))
    slot_words_end = coll[0] if coll is not None else free_from
    edits += _letter_necks(words, slot_words_end)
    edits += _batch_edits(words, slot_words_end)
    for i in range(min(len(words), slot_words_end)):
        w = words[i].lower()
        number = _homophone_count(words, i)
        if number is not None:
            edits.append(Edit(i, i + 1, words[i], Term(number, QUANTITY, ""), 1.0))
        if _attribute_homophone(words, i):
            for value in ATTRIBUTE_HOMOPHONES[w]:
                slot = next(iter(get_taxonomy().resolve(value) or ())).family
                edits.append(Edit(i, i + 1, words[i], Term(value, slot, ""), 0.7))
        joined = _joined_count(words, i)
        if joined is not None:
            edits.append(Edit(i, i + 1, words[i], Term(joined, QUANTITY, ""), 0.9))
        if w in TEEN_TY and _count_position(words, i) and not _names_a_number(words, i):
            edits.append(Edit(i, i + 1, words[i], Term(TEEN_TY[w], QUANTITY, ""), 0.9))
        if not any(c.isdigit() for c in w) and _count_position(words, i):
            for term, sim in lexicon.near(phrase_key(w), frozenset({QUANTITY}), limit=1):
                if term.text not in (w, number):
                    edits.append(Edit(i, i + 1, words[i], term, sim))
        for length in (1, 2, 3):
            j = i + length
            if j > slot_words_end:
                break
            span = [x.lower() for x in words[i:j]]
            if all(_is_known(x, lexicon, collections) for x in span):
                continue
            # A stretch starts and ends on a misheard word: "make me free" is not one
            # fashion term ("free" may be a count), "tree tool" is two.
            edges = {span[0], span[-1]} if length > 1 else set()
            if span[0] in FUNCTION_WORDS or edges & (FUNCTION_WORDS | _COMMAND_SET):
                continue
            heard = " ".join(words[i:j])
            slots = frozenset(ATTRIBUTE_FIELDS) | {COMMAND}
            key = phrase_key(heard)
            for term, sim in lexicon.near(key, slots, limit=4):
                # Words heard are not dropped: "Forkland Trench coats" is not "trench
                # coats" (the count was in "Forkland").
                if length > 1 and 4 * len(term.key) < 3 * len(key):
                    continue
                edits.append(Edit(i, j, heard, term, sim))
    # Best sounding first; of equals, the shorter stretch ("tree" -> "three" and "tool"
    # -> "tulle" rather than "tree tool" -> "fairytale").
    edits.sort(key=lambda e: -(e.similarity - 0.1 * (e.end - e.start - 1)))
    return edits


def _tokens(text: str) -> list[tuple[str, str, str]]:
    """(leading punctuation, word, trailing punctuation) per word, as `_words` counts."""
    out: list[tuple[str, str, str]] = []
    for raw in text.split():
        core = raw.strip(_STRIP)
        if not core:
            continue
        lead = raw[: raw.index(core)]
        out.append((lead, core, raw[len(lead) + len(core) :]))
    return out


def apply_edits(reading: str, edits: Sequence[Edit]) -> str:
    """The reading with each edit's words replaced, its punctuation kept (a full stop
    splits a command into sentences for the parser, and the recogniser scores it)."""
    tokens = _tokens(reading)
    out: list[str] = []
    i = 0
    for edit in sorted(edits, key=lambda e: e.start):
        out += ["".join(t) for t in tokens[i : edit.start]]
        out.append(tokens[edit.start][0] + edit.term.text + tokens[edit.end - 1][2])
        i = edit.end
    out += ["".join(t) for t in tokens[i:]]
    return " ".join(out)


def _compatible(chosen: Sequence[Edit], edit: Edit) -> bool:
    return all(edit.end <= e.start or edit.start >= e.end for e in chosen)


def candidates(
    readings: Sequence[str], lexicon: Lexicon, collections: Lexicon | None = None
) -> list[Candidate]:
    """The readings themselves, each with its best changes applied together, and the
    best reading with each change alone."""
    out: list[Candidate] = []
    seen: set[str] = set()

    def add(text: str, source: int, edits: tuple[Edit, ...]) -> None:
        norm = " ".join(_words(text.lower()))
        if norm and norm not in seen and len(out) < MAX_CANDIDATES:
            seen.add(norm)
            out.append(Candidate(text=text.strip(), source=source, edits=edits))

    for index, reading in enumerate(readings):
        add(reading, index, ())
    for index, reading in enumerate(readings):
        edits = propose(reading, lexicon, collections)
        best: list[Edit] = []
        for edit in edits:
            if _compatible(best, edit):
                best.append(edit)
        if best:
            add(apply_edits(reading, best), index, tuple(best))
        if index == 0:
            for edit in edits[:12]:
                add(apply_edits(reading, [edit]), index, (edit,))
            # The best changes but one: when one change is wrong, the rest still help.
            if len(best) > 1:
                for drop in best:
                    rest = tuple(e for e in best if e is not drop)
                    add(apply_edits(reading, rest), index, rest)
    return out


@functools.cache
def _part_words() -> frozenset[str]:
    """Words the taxonomy has only inside longer terms ("neck" of "v neck", "dusty" of
    "dusty pink"): alone, the parser makes nothing of them."""
    lexicon = base_lexicon()
    taxonomy = get_taxonomy()
    slot_words = {w for t in lexicon.terms if t.slot in (QUANTITY, COMMAND) for w in t.text.split()}
    # The parser's own cue words stand alone ("any colour but black", "without sleeves"),
    # except "neck", which its patterns only name beside a term ("u neck").
    exempt = FUNCTION_WORDS | CONTRACTIONS | slot_words | (rule_words() - {"neck"})
    return frozenset(
        w
        for w in lexicon.words - exempt
        if not w.isdigit() and w.removesuffix("s") not in exempt and taxonomy.resolve(w) is None
    )


@functools.cache
def _term_words() -> frozenset[str]:
    return frozenset(w for phrase in get_taxonomy().vocabulary for w in phrase.split())


def _joined(first: str, second: str) -> str | None:
    """The word two tokens make written together, where the taxonomy has that word
    ("sweet heart", and "neck line" of "sweetheart neckline")."""
    joined = get_taxonomy().joined_word(first, second)
    if joined is None and first.isalpha() and second.isalpha():
        if first + second in _term_words() and f"{first} {second}" not in _term_words():
            joined = first + second
    return joined


def _covered(words: Sequence[str]) -> set[int]:
    """Indices of the words inside a taxonomy term of two or more words, or of one the
    recogniser wrote in two."""
    taxonomy = get_taxonomy()
    tokens: list[str] = []
    owners: list[set[int]] = []
    for index, word in enumerate(words):
        for token in normalize_phrase(word).split():
            # A compound the recogniser split ("sweet heart", "neck line"), as the parser
            # joins it.
            joined = _joined(tokens[-1], token) if tokens else None
            if joined is not None:
                tokens[-1] = joined
                owners[-1].add(index)
                continue
            tokens.append(token)
            owners.append({index})
    covered: set[int] = set()
    for start in range(len(tokens)):
        match = taxonomy.match_at(tokens, start)
        if match is not None and (match.length > 1 or len(owners[start]) > 1):
            for owner in owners[start : start + match.length]:
                covered |= owner
    return covered


def _after_value(words: Sequence[str], i: int) -> bool:
    """A family's noun after one of its values: "maxi length", "bardot neckline"."""
    return i > 0 and get_taxonomy().resolve(words[i - 1]) is not None


def _unexplained(text: str, lexicon: Lexicon, collections: Lexicon | None) -> list[str]:
    """The words before any free text that no slot or cue explains."""
    words = _words(text)
    free_from = _free_text_start(words)
    coll = _collection_span(words)
    end = coll[0] if coll is not None else free_from
    head = words[:end]
    parts = _part_words()
    # Unknown words, and words of a term without the rest of it ("with no me neck" for
    # v-neck), unless they sit inside a term the reading does hold ("sweet heart").
    suspects = {
        i
        for i, w in enumerate(head)
        if (w.lower() in parts and not _after_value(head, i))
        or not _is_known(w, lexicon, collections)
    }
    suspects -= _covered(head) if suspects else set()
    # A term where "batch" goes ("the nightly mesh", "like the last mesh") has no
    # garment to belong to.
    taxonomy = get_taxonomy()
    suspects |= {e.start for e in _batch_edits(head, end) if taxonomy.resolve(e.heard)}
    return [
        w
        for i, w in enumerate(head)
        # "make me for dresses": a word where a count belongs that only sounds like one
        if i in suspects or _homophone_count(words, i) is not None or _attribute_homophone(head, i)
    ]


def _numbers_in(value: Any, out: set[int]) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        out.add(value)
    elif isinstance(value, str):
        out.update(int(d) for d in re.findall(r"\d+", value))
    elif isinstance(value, dict):
        for item in value.values():
            _numbers_in(item, out)
    elif isinstance(value, list):
        for item in value:
            _numbers_in(item, out)


def _unused_numbers(text: str, parsed: ParseResult) -> list[str]:
    """Numbers heard that the command does not use ("2 skirts in rust and 10." for "...
    rust and tan"): a count, image or time the designer said is never dropped, so such a
    number is more likely a misheard word."""
    if parsed.intent == "unknown":
        return []
    words = _words(text)
    if not any(w.isdigit() for w in words):
        return []
    data = parsed.to_dict()
    data.pop("reply", None)
    used: set[int] = set()
    _numbers_in(data, used)
    return [
        w
        for i, w in enumerate(words)
        if w.isdigit()
        and int(w) not in used
        # "1 shoulder", "1 black, 1 brown": one is also a word; "spring 2026": a year
        and int(w) != 1
        and not 1900 <= int(w) <= 2100
        # "2 dozen": the parse holds 24
        and not (i + 1 < len(words) and words[i + 1].lower() in DIGIT_SCALE_WORDS)
    ]


def parse_quality(
    parsed: ParseResult, collections: Lexicon | None = None, *, naming: bool = False
) -> float:
    """The parse's share of a reading's score; `naming`: the reading names a collection
    ("called Client Picks"), which is how a new one is made, not an existing one found."""
    if parsed.intent == "unknown":
        return -PARSE_FAILS
    score = -PARSE_ERROR if parsed.error is not None else 0.0
    name = parsed.target.collection_name
    if parsed.intent == "collection_add" and name and collections is not None and not naming:
        # Adding to a collection the designer has is far likelier than to a new one.
        if _is_collection(name, collections):
            score += KNOWN_COLLECTION
    return score


def _spec_values(spec: dict[str, Any], prefix: str, out: dict[str, str]) -> None:
    for name, values in (spec.get("exclude") or {}).items():
        if values:
            out[f"{prefix}exclude.{name}"] = ", ".join(sorted(str(v) for v in values))
    for name, value in spec.items():
        if name == "exclude":
            continue
        if isinstance(value, list):
            if value:
                out[prefix + name] = ", ".join(sorted(str(v) for v in value))
        elif value is not None:
            out[prefix + name] = str(value)


def _slot_values(parsed: ParseResult) -> dict[str, str]:
    data = parsed.to_dict()
    out: dict[str, str] = {"intent": data["intent"]}
    _spec_values(data["spec"], "", out)
    # A second garment a reading adds ("..., the weekend antique greige dress") differs
    # too: "garment 2 colors".
    for number, spec in enumerate((data.get("specs") or [])[1:], start=2):
        _spec_values(spec, f"garment {number} ", out)
    target = data["target"]
    for name in ("collection_name", "image_ref", "count"):
        if target.get(name) is not None:
            out[name] = str(target[name])
    for key, value in (target.get("filters") or {}).items():
        out[f"filters.{key}"] = str(value)
    return out


def rate(
    cand: Candidate,
    lexicon: Lexicon,
    collections: Lexicon | None,
    parse: Callable[[str], ParseResult],
) -> float:
    """How likely this reading is what was said: the sound's score (when there is one),
    less what the parse and the corrections make unlikely."""
    cand.parse = parse(cand.text)
    naming = _FREE_TEXT_CUE.search(cand.text) is not None
    score = parse_quality(cand.parse, collections, naming=naming)
    cand.unexplained = tuple(_unexplained(cand.text, lexicon, collections)) + tuple(
        _unused_numbers(cand.text, cand.parse)
    )
    score -= UNKNOWN_WORD * len(cand.unexplained)
    score -= sum(EDIT_COST * (1.0 + (1.0 - e.similarity) * 4) for e in cand.edits)
    if cand.acoustic is not None:
        score += cand.acoustic + WORD_BONUS * len(_words(cand.text))
        if cand.source == 0:
            score += FIRST_READING
        if cand.truncated:
            score -= TRUNCATED
    cand.score = score
    return score


def combine(found: Sequence[Candidate], reading: str) -> Candidate | None:
    """Every correction of the best reading that made it likelier on its own, together
    (best first, not overlapping): several words are often misheard in one command."""
    base = next((c for c in found if c.source == 0 and not c.edits), None)
    if base is None:
        return None
    gains = sorted(
        (c for c in found if c.source == 0 and len(c.edits) == 1 and c.score > base.score),
        key=lambda c: -c.score,
    )
    chosen: list[Edit] = []
    for cand in gains:
        if _compatible(chosen, cand.edits[0]):
            chosen.append(cand.edits[0])
    if len(chosen) < 2:
        return None
    return Candidate(text=apply_edits(reading, chosen), source=0, edits=tuple(chosen))


def choose(
    found: list[Candidate],
    lexicon: Lexicon,
    collections: Lexicon | None = None,
    *,
    parse: Callable[[str], ParseResult] = parse_command,
) -> Hearing:
    """Score every candidate and pick one; flag the slots a close rival reads otherwise."""
    if not found:
        return Hearing(transcript="", understood_text="")
    transcript = found[0].text
    for cand in found:
        if cand.parse is None:
            rate(cand, lexicon, collections, parse)
    ranked = sorted(found, key=lambda c: -c.score)
    best = ranked[0]
    assert best.parse is not None
    chosen = _slot_values(best.parse)
    unsure: dict[str, UnsureSlot] = {}

    def offer(slot: str, option: tuple[str, str]) -> None:
        """One more button on a slot's question: another value, at most three."""
        entry = unsure[slot]
        if all(o[0] != option[0] for o in entry.options) and len(entry.options) < 3:
            unsure[slot] = replace(entry, options=(*entry.options, option))

    def flag(rival: Candidate, heard: str) -> None:
        assert rival.parse is not None
        theirs = _slot_values(rival.parse)
        for key in sorted(set(chosen) | set(theirs)):
            if key == "intent" or chosen.get(key) == theirs.get(key):
                continue
            slot = key
            if key.startswith("garment "):
                # One question per further garment, by its type, not one per attribute.
                slot = " ".join(key.split(" ")[:2])
                key = f"{slot} garment_type"
            option = (theirs.get(key, "none"), rival.text)
            if slot in unsure:
                offer(slot, option)
            else:
                unsure[slot] = UnsureSlot(slot, heard, chosen.get(key, "none"), (option,))

    # A correction the sound does not clearly support ("free" -> "three" sound alike;
    # any correction when the recogniser cannot score text) is a guess: ask.
    if best.edits:
        heard_as = next((c for c in found if c.source == best.source and not c.edits), None)
        if heard_as is not None and heard_as.parse is not None:
            gain = (
                None
                if best.acoustic is None or heard_as.acoustic is None
                else best.acoustic - heard_as.acoustic
            )
            if gain is None or gain < SOUND_SUPPORT:
                flag(heard_as, ", ".join(e.heard for e in best.edits))
    # A rival reading nearly as likely that means something else (only when the sound
    # was weighed: without it, rivals differ by their priors alone).
    for rival in ranked[1:] if best.acoustic is not None else ():
        behind = best.score - rival.score
        if behind > max(INTENT_MARGIN, MORE_SAID_MARGIN) or rival.parse is None:
            break
        if rival.parse.intent == "unknown":
            continue
        if (
            behind <= UNSURE_MARGIN
            or (behind <= INTENT_MARGIN and rival.parse.intent != best.parse.intent)
            or (behind <= MORE_SAID_MARGIN and _says_more(_slot_values(rival.parse), chosen))
        ):
            flag(rival, _heard_for(best, rival) or transcript)
    # Asking anyway: a question's buttons may as well hold the next readings of that slot,
    # though further behind (one tap, where the right one is often a few places down).
    if unsure:
        for rival in ranked[1:FURTHER_OPTIONS]:
            if rival.parse is None or rival.parse.intent != best.parse.intent:
                continue
            theirs = _slot_values(rival.parse)
            for slot in list(unsure):
                key = f"{slot} garment_type" if slot.startswith("garment ") else slot
                value = theirs.get(key, "none")
                if value != chosen.get(key, "none"):
                    offer(slot, (value, rival.text))
    # Adding to a collection the designer does not have makes a new one. Typed, that is
    # what they wrote; heard, the name is likelier misheard ("Move me into winter right"
    # for "Winter Whites"): ask before a collection is made.
    name = best.parse.target.collection_name
    new_collection = False
    if (
        best.parse.intent == "collection_add"
        and name
        and COLLECTION not in unsure
        and _FREE_TEXT_CUE.search(best.text) is None
        and not _is_collection(name, collections)
    ):
        known = {
            c.parse.target.collection_name: c.text
            for c in ranked[1:]
            if c.parse is not None
            and c.parse.intent == "collection_add"
            and _is_collection(c.parse.target.collection_name, collections)
        }
        options = tuple((str(label), text) for label, text in known.items())[:2]
        unsure[COLLECTION] = UnsureSlot(COLLECTION, name, name, options)
        new_collection = True
    # Words nothing explains left in the chosen reading: it was misheard somewhere the
    # corrections could not mend ("Fun glamour Claws at Wind skirts"). And a command the
    # parser itself is unsure of (no garment and no verb: "Holiday Beach.") is a guess
    # once spoken: typed, 9 of 729 labelled commands read this weakly; heard, 13 of 14
    # were misheard. Ask rather than act.
    doubt: str | None = None
    if len(best.unexplained) >= UNCLEAR_WORDS:
        doubt = ", ".join(best.unexplained)
    elif _empty_schedule(best.parse):
        doubt = transcript
    elif best.truncated:
        # The end was heard but left out ("... burgundy velvet, t-lans."): ask about it.
        doubt = " ".join(_words(transcript)[len(_words(best.text)) :]) or transcript
    elif (before_garment := _before_garment(best.text, best.unexplained)) is not None:
        doubt = before_garment
    elif (after_in := _after_in(best.text, best.unexplained)) is not None:
        doubt = after_in
    elif best.parse.confidence < WEAK_COMMAND:
        doubt = transcript
    if doubt is not None and best.parse.intent != "unknown" and COMMAND not in unsure:
        # Readings that mean something else: one that parses the same is no choice.
        meanings = [chosen]
        others: list[tuple[str, str]] = []
        for c in ranked[1:]:
            if len(others) >= 2:
                break
            if c.parse is None or c.parse.intent == "unknown":
                continue
            meaning = _slot_values(c.parse)
            if meaning not in meanings:
                meanings.append(meaning)
                others.append((c.text, c.text))
        unsure[COMMAND] = UnsureSlot(COMMAND, doubt, best.text, tuple(others))
    alternatives = [c.text for c in ranked[1:4]]
    return Hearing(
        transcript=transcript,
        understood_text=best.text,
        alternatives=alternatives,
        unsure=list(unsure.values()),
        candidates=ranked,
        new_collection=new_collection,
    )


def _says_more(theirs: dict[str, str], ours: dict[str, str]) -> bool:
    """A rival's slots holding everything the best reading's do and more ("4 versions of
    this and silk" beside "... and so"; "one black, one brown" beside "one black one
    round"): a value the designer named is likelier lost in the best than invented in
    the rival."""
    more = len(theirs) > len(ours)
    for key, value in ours.items():
        if key not in theirs:
            return False
        if theirs[key] == value:
            continue
        # A list slot (joined with ", ") that holds ours and more.
        mine, their = set(value.split(", ")), set(theirs[key].split(", "))
        if not mine < their:
            return False
        more = True
    return more


def _before_garment(text: str, unexplained: Sequence[str]) -> str | None:
    """A word nothing explains and no dictionary has, right before a garment ("A
    punk-landed corset", "Forkland Trench coats"): where a garment's attributes are said,
    so likely a misheard one. A real word there is a designer's own ("gorgeous dresses")."""
    if not unexplained:
        return None
    english = dictionary()
    words = _words(text)
    for word, after in itertools.pairwise(words):
        if (
            word in unexplained
            and word.lower() not in english
            and _in_family(after, "garment_type")
        ):
            return word
    return None


def _in_family(word: str, family: str) -> bool:
    """Whether the taxonomy reads this word as a value of `family`."""
    return any(a.family == family for a in get_taxonomy().resolve(word.lower()) or ())


def _after_in(text: str, unexplained: Sequence[str]) -> str | None:
    """A word nothing explains where "in" introduces a colour, fabric or pattern ("in a
    classic made" for "in a classic beige", "do it in Camelwell"): likely the one the
    designer named, misheard. Articles and attribute values may stand between. A word
    before a colour is its shade ("in dusty lavender"), the designer's own."""
    if not unexplained:
        return None
    taxonomy = get_taxonomy()
    heard = _words(text)
    words = [w.lower() for w in heard]
    unknown = {u.lower() for u in unexplained}
    for i, word in enumerate(words):
        if word not in unknown or (i + 1 < len(words) and _in_family(words[i + 1], "colors")):
            continue
        j = i - 1
        while j >= 0 and (words[j] in _ARTICLES or taxonomy.resolve(words[j])):
            j -= 1
        if j >= 0 and words[j] == "in":
            return heard[i]
    return None


def _empty_schedule(parsed: ParseResult) -> bool:
    """A nightly batch set up with nothing said of it ("Make a nightly map." for "make the
    nightly batch run at midnight"): no labelled command sets one up so, and every night
    it would cost a design."""
    schedule = parsed.target.schedule
    return (
        parsed.intent == "schedule_nightly"
        and schedule is not None
        and schedule.action == "create"
        and schedule.time is None
        and set(_slot_values(parsed)) <= {"intent", "quantity"}
    )


def _is_collection(name: str | None, collections: Lexicon | None) -> bool:
    """Whether the designer has a collection of this name (speech has no capitals)."""
    if not name or collections is None:
        return False
    return name.lower() in collections.texts


def _heard_for(best: Candidate, rival: Candidate) -> str:
    edits = best.edits or rival.edits
    return ", ".join(dict.fromkeys(e.heard for e in edits))


def confirm_prompt(parsed: ParseResult, *, new_collection: bool = False) -> str:
    """The understood command as a question: "3 tulle ball gowns in fuchsia for prom?",
    "Adding your last 3 images to “Winter Noir”?"; `new_collection`: the designer has no
    collection of that name, so the command would make one, and the question says so."""
    reply = parsed.reply.strip().rstrip(".!")
    for lead in ("On it: ", "Okay, "):
        if reply.startswith(lead):
            reply = reply[len(lead) :]
            reply = reply[:1].upper() + reply[1:]
    if reply and new_collection and parsed.intent == "collection_add":
        reply += " (a new collection)"
    return f"{reply}?" if reply else "Is that right?"


class Scorer(Protocol):
    def score(self, texts: Sequence[str]) -> list[float]: ...


def understand(
    readings: Sequence[str],
    *,
    scorer: Scorer | None = None,
    collections: Iterable[str] = (),
    parse: Callable[[str], ParseResult] = parse_command,
) -> Hearing:
    """The command in a recogniser's readings (best first). Blocking when `scorer` runs
    a model: call it from a thread."""
    readings = [r.strip() for r in readings if r and r.strip()]
    if not readings:
        return Hearing(transcript="", understood_text="")
    lexicon = base_lexicon()
    names = collection_lexicon(collections)

    # Scored as heard (the recogniser's scores depend on case), parsed with the
    # designer's names as they wrote them.
    def parse_named(text: str) -> ParseResult:
        return parse(recase_collections(text, names))

    found = candidates(readings, lexicon, names)
    # Cut anywhere, even inside a word ("... called summer cap." for "... summer capsule.").
    first = " ".join(_words(readings[0].lower()))

    def cut_short(reading: str) -> bool:
        text = " ".join(_words(reading.lower()))
        return len(text) < len(first) and first.startswith(text)

    # A correction of a reading that stops short stops short too ("Collard shirt
    # dresses." for "... 3 in Kainbury.", corrected to "collared shirt dresses.").
    short = [cut_short(r) for r in readings]
    for cand in found:
        cand.truncated = short[cand.source] or cut_short(cand.text)
    if scorer is not None and len(found) > 1:
        for cand, value in zip(found, scorer.score([c.text for c in found]), strict=True):
            cand.acoustic = value
    for cand in found:
        rate(cand, lexicon, names, parse_named)
    both = combine(found, readings[0])
    if both is not None and all(c.text != both.text for c in found):
        if scorer is not None:
            both.acoustic = scorer.score([both.text])[0]
        rate(both, lexicon, names, parse_named)
        found.append(both)
    hearing = choose(found, lexicon, names, parse=parse_named)
    hearing.transcript = readings[0]
    hearing.understood_text = recase_collections(hearing.understood_text, names)
    hearing.alternatives = [recase_collections(a, names) for a in hearing.alternatives]
    hearing.unsure = [
        replace(u, options=tuple((label, recase_collections(t, names)) for label, t in u.options))
        for u in hearing.unsure
    ]
    return hearing
