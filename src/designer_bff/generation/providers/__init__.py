"""Image providers: the interface and the registry that builds them from configuration."""

from designer_bff.generation.providers.base import (
    DesignRequest,
    GeneratedDesign,
    ImageProvider,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)

__all__ = [
    "DesignRequest",
    "GeneratedDesign",
    "ImageProvider",
    "PermanentProviderError",
    "ProviderError",
    "TransientProviderError",
]
