"""Fuzz the live service against its own OpenAPI document with schemathesis, every check.

    .venv/bin/python bench/fuzz.py [--seconds 600] [--max-requests 50000] [--workers 2]
                                   [--seed N] [--show 5] [--json PATH]

Starts `designer-bff serve` (embedded: SQLite, in-process queue) on a loopback port in a
temporary DATA_DIR, registers a user and runs schemathesis's engine (examples, coverage,
fuzzing and stateful phases, repeated until the time or request budget is spent) against
`/openapi.json` with that user's Bearer token. Prints the requests sent, the operations
tested, the 5xx answers and the failures of each check (with a few examples each), and
exits 1 when there is any 5xx, failure or engine error.

Nothing is excluded, and one kind of report is waived (counted and printed apart):
schemathesis's dependency analysis links `DELETE /api/collections/{collection_id}/images/
{image_id}` to `POST /api/collections` with *both* ids taken from the new collection's
`id`, then reads the API's 404 "not_in_collection" (the collection exists; that id is not
a design in it) as "the resource just created is missing". A 404 whose `error.code` says
the path's first resource exists is that engine mistake, never a lost resource.

Logout and password changes end the token's session; when a request
is refused 401, schemathesis asks for a fresh token and retries, and this bench logs in
again. Its logins come from their own address (X-Forwarded-For, with the server trusting
loopback as a proxy), so the failed logins the fuzzer makes cannot lock the bench out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import serve_on_free_port, service_env, stop_proc, wait_healthy

# The bench's own logins come from here (TEST-NET-2), never from the fuzzer's address.
BENCH_ADDRESS = "198.51.100.7"
EMAIL = "fuzz-owner@example.com"


# Hypothesis describing its own lambdas from several worker threads at once trips over its
# AST cache; the operation's case is lost, nothing about the API. Printed, not counted.
HARNESS_ERRORS = ("AST constructor recursion depth mismatch",)

# 404 codes that say the parent resource exists and only a member is missing (see above).
MEMBER_MISSING_CODES = frozenset({"not_in_collection"})


def waived(check_name: str, response: Any) -> bool:
    """A failure that is the engine's wrong link, not the API's behaviour (see the docstring)."""
    if check_name != "ensure_resource_availability" or response is None:
        return False
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return code in MEMBER_MISSING_CODES


@dataclass
class FuzzReport:
    requests: int = 0
    operations: set[str] = field(default_factory=set)
    server_errors: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    waived: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    logins: int = 0
    server_log: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stop_reason: str = ""
    seed: int | None = None

    @property
    def api_errors(self) -> list[str]:
        """Engine errors about the API or its document, not the harness's own flakiness."""
        return [e for e in self.errors if not any(h in e for h in HARNESS_ERRORS)]

    @property
    def ok(self) -> bool:
        return not (self.server_errors or self.failures or self.api_errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "operations": len(self.operations),
            "server_errors": self.server_errors,
            "failures": dict(self.failures),
            "waived": dict(self.waived),
            "examples": self.examples,
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "logins": self.logins,
            "server_log": self.server_log,
            "seconds": round(self.seconds, 1),
            "stop_reason": self.stop_reason,
            "seed": self.seed,
        }

    def render(self, show: int = 5) -> str:
        lines = [
            f"requests:        {self.requests}",
            f"operations:      {len(self.operations)}",
            f"5xx responses:   {self.server_errors}",
            f"seconds:         {self.seconds:.1f} ({self.stop_reason}), seed {self.seed}",
            f"bench logins:    {self.logins}",
            "statuses:        " + ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items())),
            "failures per check:" + ("" if self.failures else " none"),
        ]
        for check, count in self.failures.most_common():
            lines.append(f"  {check}: {count}")
            lines.extend(f"    - {e}" for e in self.examples.get(check, [])[:show])
        for check, count in self.waived.most_common():
            lines.append(f"waived ({check}, a design id linked to a collection's id): {count}")
        if self.errors:
            lines.append(
                f"engine errors: {len(self.api_errors)} about the API, "
                f"{len(self.errors) - len(self.api_errors)} of the harness"
            )
            lines.extend(f"  - {e[:3000]}" for e in self.errors[:show])
        if self.server_log:
            lines.append("server error log:")
            lines.extend(f"  {e}" for e in self.server_log[:show])
        return "\n".join(lines)


