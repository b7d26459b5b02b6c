"""The web app's figures in Debian's Chromium against the real embedded server.

    .venv/bin/python bench/web.py [--designs 5000] [--runs 5] [--keep]

Starts `designer-bff serve` (embedded: SQLite, in-process queue, local renderer) on a
loopback port in a temporary DATA_DIR, registers a designer and makes `--designs` real
designs through the API (jobs of 100, drawn by the local renderer), then drives the built
app (`make web`) in Chromium and prints:

- first visit: the JavaScript a cold visit loads (raw and gzipped, per file); target
  <= 250 KB gzipped;
- first gallery page interactive: from navigation start to the first page of designs in
  the DOM with its controls usable (the median of `--runs` reloads), and to their
  thumbnails decoded; target <= 1.0 s;
- scrolling the whole gallery top to bottom (infinite scroll through every design): main
  thread tasks from the Long Tasks API (every task over 50 ms), the longest, and how many
  design cards were in the DOM at most (the masonry is virtualised); target: no task over
  100 ms.

Figures are printed, never asserted: the exit code is 0 unless the bench itself fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BenchError, free_port, service_env, start_serve, stop_proc, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}
JOB = 100  # the API's largest job
GARMENTS = ["dress", "blazer", "skirt", "jacket", "jumpsuit", "coat", "top", "trousers"]
STYLES = ["bohemian", "minimalist", "romantic", "edgy", "classic"]
COLORS = ["black", "navy", "coral", "olive", "ivory", "burgundy", "mustard", "sage"]

TARGET_JS_GZ_KB = 250
TARGET_INTERACTIVE_S = 1.0
TARGET_LONGEST_TASK_MS = 100


@contextlib.contextmanager
def running_server(data_dir: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Socket.IO accepts the origins in CORS_ORIGINS, the server's own included.
    env = service_env(data_dir, {"CORS_ORIGINS": base})
    args = ["--role", "all", "--host", "127.0.0.1", "--port", str(port)]
    server = start_serve("server", args, env, data_dir)
    try:
        asyncio.run(wait_healthy(server, base, within_s=90))
        yield base
    finally:
        stop_proc(server, timeout_s=30)


def make_designs(base: str, email: str, password: str, count: int) -> tuple[str, float]:
    """Registers the designer and makes `count` designs; returns the newest one's id and
    the seconds it took."""
    with httpx.Client(base_url=base, timeout=60) as client:
        resp = client.post(
            "/api/auth/register", json={"email": email, "password": password, "name": "Bench"}
        )
        resp.raise_for_status()
        headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}
        started = time.monotonic()
        jobs: list[str] = []
        for i in range(0, count, JOB):
            spec = {
                "garment_type": GARMENTS[(i // JOB) % len(GARMENTS)],
                "styles": [STYLES[(i // JOB) % len(STYLES)]],
                "colors": [COLORS[(i // JOB) % len(COLORS)]],
            }
            made = client.post(
                "/api/generations",
                headers=headers,
                json={"spec": spec, "quantity": min(JOB, count - i)},
            )
            made.raise_for_status()
            jobs.append(made.json()["id"])
        deadline = time.monotonic() + max(600.0, count * 0.5)
        pending = list(jobs)
        while pending:
            if time.monotonic() > deadline:
                raise BenchError(f"{len(pending)} jobs unfinished after {deadline:.0f} s")
            job = client.get(f"/api/generations/{pending[0]}", headers=headers).json()
            if job["status"] in ("completed", "failed", "cancelled"):
                if job["status"] != "completed":
                    raise BenchError(f"job {job['id']} ended {job['status']}")
                pending.pop(0)
                done = (len(jobs) - len(pending)) * JOB
                print(f"  made {min(done, count)}/{count} designs", flush=True)
            else:
                time.sleep(1.0)
        seconds = time.monotonic() - started
        first = client.get("/api/images", headers=headers, params={"limit": 1}).json()
        return str(first["items"][0]["id"]), seconds


LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push(e.duration);
}).observe({ type: "longtask", buffered: true });
"""

# Scroll a viewport at a time, a frame apart, until the page stops growing at the bottom.
SCROLL = """
async ({ maxSeconds }) => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const started = performance.now();
  let maxCards = 0;
  let lastHeight = -1;
  let stableSince = performance.now();
  window.__longTasks = [];
  while (performance.now() - started < maxSeconds * 1000) {
    window.scrollBy(0, window.innerHeight * 0.9);
    await frame();
    await frame();
    maxCards = Math.max(maxCards, document.querySelectorAll('[data-testid="design"]').length);
    const height = document.documentElement.scrollHeight;
    const atBottom = window.scrollY + window.innerHeight >= height - 2;
    if (height !== lastHeight) {
      lastHeight = height;
      stableSince = performance.now();
    } else if (atBottom && performance.now() - stableSince > 3000) {
      break;
    }
    if (atBottom) await sleep(50);
  }
  return {
    seconds: (performance.now() - started) / 1000,
    maxCards,
    tasks: window.__longTasks.slice(),
    height: document.documentElement.scrollHeight,
  };
}
"""


