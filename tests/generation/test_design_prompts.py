"""Each design of a job gets its own prompt from the prompt builder, in its provider's
family: the asked spec stays the design's, the filled one goes to the provider."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from designer_bff.designs.models import RESOLVED_KEY, Image
from designer_bff.garments.spec import GarmentSpec
from designer_bff.generation.engine import batch_seed, design_seed
from designer_bff.generation.prompt import build_prompt
from designer_bff.services import Services
from tests.conftest import AuthedUser
from tests.generation.helpers import start_job, wait_for_job


async def test_each_design_stores_its_prompt_and_filled_spec(
    client: httpx.AsyncClient, user: AuthedUser, services: Services
) -> None:
    asked = {"garment_type": "dress", "styles": ["bohemian"], "exclude": {"colors": ["brown"]}}
    body = await start_job(client, user, asked, quantity=4)
    job = await wait_for_job(client, user, body["id"])
    assert job["status"] == "completed", job
    async with services.sessionmaker() as db:
        images = (
            await db.scalars(
                select(Image).where(Image.job_id == uuid.UUID(body["id"])).order_by(Image.seq)
            )
        ).all()
    assert len(images) == 4
    filled = []
    for image in images:
        params = image.params
        assert params["family"] == "flat"  # the local renderer's words
        # one seed fills the whole batch (spread by index); each design draws with its own
        assert params["index"] == image.seq and params["seed"] == batch_seed(image.job_id)
        assert image.seed == design_seed(image.job_id, image.seq)
        spec = GarmentSpec.from_stored(params["filled_spec"])
        filled.append(spec)
        # the design keeps what the designer asked; the filled spec is the builder's
        assert image.garment_spec.silhouette is None and spec.silhouette is not None
        assert spec.styles == ["bohemian"] and "brown" not in spec.colors
        expected = build_prompt(
            image.garment_spec,
            family="flat",
            seed=batch_seed(image.job_id),
            index=image.seq,
        )
        assert image.prompt == expected.prompt and expected.spec == spec
        assert image.negative_prompt == "brown"
        # what was drawn is what was filled
        drawn = image.spec[RESOLVED_KEY]
        assert drawn["silhouette"] == spec.silhouette
        assert drawn["patterns"][:1] == spec.patterns[:1]
        assert drawn["colors"][: len(spec.colors)] == spec.colors
    assert len({(s.silhouette, s.length, *s.colors) for s in filled}) == 4
    assert job["prompt"] == images[0].prompt
