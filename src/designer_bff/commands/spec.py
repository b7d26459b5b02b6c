"""The garment spec: one structured description of what to design (DESIGN.md §2).

A command is parsed into a `GarmentSpec`; the prompt builder, renderer, VLT mapping,
feedback and learning all read and write the same shape. Attribute values are canonical
taxonomy values (see `designer_bff.commands.taxonomy`).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

# Single-valued attributes, in the order a description reads them.
SCALAR_FIELDS: tuple[str, ...] = ("garment_type", "silhouette", "length", "neckline", "sleeve")
# Multi-valued attributes.
LIST_FIELDS: tuple[str, ...] = (
    "styles",
    "colors",
    "palettes",
    "patterns",
    "fabrics",
    "occasions",
    "seasons",
    "details",
)
ATTRIBUTE_FIELDS: tuple[str, ...] = SCALAR_FIELDS + LIST_FIELDS

# Spec field (= taxonomy family) -> key in `Exclusions`.
EXCLUDE_KEYS: dict[str, str] = {
    "garment_type": "garment_types",
    "silhouette": "silhouettes",
    "length": "lengths",
    "neckline": "necklines",
    "sleeve": "sleeves",
    **{name: name for name in LIST_FIELDS},
}


class Exclusions(BaseModel):
    """Attribute values the designer asked not to have ("no black", "without florals")."""

    model_config = ConfigDict(extra="forbid")

    colors: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    fabrics: list[str] = Field(default_factory=list)
    styles: list[str] = Field(default_factory=list)
    garment_types: list[str] = Field(default_factory=list)
    silhouettes: list[str] = Field(default_factory=list)
    lengths: list[str] = Field(default_factory=list)
    necklines: list[str] = Field(default_factory=list)
    sleeves: list[str] = Field(default_factory=list)
    palettes: list[str] = Field(default_factory=list)
    occasions: list[str] = Field(default_factory=list)
    seasons: list[str] = Field(default_factory=list)
    details: list[str] = Field(default_factory=list)

    def add(self, family: str, value: str) -> None:
        """Exclude `value` of taxonomy `family` (a spec field name), keeping order, no dups."""
        bucket: list[str] = getattr(self, EXCLUDE_KEYS[family])
        if value not in bucket:
            bucket.append(value)

    def is_empty(self) -> bool:
        return not any(getattr(self, key) for key in type(self).model_fields)

    def non_empty(self) -> dict[str, list[str]]:
        """Only the keys that hold something (compact form for filters and replies)."""
        return {
            key: list(getattr(self, key)) for key in type(self).model_fields if getattr(self, key)
        }


class GarmentSpec(BaseModel):
    """What to design. Absent attributes are None or []."""

    model_config = ConfigDict(extra="forbid")

    quantity: int | None = None
    garment_type: str | None = None
    silhouette: str | None = None
    length: str | None = None
    neckline: str | None = None
    sleeve: str | None = None
    styles: list[str] = Field(default_factory=list)
    colors: list[str] = Field(default_factory=list)
    palettes: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    fabrics: list[str] = Field(default_factory=list)
    occasions: list[str] = Field(default_factory=list)
    seasons: list[str] = Field(default_factory=list)
    details: list[str] = Field(default_factory=list)
    exclude: Exclusions = Field(default_factory=Exclusions)

    def set_attribute(self, family: str, value: str, *, overwrite: bool = True) -> None:
        """Set a scalar attribute or append to a list attribute (no duplicates)."""
        if family in LIST_FIELDS:
            bucket: list[str] = getattr(self, family)
            if value not in bucket:
                bucket.append(value)
        elif family in SCALAR_FIELDS:
            if overwrite or getattr(self, family) is None:
                setattr(self, family, value)
        else:
            raise KeyError(f"unknown spec attribute {family!r}")

    def attribute_items(self) -> Iterator[tuple[str, str]]:
        """(field, value) for every attribute present, scalars first; used to credit feedback."""
        for name in SCALAR_FIELDS:
            value = getattr(self, name)
            if value is not None:
                yield name, value
        for name in LIST_FIELDS:
            for value in getattr(self, name):
                yield name, value

    def has_attributes(self) -> bool:
        """True when any attribute or exclusion is set (quantity alone does not count)."""
        return next(self.attribute_items(), None) is not None or not self.exclude.is_empty()
