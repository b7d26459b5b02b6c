import { useInfiniteQuery } from "@tanstack/react-query";
import { describeError } from "../api/client";
import type { HistoryItem, Page } from "../api/types";
import { useApi } from "../auth/AuthContext";
import { useCommandBar } from "../components/CommandBar";

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function HistoryPage() {
  const api = useApi();
  const { run, busy } = useCommandBar();
  const history = useInfiniteQuery({
    queryKey: ["history"],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      api.json<Page<HistoryItem>>(`/api/voice/history?limit=30${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ""}`, {
        signal,
      }),
    getNextPageParam: (last) => last.next_cursor,
  });
  const items = history.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <section aria-labelledby="history-title" className="history">
      <header className="section-head">
        <div>
          <h1 id="history-title">Command history</h1>
          <p className="muted">Everything you asked for. Run any of it again with one click.</p>
        </div>
      </header>
      {history.isPending && <p className="muted">Loading…</p>}
      {history.isError && (
        <p className="notice error" role="alert">
          {describeError(history.error)}
        </p>
      )}
      {history.isSuccess && items.length === 0 && (
        <div className="empty">
          <h2>Nothing yet</h2>
          <p>Your commands appear here once you have typed one in the command bar.</p>
        </div>
      )}
      <ol className="history-list">
        {items.map((item) => (
          <li key={item.id} className="history-item">
            <div>
              <p className="history-text">{item.text}</p>
              <p className="muted small">
                {when.format(new Date(item.created_at))} · {item.intent.replace(/_/g, " ")}
                {item.source === "voice" ? " · spoken" : ""}
                {item.error_code === "not_available" ? " · not available yet" : ""}
              </p>
              {item.reply && <p className="small">{item.reply}</p>}
            </div>
            <button type="button" className="button secondary" disabled={busy} onClick={() => void run(item.text)}>
              Run again<span className="visually-hidden">: {item.text}</span>
            </button>
          </li>
        ))}
      </ol>
      {history.hasNextPage && (
        <button type="button" className="button secondary" onClick={() => void history.fetchNextPage()}>
          Show older
        </button>
      )}
    </section>
  );
}
