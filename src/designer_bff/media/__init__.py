"""Image derivatives (preview, thumbnail, ThumbHash) made from one decode."""

from .thumbhash import (
    ThumbHashImage,
    image_to_thumbhash,
    rgba_to_thumbhash,
    thumbhash_from_base64,
    thumbhash_to_approximate_aspect_ratio,
    thumbhash_to_average_rgba,
    thumbhash_to_base64,
    thumbhash_to_rgba,
)
from .variants import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_WEBP_METHOD,
    EncodedImage,
    InvalidImage,
    Variants,
    VariantTimings,
    fit_within,
    make_variants,
    make_variants_async,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_WEBP_METHOD",
    "EncodedImage",
    "InvalidImage",
    "ThumbHashImage",
    "VariantTimings",
    "Variants",
    "fit_within",
    "image_to_thumbhash",
    "make_variants",
    "make_variants_async",
    "rgba_to_thumbhash",
    "thumbhash_from_base64",
    "thumbhash_to_approximate_aspect_ratio",
    "thumbhash_to_average_rgba",
    "thumbhash_to_base64",
    "thumbhash_to_rgba",
]
