import { useEffect, useState, type CSSProperties } from "react";
import type { Picture } from "../api/types";
import { useApi } from "../auth/AuthContext";
import { ratioOf, usePlaceholder } from "./picture";

/** A design's preview, large, as a plain <img> (the files cookie opens it) over its
 *  ThumbHash. When the cookie has run out with the access token, one refresh renews both,
 *  then it tries again once. */
export function DesignImage({ picture, alt }: { picture: Picture; alt: string }) {
  const api = useApi();
  const [loaded, setLoaded] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [failed, setFailed] = useState(false);
  const placeholder = usePlaceholder(picture);
  // The file's own shape (not the list's ratio), as the preview is drawn.
  const ratio = ratioOf({ width: picture.width, height: picture.height });
  const src = picture.urls.preview;
  const url = src && attempt > 0 ? `${src}${src.includes("?") ? "&" : "?"}retry=${attempt}` : src;

  useEffect(() => {
    setLoaded(false);
    setAttempt(0);
    setFailed(false);
  }, [src]);

  const onError = () => {
    if (attempt > 0) {
      setFailed(true);
      return;
    }
    void api
      .refresh()
      .catch(() => null)
      .then((fresh) => (fresh ? setAttempt(1) : setFailed(true)));
  };

  return (
    <div
      className="design-image"
      style={{ "--ratio": String(ratio), aspectRatio: String(ratio), ...placeholder } as CSSProperties}
    >
      {url && !failed && (
        <img
          key={url}
          src={url}
          alt={alt}
          className={loaded ? "loaded" : ""}
          onLoad={() => setLoaded(true)}
          onError={onError}
          draggable={false}
          decoding="async"
        />
      )}
      {failed && (
        <p className="design-image-failed" role="status">
          The picture could not be loaded.{" "}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              setFailed(false);
              setAttempt((a) => a + 1);
            }}
          >
            Try again
          </button>
        </p>
      )}
    </div>
  );
}