class Account:
    """The fuzzing user: logs in (again) whenever schemathesis needs a token."""

    def __init__(self, base: str, password: str) -> None:
        self.base = base
        self.password = password
        self.logins = 0
        self._token: str | None = None
        self._lock = threading.Lock()

    def register(self) -> None:
        resp = httpx.post(
            f"{self.base}/api/auth/register",
            json={"email": EMAIL, "password": self.password, "name": "Fuzz"},
            headers={"X-Forwarded-For": BENCH_ADDRESS},
            timeout=30,
        )
        resp.raise_for_status()

    def token(self) -> str:
        """The current token while it still works (schemathesis asks again after every 401,
        most of which are the fuzzer's own bad credentials), else a fresh login."""
        with self._lock:
            if self._token is not None:
                me = httpx.get(
                    f"{self.base}/api/auth/me",
                    headers={"Authorization": f"Bearer {self._token}"},
                    timeout=30,
                )
                if me.status_code == 200:
                    return self._token
            resp = httpx.post(
                f"{self.base}/api/auth/login",
                json={"email": EMAIL, "password": self.password},
                headers={"X-Forwarded-For": BENCH_ADDRESS},
                timeout=30,
            )
            resp.raise_for_status()
            self.logins += 1
            self._token = str(resp.json()["access_token"])
            return self._token


@contextlib.contextmanager
def running_server(data_dir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    env = service_env(
        data_dir,
        {
            # Loopback is the "proxy", so the bench's X-Forwarded-For is believed.
            "TRUSTED_PROXIES": "127.0.0.1",
            "ACCESS_TOKEN_TTL_S": str(24 * 3600),
            # The local Whisper model (offline): uploads are transcribed, not refused 503.
            "SPEECH_PROVIDER": "local",
        },
    )
    server, base = serve_on_free_port("server", "all", env, data_dir)  # logs to server.log
    try:
        asyncio.run(wait_healthy(server, base, within_s=90))
        yield base, server.popen
    finally:
        stop_proc(server, timeout_s=30)


def _wav(seconds: float, hz: float) -> bytes:
    """A mono 16 kHz WAV tone (or silence at 0 Hz)."""
    import math
    import struct
    import wave
    from io import BytesIO

    rate = 16_000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
        for i in range(int(rate * seconds))
    )
    out = BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def audio_strategy() -> Any:
    """Valid uploads for the document's only binary fields, the audio ones: a schema can
    say "binary" but not "audio that decodes", so the generator is taught what a valid
    file is (short WAV clips; the server sniffs the format from the bytes)."""
    from hypothesis import strategies as st

    return st.sampled_from([_wav(s, hz) for s in (0.2, 0.5, 1.0) for hz in (0.0, 220.0, 440.0)])


def _images(fmt: str) -> list[bytes]:
    """A few small, distinct pictures of a garment-like shape, in `fmt` (PNG, JPEG)."""
    from PIL import Image, ImageDraw

    out = []
    for i, colour in enumerate([(31, 42, 84), (110, 22, 42), (16, 136, 88)]):
        image = Image.new("RGB", (64, 96), (248, 247, 244))
        ImageDraw.Draw(image).polygon([(24, 6), (40, 6), (56, 90), (8, 90)], fill=colour)
        image.putpixel((i, 0), (i, i, i))
        buffer = io.BytesIO()
        image.save(buffer, fmt)
        out.append(buffer.getvalue())
    return out


def _server_errors(log_path: Path, limit: int = 20) -> list[str]:
    """The error records the server logged (tracebacks of 5xx answers)."""
    out = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("level") == "error":
            # The end of a traceback says what failed; its start is the framework.
            tail = str(record.get("exception", ""))[-1500:]
            out.append(f"{record.get('event')} {record.get('path', '')}: {tail}")
    return out[:limit]


