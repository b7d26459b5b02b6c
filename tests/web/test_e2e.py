"""The web app in Debian's Chromium against the real server (`designer-bff serve`, the
embedded default), flow by flow as a designer uses it: sign up, generate by command, watch
designs arrive live, open one and mark it an outlier, review, collect, reorder, share and
revoke; speak a command through Chromium's fake microphone; an access token that expires
and refreshes, and a session that ends. Every page is scanned with axe-core (no serious
or critical violation) and photographed at phone and desktop widths into
web/e2e/screenshots/ (not committed)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require
from tests.ops.test_cli import free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "web" / "e2e" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
PASSWORD = "velvet-and-linen-42"
DESIGN_LINK = 'a[href^="/designs/"]'

Server = Callable[..., str]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Server]:
    """Starts `designer-bff serve` as `make run` does (embedded), with extra settings."""
    require(CHROMIUM.exists(), "chromium is not installed (apt-get install chromium)")
    require((DIST / "index.html").exists(), "the web app is not built (make web)")
    require(AXE.exists(), "web/node_modules is not installed (make web)")
    procs: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        port = free_port()
        origin = f"http://127.0.0.1:{port}"
        data = tmp_path / f"server-{len(procs)}"
        data.mkdir()
        # Socket.IO accepts only CORS_ORIGINS, its own origin included (make run's default
        # list has http://localhost:5000).
        procs.append(
            start_server(data, port, log_file=data / "server.log", CORS_ORIGINS=origin, **env)
        )
        return origin

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)


class Studio:
    """One Chromium with the checks every page gets: no script error, an axe scan,
    screenshots at phone and desktop widths."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.errors: list[str] = []
        self.violations: list[str] = []

    def page(self, context: Any = None) -> Any:
        page = (context or self.browser.new_context(viewport=DESKTOP)).new_page()
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return page

    def check(self, page: Any, name: str) -> None:
        page.wait_for_load_state("networkidle")
        self.audit(page, name)
        SHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            page.wait_for_timeout(300)  # the masonry re-flows on resize
            if label == "phone":
                self.audit(page, f"{name} (phone)")
            page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)

    def audit(self, page: Any, name: str) -> None:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated over the DevTools protocol: the app's CSP (no inline scripts) stays on.
            page.evaluate(AXE.read_text() + "\n;undefined")
        found = page.evaluate(
            """async () => {
              const r = await axe.run(document, { resultTypes: ["violations"] });
              return r.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.id} (${v.impact}): ${v.help} -- ` +
                  v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
            }"""
        )
        self.violations.extend(f"{name}: {v}" for v in found)

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.violations == [], "\n".join(self.violations)


@pytest.fixture
def studio() -> Iterator[Studio]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield Studio(browser)
        finally:
            browser.close()


def sign_up(page: Any, base: str, name: str = "Ada Lovelace") -> str:
    from playwright.sync_api import expect

    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(f"{base}/signup")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Your studio is ready")).to_be_visible()
    return email


def design_order(page: Any) -> list[str]:
    return list(
        page.locator(f'[data-testid="design"] {DESIGN_LINK}').evaluate_all(
            "links => links.map((a) => a.getAttribute('href'))"
        )
    )


