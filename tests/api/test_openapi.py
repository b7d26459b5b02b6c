"""The OpenAPI document states every error in the one error shape, and 405s name every
method a path answers."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import AuthedUser

ERROR_REF = "#/components/schemas/ErrorOut"


async def test_every_operation_documents_its_errors(client: httpx.AsyncClient):
    doc = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            where = f"{method.upper()} {path}"
            if op.get("security"):
                assert "401" in responses, where
            if any(p["in"] == "path" for p in op.get("parameters", [])):
                assert "404" in responses, where
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in responses, where
            if op.get("requestBody"):
                assert {"400", "413"} <= set(responses), where
            for status, response in responses.items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": ERROR_REF}, (where, status)
                    assert response["description"].startswith("`"), (where, status)


async def test_405_lists_every_method_of_the_path(client: httpx.AsyncClient, user: AuthedUser):
    # /api/images/feedback is no design id: its own route answers, with what it allows.
    resp = await client.get("/api/images/feedback", headers=user.headers)
    assert resp.status_code == 405, resp.text
    assert resp.headers["allow"] == "POST"
    assert resp.json()["error"]["code"] == "method_not_allowed"
    # Two routes share this path: both methods are named.
    resp = await client.put(f"/api/images/{uuid.uuid4()}", headers=user.headers)
    assert resp.status_code == 405
    assert resp.headers["allow"] == "DELETE, GET"


async def test_the_document_states_what_this_deployment_offers(client: httpx.AsyncClient):
    """Embedded: the local renderer and upscaler only, and no face restoration, so a
    schema-valid request is never refused as unknown_provider or face_fix_unavailable."""
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["GenerationIn"]["properties"]["provider"]["enum"] == ["local-flats", None]
    assert schemas["EnhanceIn"]["properties"]["provider"]["enum"] == ["local-upscale", None]
    assert schemas["EnhanceIn"]["properties"]["face_fix"]["enum"] == [False]