def _describe(case: Any, response: Any, failure: Any) -> str:
    status = response.status_code if response is not None else "-"
    message = " ".join(str(failure.message).split())[:300]
    sent = {"query": case.query, "body": case.body if not isinstance(case.body, bytes) else "…"}
    answer = response.text[:200] if response is not None else ""
    return (
        f"{case.method} {case.formatted_path} -> {status}: {failure.title}: {message}"
        f" | sent {str(sent)[:300]} | got {answer}"
    )


def run_fuzz(
    *,
    seconds: int,
    max_requests: int | None = None,
    workers: int = 2,
    seed: int | None = None,
    data_dir: Path | None = None,
) -> FuzzReport:
    """Start a server, fuzz it for `seconds` (or until `max_requests`), stop it."""
    import schemathesis
    from hypothesis import strategies as st
    from schemathesis.engine import Status, events, from_schema
    from schemathesis.specs.openapi.formats import unregister_string_format

    report = FuzzReport()
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fuzz-")))
        base, _proc = stack.enter_context(running_server(data_dir))
        account = Account(base, secrets.token_urlsafe(16))
        account.register()

        config = schemathesis.Config.from_dict(
            {
                **({"seed": seed} if seed is not None else {}),
                "max-time": seconds,
                "workers": workers,
                "cache": {"enabled": False},
                "checks": {"enabled": True},
                "request-timeout": 60,
            }
        )
        report.seed = config.seed  # drawn when not given: --seed repeats a run's cases
        schemathesis.openapi.format("binary", audio_strategy())
        stack.callback(unregister_string_format, "binary")  # back to the default strategy
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json", config=config)

        # Image uploads declare their parts' types (multipart `encoding`): valid pictures.
        for mime, fmt in (("image/png", "PNG"), ("image/jpeg", "JPEG")):
            schemathesis.openapi.media_type(mime, st.sampled_from(_images(fmt)))

        @schema.auth()
        class _Bearer:
            def get(self, case: Any, ctx: Any) -> str:
                return account.token()

            def set(self, case: Any, data: str, ctx: Any) -> None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

        started = time.monotonic()
        stream = from_schema(schema).execute()
        for event in stream:
            if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
                recorder = event.recorder
                for case_id, interaction in recorder.interactions.items():
                    report.requests += 1
                    node = recorder.cases.get(case_id)
                    if node is not None:
                        report.operations.add(node.value.operation.label)
                    response = interaction.response
                    if response is not None:
                        report.statuses[response.status_code] += 1
                        if response.status_code >= 500:
                            report.server_errors += 1
                for case_id, checks in recorder.checks.items():
                    for check in checks:
                        if check.status != Status.FAILURE or check.failure_info is None:
                            continue
                        interaction = recorder.interactions.get(case_id)
                        if waived(check.name, interaction and interaction.response):
                            report.waived[check.name] += 1
                            continue
                        report.failures[check.name] += 1
                        seen = report.examples.setdefault(check.name, [])
                        node = recorder.cases.get(case_id)
                        if node is not None and len(seen) < 50:
                            text = _describe(
                                node.value,
                                recorder.interactions.get(case_id)
                                and recorder.interactions[case_id].response,
                                check.failure_info.failure,
                            )
                            if text not in seen:
                                seen.append(text)
                if max_requests is not None and report.requests >= max_requests:
                    stream.stop()
            elif isinstance(event, events.NonFatalError):
                report.errors.append(f"{event.label}: {event.info.format()}"[:6000])
            elif isinstance(event, events.FatalError):
                report.errors.append(f"fatal: {event.exception!r}"[:500])
            elif isinstance(event, events.EngineFinished):
                report.stop_reason = str(getattr(event, "stop_reason", ""))
        report.seconds = time.monotonic() - started
        report.logins = account.logins
        report.server_log = _server_errors(data_dir / "server.log")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=600, help="time budget (default 600)")
    parser.add_argument("--max-requests", type=int, default=None, help="stop after this many")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--show", type=int, default=5, help="examples printed per check")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    # A plain `kill` ends the run like Ctrl-C: the server is stopped and the folder removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = run_fuzz(
        seconds=args.seconds, max_requests=args.max_requests, workers=args.workers, seed=args.seed
    )
    print(report.render(args.show))
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