def measure(base: str, email: str, password: str, newest: str, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            scripts: dict[str, bytes] = {}

            def on_response(response: Any) -> None:
                if response.request.resource_type == "script" and response.ok:
                    with contextlib.suppress(Exception):
                        scripts[response.url] = response.body()

            page.on("response", on_response)
            page.goto(f"{base}/login", wait_until="networkidle")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_selector('[data-testid="design"]', timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.remove_listener("response", on_response)
            out["scripts"] = {
                url.rsplit("/", 1)[-1]: (len(body), len(gzip.compress(body, 6)))
                for url, body in scripts.items()
            }

            page.add_init_script(LONG_TASKS)
            interactive: list[float] = []
            thumbs: list[float] = []
            newest_card = f'[data-testid="design"] a[href$="/designs/{newest}"]'
            for _ in range(runs):
                page.goto(f"{base}/", wait_until="commit")
                # Interactive: the newest design's link is in the DOM and the page answers.
                page.wait_for_selector(newest_card, timeout=30_000)
                interactive.append(page.evaluate("performance.now()") / 1000)
                page.wait_for_function(
                    """() => {
                      const imgs = [...document.querySelectorAll('[data-testid="design"] img')]
                        .filter((i) => i.getBoundingClientRect().top < innerHeight);
                      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth);
                    }""",
                    timeout=30_000,
                )
                thumbs.append(page.evaluate("performance.now()") / 1000)
            out["interactive_s"] = interactive
            out["thumbs_s"] = thumbs
            out["first_page_tasks"] = page.evaluate("window.__longTasks.slice()")

            page.wait_for_load_state("networkidle")
            out["scroll"] = page.evaluate(SCROLL, {"maxSeconds": 600})
            out["cards_at_end"] = page.locator('[data-testid="design"]').count()
        finally:
            browser.close()
    return out


def report(figures: dict[str, Any], designs: int, seed_s: float) -> None:
    ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
    print(f"\ndesigns in the account: {designs} (made in {seed_s:.0f} s by the local renderer)")
    total_raw = sum(raw for raw, _ in figures["scripts"].values())
    total_gz = sum(gz for _, gz in figures["scripts"].values())
    print("\nfirst visit JavaScript:")
    for name, (raw, gz) in sorted(figures["scripts"].items()):
        print(f"  {name}: {raw / 1024:.1f} KB, {gz / 1024:.1f} KB gzipped")
    print(
        f"  total: {total_raw / 1024:.1f} KB, {total_gz / 1024:.1f} KB gzipped "
        f"(target <= {TARGET_JS_GZ_KB} KB): {ok(total_gz / 1024 <= TARGET_JS_GZ_KB)}"
    )
    inter = figures["interactive_s"]
    thumbs = figures["thumbs_s"]
    med = statistics.median(inter)
    print(f"\nfirst gallery page ({len(inter)} loads):")
    print(
        f"  interactive: median {med:.2f} s, worst {max(inter):.2f} s "
        f"(target <= {TARGET_INTERACTIVE_S} s): {ok(med <= TARGET_INTERACTIVE_S)}"
    )
    print(f"  thumbnails on screen decoded: median {statistics.median(thumbs):.2f} s")
    scroll = figures["scroll"]
    tasks = scroll["tasks"]
    longest = max(tasks, default=0.0)
    print(f"\nscrolling top to bottom ({scroll['seconds']:.0f} s, page {scroll['height']} px):")
    print(f"  main-thread tasks over 50 ms: {len(tasks)}")
    print(
        f"  longest task: {longest:.0f} ms (target: none over {TARGET_LONGEST_TASK_MS} ms): "
        f"{ok(longest <= TARGET_LONGEST_TASK_MS)}"
    )
    print(
        f"  design cards in the DOM: at most {scroll['maxCards']}, "
        f"{figures['cards_at_end']} at the bottom (of {designs})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--designs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5, help="gallery loads to time")
    parser.add_argument("--keep", action="store_true", help="keep the data folder")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print("chromium is not installed (make system-deps)", file=sys.stderr)
        return 2
    if not (DIST / "index.html").exists():
        print("the web app is not built (make web)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    data_dir = Path(tempfile.mkdtemp(prefix="bench-web-"))
    try:
        with running_server(data_dir) as base:
            email = f"bench-web-{secrets.token_hex(4)}@example.com"
            password = secrets.token_urlsafe(16)
            print(f"making {args.designs} designs...", flush=True)
            newest, seed_s = make_designs(base, email, password, args.designs)
            figures = measure(base, email, password, newest, args.runs)
        report(figures, args.designs, seed_s)
    finally:
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
