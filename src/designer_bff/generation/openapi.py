"""The OpenAPI document states the providers this deployment offers (configured at run
time: remote ones join with their keys), so a client and a fuzzer learn what is refused
as `unknown_provider` or `face_fix_unavailable` from the document itself."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from designer_bff.core.deps import REGISTRY_ATTR
from designer_bff.generation.enhancement import supports_face_fix
from designer_bff.generation.service import GenerationService

# Request schemas -> their property naming a provider, and the operation it must do.
_PROVIDER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("GenerationIn", "provider", "generate"),
    ("LegacyGenerateIn", "provider", "generate"),
    ("ProviderDefaultsIn", "default_provider", "generate"),
    ("EnhanceIn", "provider", "enhance"),
)


def state_providers(app: FastAPI, schema: dict[str, Any]) -> None:
    registry = getattr(app.state, REGISTRY_ATTR, None) or {}
    service = registry.get(GenerationService)
    if not isinstance(service, GenerationService):
        return  # not started: the document keeps the embedded defaults
    components = schema.get("components", {}).get("schemas", {})
    for name, field, operation in _PROVIDER_FIELDS:
        prop = components.get(name, {}).get("properties", {}).get(field)
        if prop is not None:
            prop["enum"] = [*sorted(service.makers(operation)), None]
    face_fix = components.get("EnhanceIn", {}).get("properties", {}).get("face_fix")
    if face_fix is not None and not any(
        supports_face_fix(p) for p in service.makers("enhance").values()
    ):
        face_fix["enum"] = [False]
        face_fix["description"] = (
            face_fix.get("description", "") + " No enhancement provider here can."
        ).strip()
