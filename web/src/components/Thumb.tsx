import { useState } from "react";
import type { Picture } from "../api/types";
import { ratioOf, srcSet, usePlaceholder } from "./picture";

type Props = {
  picture: Picture & { ratio?: number | null };
  alt: string;
  /** The CSS width the picture takes, for the browser to choose thumbnail or preview. */
  sizes?: string;
  /** Fill the box around it (a cover) instead of taking a shape of its own. */
  fill?: boolean;
  /** The box's CSS aspect-ratio when it is not the design's own (the picture is cropped). */
  shape?: string;
};

/** A design's thumbnail as a plain <img>: the files cookie (or the share token in a shared
 *  URL) opens it; a thumbhash blur shows until it has loaded. */
export function Thumb({ picture, alt, sizes, fill = false, shape }: Props) {
  const [loaded, setLoaded] = useState(false);
  const [failed, setFailed] = useState(false);
  const placeholder = usePlaceholder(picture);
  const ratio = ratioOf(picture);
  const { urls } = picture;
  return (
    <span
      className={`col-thumb${fill ? " fill" : ""}`}
      style={{ aspectRatio: fill ? undefined : (shape ?? String(ratio)), ...placeholder }}
    >
      {!failed && (
        <img
          src={urls.thumb ?? urls.preview}
          srcSet={srcSet(urls, ratio)}
          sizes={sizes ?? "(max-width: 600px) 50vw, 280px"}
          alt={alt}
          loading="lazy"
          decoding="async"
          draggable={false}
          className={loaded ? "loaded" : ""}
          onLoad={() => setLoaded(true)}
          onError={() => setFailed(true)}
        />
      )}
      {failed && <span className="col-thumb-failed">Image unavailable</span>}
    </span>
  );
}
