import { useEffect, useId, useRef, useState } from "react";
import {
  activeCount,
  FACETS,
  valueLabel,
  type FacetValues,
  type GalleryView,
  type ViewChange,
} from "./filters";
import type { CollectionChoice } from "./queries";
import "./gallery.css";

type Props = {
  view: GalleryView;
  choices: FacetValues;
  collections: CollectionChoice[] | undefined;
  onChange(change: ViewChange, options?: { replace?: boolean }): void;
  onClear(): void;
};

const ANY: Record<string, string> = {
  garment: "Any garment",
  style: "Any style",
  colour: "Any colour",
  pattern: "Any pattern",
};

/** A date input that applies its value once the designer stops typing (or leaves it),
 *  not at every keystroke of the year. */
function DateField({
  label,
  value,
  min,
  max,
  onCommit,
}: {
  label: string;
  value: string | undefined;
  min?: string;
  max?: string;
  onCommit(value: string): void;
}) {
  const id = useId();
  const [draft, setDraft] = useState(value ?? "");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const commit = useRef(onCommit);
  commit.current = onCommit;
  useEffect(() => setDraft(value ?? ""), [value]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const apply = (next: string) => {
    clearTimeout(timer.current);
    if (next !== (value ?? "")) commit.current(next);
  };
  return (
    <label htmlFor={id} className={`filter-field${value ? " set" : ""}`}>
      <span>{label}</span>
      <input
        id={id}
        type="date"
        value={draft}
        min={min}
        max={max}
        onChange={(e) => {
          const next = e.target.value;
          setDraft(next);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => apply(next), 600);
        }}
        onBlur={() => apply(draft)}
        onKeyDown={(e) => e.key === "Enter" && apply(draft)}
      />
    </label>
  );
}

/** What to show, kept in the URL: favourites, the attributes of the designs, a
 *  collection and a date range. (Outliers are a view of their own, beside it.) */
export function FilterBar({ view, choices, collections, onChange, onClear }: Props) {
  const fieldsId = useId();
  const [open, setOpen] = useState(false);
  const count = activeCount(view) - (view.outliers ? 1 : 0);
  const knownCollection = collections?.some((c) => c.id === view.collection);

  return (
    <div className="filterbar" role="group" aria-label="Filters">
      <button
        type="button"
        className="button secondary filters-toggle"
        aria-expanded={open}
        aria-controls={fieldsId}
        onClick={() => setOpen((o) => !o)}
      >
        Filters{count ? ` (${count})` : ""}
      </button>
      <div id={fieldsId} className={`filter-fields${open ? " open" : ""}`}>
        <button
          type="button"
          className="toggle-chip"
          aria-pressed={Boolean(view.favourites)}
          onClick={() => onChange({ favourites: !view.favourites })}
        >
          Favourites
        </button>
        {FACETS.map((facet) => {
          const values = choices[facet.key];
          const value = view[facet.key] ?? "";
          if (values.length === 0 && !value) return null;
          const id = `${fieldsId}-${facet.key}`;
          return (
            <label key={facet.key} htmlFor={id} className={`filter-field${value ? " set" : ""}`}>
              <span>{facet.label}</span>
              <select id={id} value={value} onChange={(e) => onChange({ [facet.key]: e.target.value })}>
                <option value="">{ANY[facet.key]}</option>
                {values.map((v) => (
                  <option key={v} value={v}>
                    {valueLabel(v)}
                  </option>
                ))}
              </select>
            </label>
          );
        })}
        {Boolean(collections?.length || view.collection) && (
          <label htmlFor={`${fieldsId}-collection`} className={`filter-field${view.collection ? " set" : ""}`}>
            <span>Collection</span>
            <select
              id={`${fieldsId}-collection`}
              value={view.collection ?? ""}
              onChange={(e) => onChange({ collection: e.target.value })}
            >
              <option value="">Any collection</option>
              {view.collection && !knownCollection && <option value={view.collection}>This collection</option>}
              {collections?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <DateField
          label="From"
          value={view.from}
          max={view.to}
          onCommit={(from) => onChange({ from }, { replace: true })}
        />
        <DateField label="To" value={view.to} min={view.from} onCommit={(to) => onChange({ to }, { replace: true })} />
        {activeCount(view) > 0 && (
          <div className="filter-actions">
            <button type="button" className="button ghost" onClick={onClear}>
              Clear filters
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