def test_a_designers_day(serve: Server, studio: Studio):
    """Sign up -> 4 designs live -> detail -> outlier -> review -> a collection of two,
    reordered -> share link for a logged-out visitor -> revoke; another designer sees none
    of it."""
    from playwright.sync_api import expect

    base = serve()
    page = studio.page()
    page.goto(f"{base}/signup")
    studio.check(page, "signup")
    page.goto(f"{base}/login")
    studio.check(page, "login")
    sign_up(page, base)
    studio.check(page, "gallery-empty")

    command = page.get_by_role("textbox", name="Command")
    command.fill("make me 4 bohemian dresses")
    command.press("Enter")
    expect(page.get_by_text("You said")).to_be_visible()
    expect(page.get_by_role("combobox", name="Change style: bohemian")).to_have_value("bohemian")
    expect(page.get_by_role("combobox", name="Change garment: dress")).to_have_value("dress")
    expect(page.get_by_role("spinbutton", name="Quantity")).to_have_value("4")
    studio.check(page, "command-understood")

    page.get_by_role("button", name="Generate", exact=True).click()
    # The gallery is not fetched again: these come from Socket.IO image.created.
    designs = page.get_by_test_id("design")
    expect(designs).to_have_count(4, timeout=90_000)
    expect(page.locator(".card-media img.loaded")).to_have_count(4, timeout=30_000)
    expect(page.get_by_role("list", name="Generations")).to_contain_text("4 of 4")
    studio.check(page, "gallery")

    # Open one design and mark it an outlier there.
    first = design_order(page)[0]
    page.locator(f'[data-testid="design"] a[href="{first}"]').click()
    expect(page).to_have_url(re.compile(re.escape(first) + "$"))
    outlier = page.get_by_role("button", name="Outlier", exact=True)
    expect(outlier).to_have_attribute("aria-pressed", "false")
    outlier.click()
    expect(outlier).to_have_attribute("aria-pressed", "true")
    studio.check(page, "design-detail")

    page.get_by_role("link", name="Gallery", exact=True).click()
    page.get_by_role("link", name="Outliers", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?outliers=true$"))
    expect(designs).to_have_count(1)
    assert design_order(page) == [first]
    page.reload()  # the filter lives in the URL: a bookmark shows the same view
    expect(page.get_by_test_id("design")).to_have_count(1)
    studio.check(page, "gallery-outliers")

    # "show" acts at once and opens the view it names.
    page.get_by_role("link", name="All designs").click()
    expect(designs).to_have_count(4)
    command.fill("show me my outliers")
    command.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Showing your outliers")
    expect(page).to_have_url(re.compile(r"\?outliers=true$"))
    expect(designs).to_have_count(1)

    # Review mode: a verdict by key, then undo.
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()
    progress = page.get_by_text(re.compile(r"\d+ of \d+\+? reviewed"))
    expect(progress).to_contain_text("0 of")
    page.keyboard.press("l")
    expect(progress).to_contain_text("1 of")
    page.keyboard.press("u")
    expect(progress).to_contain_text("0 of")
    studio.check(page, "review")

    # Two designs into a new collection from the gallery.
    page.get_by_role("link", name="Gallery", exact=True).click()
    page.get_by_role("link", name="All designs").click()
    expect(designs).to_have_count(4)
    order = design_order(page)
    page.get_by_role("button", name="Select", exact=True).click()
    checks = page.get_by_role("checkbox", name=re.compile("^Select "))
    checks.nth(1).check()
    checks.nth(2).check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    page.get_by_role("button", name="Add to collection", exact=True).click()
    adding = page.get_by_role("form", name="Add to collection")
    adding.get_by_role("combobox").select_option(label="New collection…")
    adding.get_by_role("textbox").fill("Summer Capsule")
    page.get_by_role("button", name="Create and add").click()
    expect(page.get_by_text(re.compile("Created “Summer Capsule”"))).to_be_visible()
    studio.check(page, "gallery-select")

    page.get_by_role("link", name="Collections", exact=True).click()
    expect(page.get_by_role("heading", name="Collections", exact=True)).to_be_visible()
    studio.check(page, "collections")
    page.get_by_role("link", name=re.compile("Summer Capsule")).first.click()
    expect(page.get_by_role("heading", name="Summer Capsule", exact=True)).to_be_visible()
    members = page.locator(f"main {DESIGN_LINK}")
    expect(members).to_have_count(2)
    before = members.evaluate_all("links => links.map((a) => a.getAttribute('href'))")
    assert sorted(before) == sorted(order[1:3])
    page.get_by_role("button", name=re.compile("^Move later: ")).first.click()
    expect(members.first).to_have_attribute("href", before[1])
    page.reload()  # the order was saved
    expect(members.first).to_have_attribute("href", before[1])
    expect(members.nth(1)).to_have_attribute("href", before[0])
    # And back by drag and drop: the second design dropped on the left half of the first.
    cards = page.locator("main li.col-design")
    cards.nth(1).drag_to(cards.nth(0), target_position={"x": 12, "y": 40})
    expect(members.first).to_have_attribute("href", before[0])
    page.reload()
    expect(members.first).to_have_attribute("href", before[0])

    page.get_by_role("button", name="Create share link").click()
    link = page.get_by_label("Share link")
    expect(link).to_have_value(re.compile(r"/shared/[\w-]{20,}$"))
    share_url = link.input_value()
    studio.check(page, "collection")

    # A logged-out visitor sees the collection, and only it.
    visitor = studio.page()
    visitor.goto(share_url)
    expect(visitor.get_by_role("heading", name="Summer Capsule")).to_be_visible()
    expect(visitor.locator("main img")).to_have_count(2)
    expect(visitor.get_by_role("textbox", name="Command")).to_have_count(0)
    studio.check(visitor, "shared")

    page.get_by_role("button", name="Revoke link").click()
    expect(page.get_by_role("button", name="Create share link")).to_be_visible()
    visitor.reload()
    expect(visitor.get_by_role("heading", name="This link no longer works")).to_be_visible()
    studio.check(visitor, "shared-revoked")

    page.get_by_role("link", name="History").click()
    expect(page.get_by_text("show me my outliers", exact=True)).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile(r"^Run again\b.*show me my outliers"))
    ).to_be_visible()
    studio.check(page, "history")
    page.get_by_role("link", name="Collections", exact=True).click()
    page.get_by_role("link", name=re.compile("Summer Capsule")).first.click()
    expect(page.get_by_role("heading", name="Summer Capsule", exact=True)).to_be_visible()
    collection_path = page.url.removeprefix(base)

    # Another designer, in another browser: none of the first one's work, by any URL.
    other = studio.page()
    sign_up(other, base, name="Grace Hopper")
    expect(other.get_by_test_id("design")).to_have_count(0)
    other.goto(f"{base}{first}")
    expect(other.get_by_role("heading", name="Design not found")).to_be_visible()
    studio.check(other, "design-not-found")
    other.goto(f"{base}{collection_path}")
    expect(other.get_by_role("heading", name="This collection is gone")).to_be_visible()
    other.goto(f"{base}/api/images{first.removeprefix('/designs')}/file?variant=thumb")
    assert other.evaluate("document.body.innerText").find("not_found") >= 0

    studio.assert_clean()


