"""Builds the providers this deployment offers. Remote providers join here."""

from __future__ import annotations

from designer_bff.generation.providers.base import ImageProvider
from designer_bff.generation.providers.local_flats import LocalFlatsProvider


def build_providers() -> dict[str, ImageProvider]:
    providers: list[ImageProvider] = [LocalFlatsProvider()]
    return {p.name: p for p in providers}
