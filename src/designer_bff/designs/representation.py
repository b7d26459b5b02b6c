"""How clients see a design: its file URLs, a short summary for live events and job
pages, and its spec summary rebuilt from the denormalised tags."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from designer_bff.designs.models import Image
from designer_bff.garments.spec import BY_FIELD, TAG_FAMILIES

_PREFIX_FIELD = {prefix: field for field, prefix in TAG_FAMILIES.items()}


def image_urls(image_id: uuid.UUID | str) -> dict[str, str]:
    base = f"/api/images/{image_id}/file"
    return {
        "thumb": f"{base}?variant=thumb",
        "preview": f"{base}?variant=preview",
        "original": f"{base}?variant=original",
    }


def image_summary(image: Image) -> dict[str, Any]:
    """What a live `image.created` event says about a new design."""
    urls = image_urls(image.id)
    return {
        "id": str(image.id),
        "job_id": str(image.job_id) if image.job_id else None,
        "seq": image.seq,
        "width": image.width,
        "height": image.height,
        "thumbhash": image.thumbhash,
        "dominant_color": image.dominant_color,
        "thumbnail_url": urls["thumb"],
        "urls": urls,
        "garment_type": image.garment_type,
        # The same summary a gallery page gives, so a live card is named as a loaded one.
        "title": image.title,
        "spec": spec_summary(image.garment_type, image.attribute_tags),
        "provider": image.provider,
        "created_at": image.created_at.isoformat() if image.created_at else None,
    }


def aspect_ratio(width: int | None, height: int | None) -> float | None:
    return round(width / height, 5) if width and height else None


@lru_cache(maxsize=8192)
def _tag_parts(tag: str) -> tuple[str, str, bool] | None:
    """(spec field, value, single-valued?) of a tag; cached: pages repeat the same tags."""
    prefix, _, value = tag.partition(":")
    field = _PREFIX_FIELD.get(prefix)
    if field is None or not value:
        return None
    return field, value, not BY_FIELD[field].multi


def spec_summary(garment_type: str | None, tags: Sequence[str] | None) -> dict[str, Any]:
    """Garment type and the main attributes, from the denormalised tags."""
    summary: dict[str, Any] = {}
    if garment_type:
        summary["garment_type"] = garment_type
    for tag in tags or ():
        parts = _tag_parts(tag)
        if parts is None:
            continue
        field, value, scalar = parts
        if scalar:
            summary.setdefault(field, value)
        else:
            summary.setdefault(field, []).append(value)
    return summary