def test_a_spoken_command(serve: Server, tmp_path: Path):
    """The microphone path: Chromium's fake microphone plays a WAV of a spoken command."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)
    espeak = shutil.which("espeak-ng")
    require(espeak is not None, "espeak-ng is not installed (apt-get install espeak-ng)")
    assert espeak is not None
    wav = tmp_path / "command.wav"
    subprocess.run(
        [
            espeak,
            "-v",
            "en-us",
            "-s",
            "130",
            "-g",
            "8",
            "-w",
            str(wav),
            "make me ten bohemian style dresses",
        ],
        check=True,
        timeout=30,
    )
    base = serve(SPEECH_PROVIDER="local")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}%noloop",
            ],
        )
        try:
            context = browser.new_context(viewport=DESKTOP, permissions=["microphone"])
            voice = Studio(browser)
            page = voice.page(context)
            sign_up(page, base)
            record = page.get_by_role("button", name="Record a command")
            record.click()
            stop = page.get_by_role("button", name="Stop recording")
            expect(stop).to_be_visible()
            page.wait_for_timeout(4_000)  # the clip is about two seconds
            stop.click()
            expect(page.get_by_text(re.compile(r"Heard: .*bohemian", re.I))).to_be_visible(
                timeout=60_000
            )
            style = page.get_by_role("combobox", name="Change style: bohemian")
            expect(style).to_have_value("bohemian")
            garment = page.get_by_role("combobox", name="Change garment: dress")
            expect(garment).to_have_value("dress")
            # Whisper tiny.en hears the number as it will ("ten", "the 10", "Lieten"): the
            # count is whatever the bar understood, and exactly that many designs arrive.
            count = int(page.get_by_role("spinbutton", name="Quantity").input_value())
            voice.check(page, "voice-heard")
            page.get_by_role("button", name="Generate", exact=True).click()
            # The gallery is virtualised: the tray counts what was made.
            expect(page.get_by_role("list", name="Generations")).to_contain_text(
                f"Done · {count} of {count}", timeout=90_000
            )
            expect(page.get_by_test_id("design").first).to_be_visible()
            voice.assert_clean()
        finally:
            browser.close()


def test_tokens_refresh_unseen_and_an_ended_session_keeps_the_work(serve: Server, studio: Studio):
    """Access tokens of 3 s: the app refreshes them without a word. When the session is
    ended elsewhere, the next action lands on the login page with a plain message, and
    logging in again brings back the page and the unsent command."""
    from playwright.sync_api import expect

    base = serve(ACCESS_TOKEN_TTL_S="3")
    page = studio.page()
    email = sign_up(page, base)
    command = page.get_by_role("textbox", name="Command")
    command.fill("make me 2 red skirts")
    command.press("Enter")
    expect(page.get_by_role("spinbutton", name="Quantity")).to_have_value("2")
    # A chip changed before Generate: what is made is what the chips say.
    page.get_by_role("combobox", name="Change colour: red").select_option("navy")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_test_id("design")).to_have_count(2, timeout=90_000)
    expect(page.get_by_role("list", name="Generations")).to_contain_text("2 navy skirts")

    # A large job cancelled from the tray: it stops, and what was made stays.
    command.fill("make me 100 linen shirts")
    command.press("Enter")
    page.get_by_role("button", name="Generate", exact=True).click()
    jobs = page.get_by_role("list", name="Generations")
    jobs.get_by_role("button", name=re.compile("^Cancel 100 ")).click()
    expect(jobs).to_contain_text(re.compile(r"Cancelled · \d+ of 100"))
    said = jobs.inner_text()
    page.wait_for_timeout(1_500)
    assert jobs.inner_text() == said  # nothing is made after the cancel

    page.wait_for_timeout(4_000)  # the access token (and the files cookie) expired
    page.get_by_role("link", name="Collections", exact=True).click()
    expect(page.get_by_role("heading", name="Collections", exact=True)).to_be_visible()
    page.get_by_role("link", name="Gallery", exact=True).click()
    expect(page.locator(".card-media img.loaded").first).to_be_visible(timeout=30_000)
    assert "/login" not in page.url

    # A command typed on another page, then the session ends on another device (its
    # refresh token is revoked) before it is sent. Pages load before the session ends,
    # so the send is the first request refused (a page load refused mid-typing would
    # race the typing).
    page.get_by_role("link", name="Collections", exact=True).click()
    expect(page.get_by_role("heading", name="Collections", exact=True)).to_be_visible()
    command = page.get_by_role("textbox", name="Command")
    command.fill("make me 3 linen blazers")
    tokens = json.loads(page.evaluate("localStorage.getItem('designer-bff.tokens')"))
    answer = httpx.post(
        f"{base}/api/auth/logout",
        json={"refresh_token": tokens["refresh"]},
        headers={"Authorization": f"Bearer {tokens['access']}"},
    )
    assert answer.status_code == 204, answer.text
    time.sleep(4)  # and the access token runs out

    assert "/login" not in page.url
    command.press("Enter")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Your session has ended")).to_be_visible()
    studio.check(page, "session-ended")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/collections$"))
    expect(page.get_by_role("textbox", name="Command")).to_have_value("make me 3 linen blazers")
    studio.assert_clean()


def test_costs_budget_estimate_and_enhance(serve: Server, studio: Studio, tmp_path: Path):
    """A deployment that prices its renderer: the designer sets a budget, sees what a
    command will cost before Generate, is told plainly when it is over, reads the costs
    page, and enhances a design (its cost shown, the enhanced copy linked)."""
    from playwright.sync_api import expect

    prices = tmp_path / "prices.yaml"
    prices.write_text("providers:\n  local-flats:\n    local-flats-v1: {generate: 0.04}\n")
    base = serve(PRICES_FILE=str(prices))
    page = studio.page()
    sign_up(page, base)

    page.get_by_role("link", name="Costs", exact=True).click()
    expect(page.get_by_role("heading", name="Costs", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Nothing spent this month")).to_be_visible()
    page.get_by_label("Monthly budget in dollars").fill("0.20")
    page.get_by_role("button", name="Save budget").click()
    expect(page.get_by_text("Budget saved: $0.20 a month.")).to_be_visible()
    studio.check(page, "costs-empty")

    command = page.get_by_role("textbox", name="Command")
    command.fill("make me 8 linen shirts")
    command.press("Enter")
    expect(page.get_by_text("8 designs · $0.32 · $0.20 left this month")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Over your monthly budget")
    page.get_by_role("spinbutton", name="Quantity").fill("3")
    expect(page.get_by_text("3 designs · $0.12 · $0.20 left this month")).to_be_visible()
    studio.check(page, "command-estimate")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_role("list", name="Generations")).to_contain_text("3 of 3", timeout=90_000)

    page.get_by_role("link", name="Costs", exact=True).click()
    expect(page.get_by_role("region", name="Spent this month")).to_contain_text("$0.12")
    expect(page.get_by_role("meter", name="Budget used")).to_be_visible()
    studio.check(page, "costs")

    # Over what is left now: the service refuses (402) and the command stays.
    command.fill("make me 3 linen shirts")
    command.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Over your monthly budget")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("This would cost $0.12, and $0.08 is left")).to_be_visible()
    expect(page.get_by_role("spinbutton", name="Quantity")).to_have_value("3")

    page.get_by_role("link", name="Gallery", exact=True).click()
    expect(page.locator('[data-testid="design"]')).to_have_count(3)
    first = design_order(page)[0]
    page.locator(f'[data-testid="design"] a[href="{first}"]').click()
    expect(page.get_by_text("$0.04 · $0.12 for the whole job of 3")).to_be_visible()
    page.get_by_role("radio", name="×2").check()
    page.get_by_role("button", name="Enhance", exact=True).click()
    page.get_by_role("link", name="Open the enhanced design").click(timeout=60_000)
    expect(page.get_by_role("link", name="View the source design")).to_be_visible()
    studio.check(page, "design-enhanced")
    studio.assert_clean()


def test_portfolio_and_style_profile(serve: Server, studio: Studio):
    """A new designer uploads past work (two pictures and a zip), watches it analysed,
    reads the style profile it made, bans a value and pins a colour, and sees the next
    designs follow the pin."""
    from playwright.sync_api import expect

    from tests.portfolio.images import BURGUNDY, NAVY, WHITE, dress, zip_of

    base = serve()
    page = studio.page()
    sign_up(page, base)
    page.get_by_role("link", name="Portfolio", exact=True).click()
    expect(
        page.get_by_role("heading", name="Start with the work you have already made")
    ).to_be_visible()
    studio.check(page, "portfolio-empty")

    files = [
        {"name": "navy-1.png", "mimeType": "image/png", "buffer": dress(NAVY, WHITE, variant=1)},
        {"name": "navy-2.png", "mimeType": "image/png", "buffer": dress(NAVY, WHITE, variant=2)},
        {
            "name": "older.zip",
            "mimeType": "application/zip",
            "buffer": zip_of({"burgundy.png": dress(BURGUNDY, variant=3)}),
        },
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"not a picture at all"},
    ]
    page.get_by_label("Upload images or a zip").set_input_files(files)
    expect(page.get_by_text("Analysed 3 of 3")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("list", name="Files of this upload")).to_contain_text("notes.png")
    cards = page.locator(".pf-card")
    expect(cards).to_have_count(3)
    studio.check(page, "portfolio")

    page.get_by_role("link", name="Style profile", exact=True).click()
    expect(page.get_by_role("heading", name="Palette")).to_be_visible()
    palette = page.locator(".sp-palette li")
    expect(palette.first).to_contain_text("navy")
    expect(page.get_by_text("3 images analysed", exact=False).first).to_be_visible()
    ban = page.get_by_role("button", name="Ban burgundy", exact=True)
    ban.click()
    expect(ban).to_have_attribute("aria-pressed", "true")
    pin = page.get_by_role("button", name="Pin navy", exact=True)
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    studio.check(page, "style-profile")

    command = page.get_by_role("textbox", name="Command")
    command.fill("make me 2 dresses")
    command.press("Enter")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_role("list", name="Generations")).to_contain_text("2 of 2", timeout=90_000)
    page.get_by_role("link", name="Gallery", exact=True).click()
    # The gallery shows the new designs (the portfolio has a page of its own); each is
    # navy, the pinned colour the command left open.
    expect(page.locator('[data-testid="design"]')).to_have_count(2)
    page.locator(f'[data-testid="design"] a[href="{design_order(page)[0]}"]').click()
    expect(page.get_by_role("main")).to_contain_text("navy")
    studio.check(page, "design-pinned")
    studio.assert_clean()


def test_learning_nightly_and_analytics(serve: Server, studio: Studio):
    """A designer marks standouts in review, reads what was learned and corrects it,
    schedules a nightly batch in their own time zone, and reads their analytics."""
    from playwright.sync_api import expect

    base = serve()
    page = studio.page(studio.browser.new_context(viewport=DESKTOP, timezone_id="Europe/Paris"))
    sign_up(page, base)
    page.get_by_role("link", name="Learned", exact=True).click()
    expect(page.get_by_role("heading", name="What I’ve learned about you")).to_be_visible()
    studio.check(page, "preferences-empty")

    command = page.get_by_role("textbox", name="Command")
    command.fill("make me 4 red maxi dresses")
    command.press("Enter")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_role("list", name="Generations")).to_contain_text("4 of 4", timeout=90_000)

    page.get_by_role("link", name="Review", exact=True).click()
    progress = page.get_by_text(re.compile(r"\d+ of \d+\+? reviewed"))
    expect(progress).to_contain_text("0 of")
    for n in range(1, 5):
        page.keyboard.press("o")
        expect(progress).to_contain_text(f"{n} of")

    page.get_by_role("link", name="Learned", exact=True).click()
    avoid = page.get_by_role("button", name=re.compile(r"^Avoid maxi"))
    expect(avoid).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("main")).to_contain_text("4")  # four standouts counted
    avoid.click()
    expect(avoid).to_have_attribute("aria-pressed", "true")
    studio.check(page, "preferences")

    page.get_by_role("link", name="Nightly", exact=True).click()
    expect(page.get_by_role("heading", name="Nightly designs")).to_be_visible()
    # The browser's zone is offered for a designer who has not set one.
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")
    page.get_by_label("Make designs every night").check()
    page.get_by_label("Time", exact=True).fill("03:00")
    page.get_by_label("Designs a night").fill("5")
    page.get_by_role("button", name="Save nightly settings").click()
    expect(page.get_by_text("Saved. Your designs will be ready in the morning.")).to_be_visible()
    next_run = page.get_by_role("region", name="Next run")
    expect(next_run).to_contain_text("03:00")
    studio.check(page, "nightly")

    page.get_by_role("link", name="Analytics", exact=True).click()
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    glance = page.get_by_role("region", name="At a glance", exact=True)
    expect(glance).to_contain_text("4")
    expect(page.get_by_role("region", name="Provider performance", exact=True)).to_contain_text(
        "local-flats"
    )
    studio.check(page, "analytics")
    studio.assert_clean()
