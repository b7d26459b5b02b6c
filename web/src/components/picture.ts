// A design's picture, wherever it is shown: its shape, the blurred placeholder shown
// while its file loads, and which file a screen should take.

import { useMemo, type CSSProperties } from "react";
import { thumbHashToDataURL } from "thumbhash";
import type { Picture } from "../api/types";

/** The ThumbHash (base64) as a data URL, to show blurred while the file loads. */
// Decoded placeholders by hash: decoding is the largest share of the script time while
// scrolling the gallery (cards mount again when scrolled back). Oldest first; bounded.
const decoded = new Map<string, string | null>();
const MAX_DECODED = 3000;

export function thumbhashURL(hash: string | null | undefined): string | null {
  if (!hash) return null;
  const known = decoded.get(hash);
  if (known !== undefined) return known;
  let url: string | null;
  try {
    const bytes = Uint8Array.from(atob(hash), (c) => c.charCodeAt(0));
    url = thumbHashToDataURL(bytes);
  } catch {
    url = null;
  }
  decoded.set(hash, url);
  if (decoded.size > MAX_DECODED) decoded.delete(decoded.keys().next().value as string);
  return url;
}

/** The backdrop of a picture until its file has loaded: the ThumbHash blur over the
 *  design's dominant colour (or paper). */
export function usePlaceholder({ thumbhash, dominant_color }: Pick<Picture, "thumbhash" | "dominant_color">) {
  const blur = useMemo(() => thumbhashURL(thumbhash), [thumbhash]);
  return {
    backgroundColor: dominant_color ?? "#ece6dd",
    backgroundImage: blur ? `url(${blur})` : undefined,
  } satisfies CSSProperties;
}

/** Width over height: the API's ratio, else the file's size, else 3:4. */
export function ratioOf(item: Pick<Picture, "width" | "height"> & { ratio?: number | null }): number {
  if (item.ratio) return item.ratio;
  if (item.width && item.height) return item.width / item.height;
  return 0.75;
}

/** Thumbnails fit in 256 px and previews in 1024 px (media/variants.py): a srcset that
 *  lets a sharp screen pick the preview when a card is wider than the thumbnail. */
export function srcSet(urls: Record<string, string>, ratio: number): string | undefined {
  if (!urls.thumb || !urls.preview) return undefined;
  const width = (max: number) => Math.max(1, Math.round(ratio >= 1 ? max : max * ratio));
  return `${urls.thumb} ${width(256)}w, ${urls.preview} ${width(1024)}w`;
}
