"""What the remote providers share: Retry-After, status mapping, options, downloads and
the image check."""

from __future__ import annotations

import base64
import email.utils
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from designer_bff.core.http import parse_retry_after
from designer_bff.generation.providers import PermanentProviderError, TransientProviderError
from designer_bff.generation.providers._http import (
    ContentRefused,
    InvalidProviderOptions,
    ProviderAuthFailed,
    ProviderBadResponse,
    ProviderQuotaExceeded,
    ProviderRateLimited,
    ProviderTimeout,
    VendorHTTP,
    error_for_status,
    image_format,
    pick_aspect_ratio,
    with_exclusions,
)
from tests.generation.providers.fakes import NOT_AN_IMAGE, FakeOpenAI, image_size, make_png

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after": email.utils.format_datetime(NOW + timedelta(seconds=30), True)}, 30.0),
        ({"retry-after": email.utils.format_datetime(NOW - timedelta(seconds=30), True)}, 0.0),
        ({"retry-after": "Tue, 01 Dec 2026 12:00:10"}, 10.0),  # no zone: read as GMT
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "later"}, None),
        ({"retry-after": "nan"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


def test_retry_after_date_against_the_clock() -> None:
    header = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    got = parse_retry_after({"retry-after": header})
    assert got is not None and 18.0 <= got <= 20.0


@pytest.mark.parametrize(
    ("status", "error", "transient"),
    [
        (401, ProviderAuthFailed, False),
        (402, ProviderQuotaExceeded, False),
        (403, ProviderAuthFailed, False),
        (400, PermanentProviderError, False),
        (404, PermanentProviderError, False),
        (422, PermanentProviderError, False),
        (408, TransientProviderError, True),
        (409, TransientProviderError, True),
        (429, ProviderRateLimited, True),
        (500, TransientProviderError, True),
        (502, TransientProviderError, True),
        (503, TransientProviderError, True),
    ],
)
def test_status_mapping(status: int, error: type, transient: bool) -> None:
    got = error_for_status("Vendor", status, "sk-secret is wrong", {}, key_setting="VENDOR_KEY")
    assert type(got) is error
    assert got.transient is transient
    if status == 401:
        # Vendors echo part of the key in their 401 text: it never reaches our message.
        assert "sk-secret" not in got.message and "VENDOR_KEY" in got.message
    else:
        assert "sk-secret is wrong" in got.message


def test_status_mapping_carries_retry_after() -> None:
    assert (
        error_for_status("V", 429, "slow down", {"retry-after": "3"}, key_setting="K").retry_after
        == 3
    )
    assert (
        error_for_status("V", 503, "busy", {"retry-after": "4"}, key_setting="K").retry_after == 4
    )
    assert error_for_status("V", 429, "slow down", {}, key_setting="K").retry_after is None


def test_error_codes_are_stable() -> None:
    assert ProviderAuthFailed.code == "provider_auth_failed"
    assert ProviderQuotaExceeded.code == "provider_quota_exceeded"
    assert ContentRefused.code == "content_refused"
    assert InvalidProviderOptions.code == "invalid_provider_options"
    assert ProviderRateLimited.code == "provider_rate_limited"
    assert ProviderTimeout.code == "provider_timeout"
    assert ProviderBadResponse.code == "provider_bad_response"
    assert issubclass(InvalidProviderOptions, ValueError)


def test_aspect_ratio_choice() -> None:
    offered = ("1:1", "2:3", "3:2", "9:16", "16:9")
    assert pick_aspect_ratio({}, offered) == "1:1"
    assert pick_aspect_ratio({"aspect_ratio": "9:16"}, offered) == "9:16"
    assert pick_aspect_ratio({"size": "1024x1536"}, offered) == "2:3"
    assert pick_aspect_ratio({"size": "1792x1024"}, offered) == "16:9"
    with pytest.raises(InvalidProviderOptions, match="21:9"):
        pick_aspect_ratio({"aspect_ratio": "21:9"}, offered)
    with pytest.raises(InvalidProviderOptions, match="WIDTHxHEIGHT"):
        pick_aspect_ratio({"size": "big"}, offered)
    with pytest.raises(InvalidProviderOptions):
        pick_aspect_ratio({"size": "0x100"}, offered)


def test_exclusions_are_said_when_no_negative_prompt_exists() -> None:
    assert with_exclusions("a dress", "floral, sleeves") == "a dress; without floral, sleeves"
    assert with_exclusions("a dress", None) == "a dress"
    assert with_exclusions("a dress", "  ") == "a dress"


async def test_image_check() -> None:
    assert await image_format(make_png(8, 4), "V") == "png"
    with pytest.raises(ProviderBadResponse, match="not a usable image"):
        await image_format(NOT_AN_IMAGE, "V")
    with pytest.raises(ProviderBadResponse, match="not a usable image"):
        await image_format(make_png(40, 40)[:-30], "V")  # truncated
    with pytest.raises(ProviderBadResponse, match="empty"):
        await image_format(b"", "V")
    with pytest.raises(ProviderBadResponse):
        await image_format(b"GIF89a" + b"\0" * 30, "V")  # not a format we take


async def test_unreachable_server_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = VendorHTTP(label="Vendor", base_url=f"http://127.0.0.1:{port}", timeout_s=2)
    try:
        with pytest.raises(TransientProviderError, match="could not reach Vendor") as caught:
            await http.send("GET", f"http://127.0.0.1:{port}/x")
        assert type(caught.value) is TransientProviderError
    finally:
        await http.aclose()


class TestDownloads:
    async def test_data_uri(self) -> None:
        http = VendorHTTP(label="V", base_url="http://127.0.0.1:1", timeout_s=1)
        png = make_png(3, 3)
        assert await http.download("data:image/png;base64," + base64.b64encode(png).decode()) == png
        with pytest.raises(ProviderBadResponse):
            await http.download("data:image/png,rawbytes")
        with pytest.raises(ProviderBadResponse):
            await http.download("data:image/png;base64,***")
        with pytest.raises(ProviderBadResponse, match="not a URL"):
            await http.download("ftp://example.com/x.png")

    async def test_retried_inside_the_attempt(self, openai_server: FakeOpenAI) -> None:
        http = VendorHTTP(label="V", base_url=openai_server.base_url, timeout_s=2, pause_s=0.01)
        try:
            png = make_png(10, 20)
            url = openai_server.file_url(png)
            openai_server.script(downloads=["503", "500"])
            assert await http.download(url, deadline=time.monotonic() + 10) == png
            assert len(openai_server.sent("GET", "/files/")) == 3
            # No key travels to the download host.
            assert all(r.authorization is None for r in openai_server.requests)
            assert image_size(png) == (10, 20)
        finally:
            await http.aclose()

    async def test_persistent_failure_is_transient(self, openai_server: FakeOpenAI) -> None:
        http = VendorHTTP(label="V", base_url=openai_server.base_url, timeout_s=2, pause_s=0.01)
        try:
            url = openai_server.file_url(make_png(4, 4))
            openai_server.script(downloads=["404", "404", "404"])
            with pytest.raises(ProviderBadResponse, match="HTTP 404"):
                await http.download(url, deadline=time.monotonic() + 10)
            assert len(openai_server.sent("GET", "/files/")) == 3
        finally:
            await http.aclose()

    async def test_slow_download_times_out(self, openai_server: FakeOpenAI) -> None:
        http = VendorHTTP(label="V", base_url=openai_server.base_url, timeout_s=0.3, pause_s=0.01)
        try:
            url = openai_server.file_url(make_png(4, 4))
            openai_server.script(downloads=["slow:1", "slow:1", "slow:1"])
            started = time.monotonic()
            with pytest.raises(ProviderTimeout, match="timed out"):
                await http.download(url, deadline=time.monotonic() + 0.5)
            assert time.monotonic() - started < 1.5
        finally:
            await http.aclose()
