"""Learning through the service: feedback -> preferences -> the next generation, global
figures under k-anonymity, corrections, and the routes."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import delete, select

from designer_bff.auth.models import User
from designer_bff.designs.models import Image
from designer_bff.gallery.feedback import FeedbackChange
from designer_bff.garments.spec import GarmentSpec
from designer_bff.generation.engine import batch_seed
from designer_bff.generation.prompt import Preferences, build_prompt
from designer_bff.learning.models import GlobalLearning
from designer_bff.services import Services
from tests.api.test_auth import assert_error
from tests.billing.helpers import make_admin
from tests.conftest import AuthedUser, register_user, say
from tests.gallery.helpers import make_images
from tests.generation.helpers import wait_for_job


async def feedback(
    client: httpx.AsyncClient, user: AuthedUser, ids: list[uuid.UUID], **body: Any
) -> None:
    resp = await client.post(
        "/api/images/feedback",
        headers=user.headers,
        json={"image_ids": [str(i) for i in ids], **body},
    )
    assert resp.status_code == 200, resp.text


async def lengths_of(services: Services, job_id: str) -> Counter[str]:
    async with services.sessionmaker() as db:
        images = (await db.scalars(select(Image).where(Image.job_id == uuid.UUID(job_id)))).all()
    return Counter(i.params["filled_spec"]["length"] for i in images)


async def ten_dresses_job(client: httpx.AsyncClient, user: AuthedUser) -> str:
    job_id = (await say(client, user, "make me 10 dresses"))["job_id"]
    assert job_id
    job = await wait_for_job(client, user, job_id)
    assert job["status"] == "completed", job
    return str(job_id)


async def ten_dresses(client: httpx.AsyncClient, services: Services, user: AuthedUser) -> Counter:
    return await lengths_of(services, await ten_dresses_job(client, user))


async def test_outlier_maxis_and_disliked_minis_lean_the_next_dresses_to_maxi(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    maxi = await make_images(services, user, 10, spec={"garment_type": "dress", "length": "maxi"})
    mini = await make_images(services, user, 10, spec={"garment_type": "dress", "length": "mini"})
    await feedback(client, user, maxi, type="outlier")
    await feedback(client, user, mini, type="dislike")

    # What the builder does with what was learned, over 300 fixed (seed, index) draws:
    # exact figures, no chance involved.
    async with services.sessionmaker() as db:
        profile, prefs = await services.learning.prompt_inputs(db, uuid.UUID(user.id))
    dress = GarmentSpec(garment_type="dress")

    def lengths(preferences: Preferences | None) -> Counter[str]:
        return Counter(
            build_prompt(
                dress, profile=profile, preferences=preferences, seed=s, index=i
            ).spec.length
            or ""
            for s in range(30)
            for i in range(10)
        )

    learned, plain = lengths(prefs), lengths(None)
    assert learned["maxi"] >= 3 * plain["maxi"], (learned, plain)
    assert learned["mini"] * 4 <= plain["mini"], (learned, plain)

    # And the next "make me 10 dresses" through the service uses it: exactly the draws
    # above for the job's fill seed (a count threshold on one job's 10 draws failed
    # about one run in thirty, the job id being random).
    job_id = await ten_dresses_job(client, user)
    made = await lengths_of(services, job_id)
    seed = batch_seed(uuid.UUID(job_id))
    expected = Counter(
        build_prompt(dress, profile=profile, preferences=prefs, seed=seed, index=i).spec.length
        or ""
        for i in range(10)
    )
    assert made == expected, (made, expected)

    body = (await client.get("/api/preferences", headers=user.headers)).json()
    assert body["feedback_count"] == 20
    texts = " ".join(s["text"] for s in body["statements"])
    assert "maxi" in texts and "mini" in texts, body["statements"]
    maxi_row = next(v for v in body["values"] if v["value"] == "maxi")
    mini_row = next(v for v in body["values"] if v["value"] == "mini")
    assert maxi_row["successes"] == 10 and mini_row["failures"] == 10
    assert maxi_row["score"] > 0.7 > 0.2 > mini_row["score"]


async def test_preferences_update_at_once_after_feedback(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    ids = await make_images(services, user, 4, spec={"garment_type": "skirt", "colors": ["red"]})
    before = (await client.get("/api/preferences", headers=user.headers)).json()
    assert before["feedback_count"] == 0 and before["cold_start"] is True
    assert {v["value"] for v in before["values"]} >= {"skirt", "red"}  # shown, weakly
    await feedback(client, user, ids, type="like")
    after = (await client.get("/api/preferences", headers=user.headers)).json()
    red = next(v for v in after["values"] if v["value"] == "red")
    assert after["feedback_count"] == 4 and red["successes"] == 4
    # Taking a verdict back takes its credit back.
    await client.post(
        "/api/images/feedback",
        headers=user.headers,
        json={"image_ids": [str(i) for i in ids], "type": "like", "clear": True},
    )
    back = (await client.get("/api/preferences", headers=user.headers)).json()
    assert back["feedback_count"] == 0
    assert next(v for v in back["values"] if v["value"] == "red")["successes"] == 0


async def test_corrections_forget_avoid_prefer(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    maxi = await make_images(services, user, 6, spec={"garment_type": "dress", "length": "maxi"})
    await feedback(client, user, maxi, type="outlier")
    h = user.headers
    resp = await client.put(
        "/api/preferences/length/maxi", headers=h, json={"correction": "forget"}
    )
    assert resp.status_code == 200, resp.text
    row = next(v for v in resp.json()["values"] if v["value"] == "maxi")
    assert row["correction"] == "forget" and row["successes"] == 0
    # Avoid: never filled in, even where the command leaves the length open.
    resp = await client.put("/api/preferences/length/Midi", headers=h, json={"correction": "avoid"})
    assert resp.status_code == 200
    assert any(v["value"] == "midi" and v["correction"] == "avoid" for v in resp.json()["values"])
    for _ in range(2):
        assert (await ten_dresses(client, services, user))["midi"] == 0
    # ...but what the designer says still wins.
    job_id = (await say(client, user, "make me 2 midi dresses"))["job_id"]
    assert (await wait_for_job(client, user, job_id))["status"] == "completed"
    assert (await lengths_of(services, job_id))["midi"] == 2
    # null removes the correction.
    resp = await client.put("/api/preferences/length/midi", headers=h, json={"correction": None})
    assert not any(v["value"] == "midi" and v["correction"] for v in resp.json()["values"])
    # Forget everything: nothing learned remains, the feedback itself stays.
    assert (await client.delete("/api/preferences", headers=h)).status_code == 204
    gone = (await client.get("/api/preferences", headers=h)).json()
    assert all(v["successes"] == 0 for v in gone["values"]) and not gone["statements"]
    page = (await client.get("/api/images", headers=h, params={"is_outlier": "true"})).json()
    assert len(page["items"]) == 6


async def test_bad_corrections_are_refused(client: httpx.AsyncClient, user: AuthedUser):
    h = user.headers
    for path, body, status, code in (
        ("/api/preferences/mood/happy", {"correction": "avoid"}, 422, "invalid_preference"),
        ("/api/preferences/length/galactic", {"correction": "avoid"}, 404, "not_found"),
        ("/api/preferences/length/red", {"correction": "avoid"}, 404, "not_found"),
        ("/api/preferences/length/maxi", {"correction": "sometimes"}, 422, "validation_error"),
        ("/api/preferences/length/maxi", {}, 422, "validation_error"),
    ):
        assert_error(await client.put(path, headers=h, json=body), status, code)
    assert (await client.get("/api/preferences")).status_code == 401


async def _designers(services: Services, n: int) -> list[AuthedUser]:
    out = []
    async with services.sessionmaker() as db:
        for _ in range(n):
            user = User(email=f"k-{uuid.uuid4().hex}@example.com", password_hash="-", name="K")
            db.add(user)
            await db.flush()
            out.append(AuthedUser(str(user.id), user.email, "", "", ""))
        await db.commit()
    return out


async def _fans_of(services: Services, users: list[AuthedUser], colour: str) -> None:
    """Each user marks 3 designs in `colour` as standouts (through the feedback service)."""
    for u in users:
        ids = await make_images(services, u, 3, spec={"garment_type": "coat", "colors": [colour]})
        async with services.sessionmaker() as db:
            await services.feedback.apply(db, uuid.UUID(u.id), ids, FeedbackChange(type="outlier"))


async def test_global_figures_are_k_anonymous(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
):
    try:
        await _global_figures_are_k_anonymous(client, services, user)
    finally:
        # The backend is shared by the session's tests: no global prior is left behind.
        async with services.sessionmaker() as db:
            await db.execute(delete(GlobalLearning))
            await db.commit()
        services.learning.drop_cached_prior()


async def _global_figures_are_k_anonymous(
    client: httpx.AsyncClient, services: Services, user: AuthedUser
) -> None:
    assert services.settings.learning_k == 5
    await _fans_of(services, await _designers(services, 4), "chartreuse")
    await _fans_of(services, await _designers(services, 5), "teal")
    admin = await register_user(client, "admin")
    await make_admin(services, admin)
    resp = await client.post("/api/admin/global-learning/refresh", headers=admin.headers)
    assert resp.status_code == 200, resp.text

    async with services.sessionmaker() as db:
        stored = {
            (r.attribute_type, r.attribute_value) for r in await db.scalars(select(GlobalLearning))
        }
    assert ("colors", "teal") in stored and ("colors", "chartreuse") not in stored
    assert all(r[1] != "chartreuse" for r in stored)

    trends = (await client.get("/api/trends", headers=user.headers)).json()
    colours = {i["value"]: i for i in trends["attributes"]["colors"]}
    assert "teal" in colours and "chartreuse" not in colours
    assert colours["teal"] == {
        "value": "teal",
        "success_rate": 1.0,
        "successes": 15,
        "designs": 15,
        "designers": 5,
    }
    assert trends["k"] == 5
    listing = (await client.get("/api/admin/global-learning", headers=admin.headers)).json()
    assert all(i["user_count"] >= 5 for i in listing["items"])
    assert {i["attribute_value"] for i in listing["items"]} >= {"teal", "coat"}
    assert "chartreuse" not in {i["attribute_value"] for i in listing["items"]}
    assert_error(
        await client.get("/api/admin/global-learning", headers=user.headers), 403, "admin_required"
    )

    # A new designer's generation inputs: the 5-designer value is their prior, the
    # 4-designer one is nowhere.
    async with services.sessionmaker() as db:
        _, prefs = await services.learning.prompt_inputs(db, uuid.UUID(user.id))
    assert prefs is not None
    assert "teal" in prefs.posteriors["colors"] and "chartreuse" not in prefs.posteriors["colors"]
    a, b = prefs.posteriors["colors"]["teal"]
    assert a / (a + b) > 0.6
    mine = (await client.get("/api/preferences", headers=user.headers)).json()
    assert mine["cold_start"] is True
    assert "chartreuse" not in str(mine)
