"""The garment spec: one structured description of what to design (DESIGN.md §2).

A command is parsed into a `GarmentSpec`; the prompt builder, renderer, VLT mapping,
feedback and learning all read and write the same shape. Attribute values are canonical
taxonomy values (see `designer_bff.garments.taxonomy`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from designer_bff.core.fields import whole_floats


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute of the spec, named once here and read by every feature: the spec
    field (= taxonomy family), its key in `Exclusions`, and its gallery filter / tag name
    (None where the gallery has no filter for it)."""

    field: str
    multi: bool
    exclude_key: str
    tag: str | None


# In the order a description reads them: single-valued first.
ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("garment_type", False, "garment_types", None),  # a column of its own
    Attribute("silhouette", False, "silhouettes", "silhouette"),
    Attribute("length", False, "lengths", "length"),
    Attribute("neckline", False, "necklines", "neckline"),
    Attribute("sleeve", False, "sleeves", "sleeve"),
    Attribute("styles", True, "styles", "style"),
    Attribute("colors", True, "colors", "color"),
    Attribute("palettes", True, "palettes", "palette"),
    Attribute("patterns", True, "patterns", "pattern"),
    Attribute("fabrics", True, "fabrics", "fabric"),
    Attribute("occasions", True, "occasions", "occasion"),
    Attribute("seasons", True, "seasons", "season"),
    Attribute("details", True, "details", None),  # free text: no filter
)
BY_FIELD: dict[str, Attribute] = {a.field: a for a in ATTRIBUTES}

SCALAR_FIELDS: tuple[str, ...] = tuple(a.field for a in ATTRIBUTES if not a.multi)
LIST_FIELDS: tuple[str, ...] = tuple(a.field for a in ATTRIBUTES if a.multi)
ATTRIBUTE_FIELDS: tuple[str, ...] = SCALAR_FIELDS + LIST_FIELDS
# What a design is (not what it is for nor the palette it was drawn from): the attributes a
# style profile describes and feedback teaches, in the order they are read out.
DESIGN_ATTRIBUTES: tuple[str, ...] = (
    "garment_type",
    "silhouette",
    "length",
    "neckline",
    "sleeve",
    "styles",
    "colors",
    "patterns",
    "fabrics",
)

# Spec field (= taxonomy family) -> key in `Exclusions`, and back.
EXCLUDE_KEYS: dict[str, str] = {a.field: a.exclude_key for a in ATTRIBUTES}
EXCLUDE_FAMILY: dict[str, str] = {a.exclude_key: a.field for a in ATTRIBUTES}

# Spec field -> tag prefix in a design's attribute tags ("colors": ["red"] -> "color:red").
TAG_FAMILIES: dict[str, str] = {a.field: a.tag for a in ATTRIBUTES if a.tag is not None}
# Gallery filter name -> spec field, for filters that read attribute tags; palettes have
# tags but no gallery filter.
TAG_FILTERS: dict[str, str] = {tag: f for f, tag in TAG_FAMILIES.items() if tag != "palette"}


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

    # Strict: a count is a JSON integer ("5" and true are refused), and at least one.
    quantity: int | None = Field(default=None, strict=True, ge=1)
    _whole = whole_floats("quantity")
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

    def credited(self) -> dict[str, Any]:
        """The attributes as feedback credits them: {field: value, or [values]}."""
        out: dict[str, Any] = {}
        for name, value in self.attribute_items():
            if BY_FIELD[name].multi:
                out.setdefault(name, []).append(value)
            else:
                out[name] = value
        return out

    def has_attributes(self) -> bool:
        """True when any attribute or exclusion is set (quantity alone does not count)."""
        return next(self.attribute_items(), None) is not None or not self.exclude.is_empty()

    def attribute_tags(self) -> list[str]:
        """The attributes as "family:value" tags (what the gallery filters on)."""
        tags: list[str] = []
        for name, value in self.attribute_items():
            prefix = TAG_FAMILIES.get(name)
            if prefix and value:
                tag = f"{prefix}:{value.strip().lower()}"
                if tag not in tags:
                    tags.append(tag)
        return tags

    def without_quantity(self) -> GarmentSpec:
        return self.model_copy(update={"quantity": None})

    @classmethod
    def from_stored(cls, data: Mapping[str, Any] | None) -> GarmentSpec:
        """A spec from stored JSON (a design's, a job's or a command's), ignoring keys this
        version does not know (a design's `resolved` record, for one)."""
        data = data or {}
        known = {k: v for k, v in data.items() if k in cls.model_fields}
        exclude = known.get("exclude")
        if isinstance(exclude, Mapping):
            known["exclude"] = {k: v for k, v in exclude.items() if k in Exclusions.model_fields}
        return cls.model_validate(known)
