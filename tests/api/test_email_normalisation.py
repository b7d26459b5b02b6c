"""Look-alike Unicode spellings of an email are one account, or refused, never a second one."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from email_validator import SPECIAL_USE_DOMAIN_NAMES

from designer_bff.auth.schemas import mixes_scripts, normalise_email
from tests.api.test_auth import assert_error

PASSWORD = "correct horse battery"


def full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms (U+FF01...)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def plain_email() -> str:
    return f"paul-{uuid.uuid4().hex[:8]}@example.com"


async def register(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "Paul"}
    )


async def test_full_width_email_is_the_same_account(client: httpx.AsyncClient):
    email = plain_email()
    first = await register(client, email)
    assert first.status_code == 201, first.text
    wide = full_width(email)
    assert wide != email and "＠" in wide

    assert_error(await register(client, wide), 409, "email_taken")
    assert_error(await register(client, email.upper()), 409, "email_taken")
    for spelling in (wide, full_width(email.upper())):
        login = await client.post("/api/auth/login", json={"email": spelling, "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert login.json()["user"]["id"] == first.json()["user"]["id"]
        assert login.json()["user"]["email"] == email


@pytest.mark.parametrize(
    "email",
    [
        "paul@ex\u0430mple.com",  # Cyrillic "а" in a Latin domain label
        "paul@xn--exmple-4nf.com",  # the same domain sent in its ASCII (punycode) form
        "paul@\u0435xample.com",  # Cyrillic "е"
        "paul@exam\u03c1le.com",  # Greek "ρ"
        "p\u0430ul@example.com",  # Cyrillic "а" before the @
    ],
)
async def test_mixed_script_email_is_refused(client: httpx.AsyncClient, email: str):
    body = assert_error(await register(client, email), 422, "validation_error")
    assert body["error"]["details"][0]["type"] == "email_mixed_scripts"
    assert "alphabets" in body["error"]["message"]
    login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 422


async def test_single_script_unicode_email_still_registers(client: httpx.AsyncClient):
    tag = str(uuid.uuid4().int)[:8]  # digits: letters would mix scripts with "иван"
    for email in (f"иван{tag}@пример.рф", f"tanaka{tag}田中@例え.jp"):
        resp = await register(client, email)
        assert resp.status_code == 201, resp.text
        assert resp.json()["user"]["email"] == email


def test_normalise_email():
    assert normalise_email("  ＰＡＵＬ＠ＥＸＡＭＰＬＥ．ＣＯＭ ") == "paul@example.com"
    assert normalise_email("𝐩𝐚𝐮𝐥@example.com") == "paul@example.com"  # mathematical bold
    assert normalise_email("Paul@Example.COM") == "paul@example.com"
    for raw in ("ǰ@example.com", "ﬃ@example.com", "ΣΑΣ@example.com"):
        once = normalise_email(raw)
        assert normalise_email(once) == once  # one fixed spelling


def test_mixes_scripts():
    assert mixes_scripts("ex\u0430mple")
    assert mixes_scripts("exam\u03c1le")
    assert not mixes_scripts("example-123")
    assert not mixes_scripts("пример")
    assert not mixes_scripts("例えtokyo")  # Japanese with Latin is one writing system


@pytest.mark.parametrize("domain", sorted(SPECIAL_USE_DOMAIN_NAMES))
async def test_special_use_domains_are_refused_as_the_document_says(
    client: httpx.AsyncClient, domain: str
):
    # format: email admits them; the document's `not` pattern names exactly these.
    doc = (await client.get("/openapi.json")).json()
    email_schema = doc["components"]["schemas"]["RegisterIn"]["properties"]["email"]
    pattern = re.compile(email_schema["not"]["pattern"])
    for spelling in (f"paul@studio.{domain}", f"PAUL@STUDIO.{domain.upper()}"):
        assert pattern.search(spelling)
        resp = await register(client, spelling)
        assert resp.status_code == 422, resp.text
    for allowed in (f"paul@{domain}studio.com", f"paul@studio.{domain}.com"):
        assert not pattern.search(allowed)
