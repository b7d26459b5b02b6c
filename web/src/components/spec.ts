import type { GarmentSpec } from "../api/types";

export type Chip = { key: string; field: string; value: string; label: string; exclude: boolean };

const SCALARS: [keyof GarmentSpec, string][] = [
  ["garment_type", "garment"],
  ["silhouette", "silhouette"],
  ["length", "length"],
  ["neckline", "neckline"],
  ["sleeve", "sleeve"],
];

const LISTS: [keyof GarmentSpec, string][] = [
  ["styles", "style"],
  ["colors", "colour"],
  ["palettes", "palette"],
  ["patterns", "pattern"],
  ["fabrics", "fabric"],
  ["occasions", "occasion"],
  ["seasons", "season"],
  ["details", "detail"],
];

const pretty = (v: string) => v.replace(/_/g, " ");

/** The parsed spec as chips, in the order a description reads them. */
export function specChips(spec: GarmentSpec): Chip[] {
  const chips: Chip[] = [];
  for (const [field, kind] of SCALARS) {
    const value = spec[field];
    if (typeof value === "string" && value) {
      chips.push({ key: `${field}:${value}`, field, value, label: kind, exclude: false });
    }
  }
  for (const [field, kind] of LISTS) {
    for (const value of (spec[field] as string[] | undefined) ?? []) {
      chips.push({ key: `${field}:${value}`, field, value, label: kind, exclude: false });
    }
  }
  for (const [field, values] of Object.entries(spec.exclude ?? {})) {
    for (const value of values ?? []) {
      chips.push({ key: `exclude.${field}:${value}`, field, value, label: "without", exclude: true });
    }
  }
  return chips;
}

export function chipText(chip: Chip): string {
  return chip.exclude ? `no ${pretty(chip.value)}` : pretty(chip.value);
}

/** The spec without one chip. */
export function withoutChip(spec: GarmentSpec, chip: Chip): GarmentSpec {
  if (chip.exclude) {
    const exclude = { ...spec.exclude, [chip.field]: (spec.exclude[chip.field] ?? []).filter((v) => v !== chip.value) };
    return { ...spec, exclude };
  }
  const current = spec[chip.field as keyof GarmentSpec];
  if (Array.isArray(current)) {
    return { ...spec, [chip.field]: (current as string[]).filter((v) => v !== chip.value) };
  }
  return { ...spec, [chip.field]: null };
}

/** The spec with one chip's value changed to another of its attribute's values. */
export function withChipValue(spec: GarmentSpec, chip: Chip, value: string): GarmentSpec {
  if (chip.exclude || value === chip.value) return spec;
  const current = spec[chip.field as keyof GarmentSpec];
  if (Array.isArray(current)) {
    const values = (current as string[]).map((v) => (v === chip.value ? value : v));
    return { ...spec, [chip.field]: [...new Set(values)] };
  }
  return { ...spec, [chip.field]: value };
}

/** "4 bohemian dresses" for job labels. */
export function summary(spec: GarmentSpec, quantity: number): string {
  const words = [...spec.styles, ...spec.colors, ...spec.fabrics].slice(0, 3).map(pretty);
  const garment = spec.garment_type ? pretty(spec.garment_type) : "design";
  const noun = quantity === 1 ? garment : plural(garment);
  return [String(quantity), ...words, noun].join(" ");
}

function plural(noun: string): string {
  if (/(ss|x|ch|sh)$/.test(noun)) return `${noun}es`; // dresses, boxes
  if (noun.endsWith("s")) return noun; // trousers, jeans
  return `${noun}s`;
}
