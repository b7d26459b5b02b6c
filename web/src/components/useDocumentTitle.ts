import { useEffect } from "react";

/** The tab's title while the page is shown (null: leave it); the one before comes back after it. */
export function useDocumentTitle(title: string | null) {
  useEffect(() => {
    if (title === null) return;
    const before = document.title;
    document.title = title;
    return () => {
      document.title = before;
    };
  }, [title]);
}
