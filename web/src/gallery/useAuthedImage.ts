import { useEffect, useRef, useState } from "react";
import { useApi } from "../auth/AuthContext";

// Object URLs of files already fetched, so a card scrolled away and back (the gallery
// renders only cards near the screen) shows its picture at once instead of fetching it
// again. Least recently used first; an entry in use is never revoked.
type Entry = { objectUrl: string; users: number };
const cache = new Map<string, Entry>();
const MAX_CACHED = 400;

function evict() {
  for (const [url, entry] of cache) {
    if (cache.size <= MAX_CACHED) break;
    if (entry.users === 0) {
      cache.delete(url);
      URL.revokeObjectURL(entry.objectUrl);
    }
  }
}

function acquire(url: string): string | null {
  const entry = cache.get(url);
  if (!entry) return null;
  entry.users++;
  cache.delete(url); // most recently used last
  cache.set(url, entry);
  return entry.objectUrl;
}

function keep(url: string, blob: Blob): string {
  const known = acquire(url);
  if (known) return known;
  const objectUrl = URL.createObjectURL(blob);
  cache.set(url, { objectUrl, users: 1 });
  evict();
  return objectUrl;
}

function release(url: string) {
  const entry = cache.get(url);
  if (!entry) return;
  entry.users = Math.max(0, entry.users - 1);
  evict();
}

/** An object URL for an API file that needs the Authorization header, loaded once the
 *  element is near the viewport, and released when it unmounts. */
export function useAuthedImage(url: string | undefined) {
  const api = useApi();
  const ref = useRef<HTMLDivElement | null>(null);
  // A picture already fetched is shown at once, without waiting to be near the screen.
  const [near, setNear] = useState(() => (url ? cache.has(url) : false));
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const el = ref.current;
    if (!el || near) return;
    if (typeof IntersectionObserver === "undefined") {
      setNear(true);
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => entries.some((e) => e.isIntersecting) && setNear(true),
      { rootMargin: "600px 0px" },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [near]);

  useEffect(() => {
    if (!near || !url) return;
    if (typeof URL.createObjectURL !== "function") return; // no object URLs (tests)
    // Switch to a plain <img src={url}> here now that file routes take the files cookie.
    const known = acquire(url);
    if (known) {
      setSrc(known);
      setFailed(false);
      return () => release(url);
    }
    const controller = new AbortController();
    let held = false;
    api
      .blob(url, controller.signal)
      .then((blob) => {
        if (controller.signal.aborted) return;
        held = true;
        setSrc(keep(url, blob));
        setFailed(false);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) {
          console.warn("image failed", url, err);
          setFailed(true);
        }
      });
    return () => {
      controller.abort();
      if (held) release(url);
    };
  }, [api, near, url]);

  return { ref, src, failed };
}
