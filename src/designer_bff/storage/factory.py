"""The one place that picks an object-store implementation from configuration."""

from __future__ import annotations

import os
from pathlib import Path

from designer_bff.config import Settings

from .base import ObjectStore
from .local import LocalObjectStore
from .s3 import S3ObjectStore

__all__ = ["build_object_store"]


def build_object_store(
    *,
    media_dir: str | os.PathLike[str] = Path("var/media"),
    r2_endpoint: str | None = None,
    r2_access_key_id: str | None = None,
    r2_secret_access_key: str | None = None,
    r2_bucket_name: str | None = None,
    r2_cdn_url: str | None = None,
    region: str | None = None,
) -> ObjectStore:
    """S3-compatible store when endpoint, bucket and both keys are set; else local folder.

    A partial S3 configuration is an error rather than a silent fallback: a deployment
    that meant to use R2 must not quietly write designs to one pod's disk.
    """
    s3_settings = {
        "R2_ENDPOINT": r2_endpoint,
        "R2_ACCESS_KEY_ID": r2_access_key_id,
        "R2_SECRET_ACCESS_KEY": r2_secret_access_key,
        "R2_BUCKET_NAME": r2_bucket_name,
    }
    present = {name for name, value in s3_settings.items() if value}
    if present == set(s3_settings):
        return S3ObjectStore(
            endpoint=r2_endpoint,
            bucket=r2_bucket_name or "",
            access_key_id=r2_access_key_id or "",
            secret_access_key=r2_secret_access_key or "",
            region=region or None,
            cdn_url=r2_cdn_url or None,
        )
    if present:
        missing = ", ".join(sorted(set(s3_settings) - present))
        raise ValueError(f"incomplete S3/R2 configuration: {missing} not set")
    return LocalObjectStore(media_dir)


def object_store_from_settings(settings: Settings) -> ObjectStore:
    """The deployment's store as its settings describe it (ValueError when they are
    incomplete)."""
    return build_object_store(
        media_dir=settings.media_root,
        r2_endpoint=settings.r2_endpoint,
        r2_access_key_id=settings.r2_access_key_id,
        r2_secret_access_key=settings.r2_secret_access_key,
        r2_bucket_name=settings.r2_bucket_name,
        r2_cdn_url=settings.r2_cdn_url,
        region=settings.r2_region,
    )
