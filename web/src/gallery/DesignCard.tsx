import { memo, useId, useState } from "react";
import { Link } from "react-router";
import type { GalleryItem } from "../api/types";
import { ratioOf, usePlaceholder } from "../components/picture";
import { useAuthedImage } from "./useAuthedImage";
import "./gallery.css";

/** The caption's height under each picture, in pixels (gallery.css says the same). */
export const CAPTION_HEIGHT = 30;

export function describe(item: GalleryItem): string {
  const spec = item.spec ?? {};
  const words: string[] = [];
  for (const key of ["styles", "colors", "fabrics", "patterns"]) {
    const value = spec[key];
    if (Array.isArray(value)) words.push(...value.slice(0, 2).map(String));
  }
  const garment = typeof spec.garment_type === "string" ? spec.garment_type : "design";
  return item.title ?? [...words, garment].join(" ");
}

type Props = {
  item: GalleryItem;
  onToggleOutlier(item: GalleryItem): void;
  /** Select mode: the picture (and a checkbox) select the design instead of opening it. */
  selecting?: boolean;
  selected?: boolean;
  /** `range`: shift was held (select everything since the last one chosen). */
  onSelect?(item: GalleryItem, range: boolean): void;
};

export const DesignCard = memo(function DesignCard({
  item,
  onToggleOutlier,
  selecting = false,
  selected = false,
  onSelect,
}: Props) {
  const { ref, src, failed } = useAuthedImage(item.urls.thumb);
  const [loaded, setLoaded] = useState(false);
  const placeholder = usePlaceholder(item);
  const checkboxId = useId();
  const label = describe(item);

  const picture = (
    <>
      {src && (
        <img
          src={src}
          alt=""
          className={loaded ? "loaded" : ""}
          onLoad={() => setLoaded(true)}
          decoding="async"
          draggable={false}
        />
      )}
      {failed && <span className="card-failed">Image unavailable</span>}
    </>
  );

  return (
    <article
      className={`card${selecting ? " selecting" : ""}${selected ? " selected" : ""}`}
      aria-label={label}
      data-testid="design"
    >
      <div
        ref={ref}
        className="card-media"
        style={{ aspectRatio: String(ratioOf(item)), ...placeholder }}
      >
        {selecting ? (
          <>
            {/* The whole picture selects; shift-click selects a run of designs. */}
            <label
              htmlFor={checkboxId}
              className="card-link"
              onClick={(event) => {
                event.preventDefault();
                onSelect?.(item, event.shiftKey);
              }}
            >
              {picture}
            </label>
            <span className="card-check">
              <input
                id={checkboxId}
                type="checkbox"
                checked={selected}
                aria-label={`Select ${label}`}
                onClick={(event) => onSelect?.(item, event.shiftKey)}
                onChange={() => {
                  /* handled on click, which knows about shift */
                }}
              />
            </span>
          </>
        ) : (
          <Link to={`/designs/${item.id}`} className="card-link" aria-label={`Open ${label}`}>
            {picture}
          </Link>
        )}
        <button
          type="button"
          className={`outlier-toggle${item.is_outlier ? " on" : ""}`}
          aria-pressed={item.is_outlier}
          aria-label={item.is_outlier ? `Outlier: ${label}` : `Mark as outlier: ${label}`}
          title={item.is_outlier ? "Outlier — click to unmark" : "Mark as outlier"}
          onClick={() => onToggleOutlier(item)}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true" width="18" height="18">
            <path d="M12 2.8l2.8 5.9 6.4.8-4.7 4.4 1.2 6.4L12 17.2l-5.7 3.1 1.2-6.4L2.8 9.5l6.4-.8z" />
          </svg>
        </button>
      </div>
      <p className="card-caption" aria-hidden="true">
        {label}
      </p>
    </article>
  );
});
