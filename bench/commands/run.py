"""Command parser benchmark: accuracy on the labelled set and parse latency.

Run: ``.venv/bin/python bench/commands/run.py [--no-check] [--reps N] [--set/--file PATH]``
(``bench/commands/holdout.yaml`` and ``holdout2.yaml`` are sets written without looking at
the parser).

Whole-result accuracy counts a command as right when the intent matches, every spec
field matches (lists compared as sets; fields not labelled must be null/empty), the
labelled target fields match, `specs` matches (or holds at most one spec when not
labelled) and the error code matches. Exits non-zero when whole accuracy < 97% or parse
p99 > 2 ms, unless ``--no-check``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from designer_bff.commands.parser import ParseResult, parse_command
from designer_bff.garments.spec import ATTRIBUTE_FIELDS, EXCLUDE_KEYS, LIST_FIELDS
from designer_bff.garments.taxonomy import get_taxonomy

BENCH_SET = Path(__file__).with_name("commands.yaml")
# Fixed clock so relative time ranges are reproducible (a Wednesday).
BENCH_NOW = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)
MIN_WHOLE_ACCURACY = 0.97
MAX_P99_MS = 2.0


@dataclass
class Outcome:
    text: str
    ok: bool
    fields: dict[str, bool]
    problems: list[str]


def load_cases(path: Path = BENCH_SET) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        cases = yaml.safe_load(handle)
    for case in cases:
        case["text"] = str(case["text"])
    return cases


def _as_set(value: Any) -> set[str]:
    return {str(v) for v in value or ()}


def _expected_spec(label: dict[str, Any] | None) -> dict[str, Any]:
    """A full expected spec: unlabelled fields empty, palette colors implied."""
    label = dict(label or {})
    taxonomy = get_taxonomy()
    spec: dict[str, Any] = {"quantity": label.get("quantity")}
    for name in ATTRIBUTE_FIELDS:
        default: Any = [] if name in LIST_FIELDS else None
        spec[name] = label.get(name, default)
    colors = _as_set(spec["colors"])
    for palette in spec["palettes"]:
        colors |= set(taxonomy.palette_colors(palette))
    spec["colors"] = sorted(colors)
    exclude_label = label.get("exclude") or {}
    exclude = {key: _as_set(exclude_label.get(key)) for key in set(EXCLUDE_KEYS.values())}
    for palette in exclude["palettes"]:
        exclude["colors"] |= set(taxonomy.palette_colors(palette))
    spec["exclude"] = exclude
    unknown = set(label) - set(spec)
    if unknown:
        raise ValueError(f"unknown spec fields in label: {sorted(unknown)}")
    return spec


def _spec_diffs(expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, bool]:
    result: dict[str, bool] = {"quantity": expected["quantity"] == actual["quantity"]}
    for name in ATTRIBUTE_FIELDS:
        if name in LIST_FIELDS:
            result[name] = _as_set(expected[name]) == _as_set(actual[name])
        else:
            result[name] = expected[name] == actual[name]
    result["exclude"] = all(
        expected["exclude"][key] == _as_set(actual["exclude"].get(key))
        for key in expected["exclude"]
    )
    return result


def _normalize_filters(filters: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        if isinstance(value, list):
            out[key] = _as_set(value)
        elif isinstance(value, dict):
            out[key] = _normalize_filters(value)
        else:
            out[key] = value
    return out


def _target_matches(key: str, expected: Any, target: dict[str, Any]) -> bool:
    actual = target.get(key)
    if key == "time_range":
        return expected == (actual or {}).get("label")
    if key == "filters":
        return _normalize_filters(expected or {}) == _normalize_filters(actual or {})
    if key == "schedule":
        if actual is None:
            return expected is None
        return all(actual.get(k) == v for k, v in (expected or {}).items())
    if key in {"image_ref", "collection_name"} and expected is not None:
        return str(expected) == str(actual)
    return expected == actual


def evaluate(case: dict[str, Any], result: ParseResult) -> Outcome:
    data = result.to_dict()
    fields: dict[str, bool] = {"intent": data["intent"] == case["intent"]}
    problems: list[str] = []
    if not fields["intent"]:
        problems.append(f"intent {data['intent']} != {case['intent']}")

    for name, ok in _spec_diffs(_expected_spec(case.get("spec")), data["spec"]).items():
        fields[f"spec.{name}"] = ok
        if not ok:
            problems.append(f"spec.{name}={data['spec'][name]!r}")

    if "specs" in case:
        expected_specs = [_expected_spec(s) for s in case["specs"]]
        ok = len(expected_specs) == len(data["specs"]) and all(
            all(_spec_diffs(e, a).values())
            for e, a in zip(expected_specs, data["specs"], strict=False)
        )
    else:
        ok = len(data["specs"]) <= 1
    fields["specs"] = ok
    if not ok:
        problems.append(f"specs={[_compact(s) for s in data['specs']]}")

    for key, expected in (case.get("target") or {}).items():
        ok = _target_matches(key, expected, data["target"])
        fields[f"target.{key}"] = ok
        if not ok:
            problems.append(f"target.{key}={data['target'].get(key)!r} (want {expected!r})")

    error = (data["error"] or {}).get("code")
    fields["error"] = error == case.get("error")
    if not fields["error"]:
        problems.append(f"error={error!r}")
    return Outcome(case["text"], all(fields.values()), fields, problems)


def _compact(spec: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in spec.items() if v and k != "exclude"}
    excluded = {k: v for k, v in spec["exclude"].items() if v}
    if excluded:
        out["exclude"] = excluded
    return out


def run_accuracy(cases: list[dict[str, Any]]) -> tuple[float, list[Outcome]]:
    outcomes = [evaluate(case, parse_command(case["text"], now=BENCH_NOW)) for case in cases]
    whole = sum(o.ok for o in outcomes) / len(outcomes)
    return whole, outcomes


def run_latency(cases: list[dict[str, Any]], reps: int) -> tuple[float, float, float]:
    texts = [case["text"] for case in cases]
    for text in texts:  # warm caches (taxonomy index, fuzzy memo)
        parse_command(text, now=BENCH_NOW)
    samples: list[int] = []
    for _ in range(reps):
        for text in texts:
            start = time.perf_counter_ns()
            parse_command(text, now=BENCH_NOW)
            samples.append(time.perf_counter_ns() - start)
    samples.sort()
    p50 = samples[len(samples) // 2] / 1e6
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1e6
    return p50, p99, statistics.fmean(samples) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        "--file",
        dest="set",
        type=Path,
        default=BENCH_SET,
        help="labelled commands (yaml), e.g. bench/commands/holdout.yaml",
    )
    parser.add_argument("--reps", type=int, default=20, help="latency repetitions of the set")
    parser.add_argument("--no-check", action="store_true", help="print only; always exit 0")
    args = parser.parse_args(argv)

    cases = load_cases(args.set)
    whole, outcomes = run_accuracy(cases)

    totals: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for outcome in outcomes:
        for name, ok in outcome.fields.items():
            totals[name] += 1
            right[name] += ok
    intents = Counter(case["intent"] for case in cases)

    print(f"commands: {len(cases)}  ({', '.join(f'{k} {v}' for k, v in intents.items())})")
    print("accuracy per field:")
    for name in sorted(totals, key=lambda n: (n.split(".")[0], n)):
        print(f"  {name:<22} {right[name] / totals[name]:7.1%}  ({right[name]}/{totals[name]})")
    failures = [o for o in outcomes if not o.ok]
    print(f"whole-result accuracy: {whole:.1%}  ({len(outcomes) - len(failures)}/{len(outcomes)})")
    if failures:
        print("failures:")
        for outcome in failures:
            print(f"  - {outcome.text!r}: {'; '.join(outcome.problems)}")

    p50, p99, mean = run_latency(cases, args.reps)
    print(
        f"parse latency over {args.reps} x {len(cases)}: "
        f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  mean {mean:.3f} ms"
    )

    if args.no_check:
        return 0
    ok = whole >= MIN_WHOLE_ACCURACY and p99 <= MAX_P99_MS
    if not ok:
        print(f"FAIL: need whole accuracy >= {MIN_WHOLE_ACCURACY:.0%} and p99 <= {MAX_P99_MS} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
