import {
  useCallback,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type CSSProperties,
  type MouseEvent,
  type PointerEvent,
} from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { describeError } from "../api/client";
import {
  applyChange,
  designName,
  feedbackSaved,
  NO_FEEDBACK,
  sendFeedback,
  useReviewQueue,
  type FeedbackChange,
  type FeedbackOut,
  type MyFeedback,
  type ReviewItem,
} from "../api/designs";
import { useApi } from "../auth/AuthContext";
import { useCommandBar } from "../components/CommandBar";
import { DesignImage } from "../components/DesignImage";
import { ExampleCommands, useExampleCommands } from "../components/ExampleCommands";
import { LoadFailed } from "../components/states";
import "./review.css";

type Verdict = "outlier" | "like" | "dislike";

/** One verdict given in this session, with the feedback before it (what undo restores). */
type Entry = { seq: number; id: string; name: string; verdict: Verdict; previous: MyFeedback };

const VERDICTS: Record<Verdict, { label: string; done: string; noun: string }> = {
  outlier: { label: "Outlier", done: "Marked as outlier", noun: "outlier mark" },
  like: { label: "Like", done: "Liked", noun: "like" },
  dislike: { label: "Discard", done: "Discarded", noun: "discard" },
};

/** Pixels a swipe must travel to count. */
const SWIPE = 80;
/** Fetch the next page when this few designs are left. */
const PREFETCH = 6;

const holds = (state: MyFeedback, verdict: Verdict) =>
  verdict === "outlier" ? state.is_outlier : state.reaction === verdict;

/** The call that puts back what a verdict changed (null: it changed nothing). */
function revertOf({ verdict, previous }: Entry): FeedbackChange | null {
  if (verdict === "outlier") return previous.is_outlier ? null : { kind: "clear", type: "outlier" };
  if (previous.reaction === verdict) return null;
  return previous.reaction ? { kind: "set", body: { type: previous.reaction } } : { kind: "clear", type: verdict };
}

function swipeVerdict(dx: number, dy: number): Verdict | null {
  if (Math.abs(dx) >= Math.abs(dy)) {
    if (dx >= SWIPE) return "like";
    if (dx <= -SWIPE) return "dislike";
    return null;
  }
  return dy <= -SWIPE ? "outlier" : null;
}

const stateOf = (out: FeedbackOut): MyFeedback => ({
  is_outlier: out.is_outlier,
  is_favorite: out.is_favorite,
  reaction: out.reaction,
  rating: out.rating,
  comment: out.comment,
  tags: out.tags,
  updated_at: out.updated_at,
});

const nameOf = (item: ReviewItem) => designName(item.title, item.spec ?? {});

export function ReviewPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const queue = useReviewQueue();
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = queue;
  const items = useMemo(() => {
    const seen = new Set<string>();
    return (queue.data?.pages.flatMap((p) => p.items) ?? []).filter((i) => !seen.has(i.id) && seen.add(i.id));
  }, [queue.data]);

  const [index, setIndex] = useState(0);
  const [stack, setStack] = useState<Entry[]>([]);
  const [overlay, setOverlay] = useState<Record<string, MyFeedback>>({});
  const [problem, setProblem] = useState<{ text: string; id: string } | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  const pending = useRef(new Map<string, number>());
  const seq = useRef(0);

  const position = Math.min(index, items.length);
  const item: ReviewItem | undefined = items[position];
  const feedbackOf = useCallback(
    (i: ReviewItem) => overlay[i.id] ?? i.my_feedback ?? { ...NO_FEEDBACK, is_outlier: i.is_outlier },
    [overlay],
  );

  const verdicts = useMemo(() => {
    const by = new Map<string, Verdict>();
    for (const e of stack) by.set(e.id, e.verdict);
    return by;
  }, [stack]);
  const reviewed = verdicts.size;

  // Verdicts reach the API one after another, in the order given: an undo never overtakes
  // the verdict it takes back.
  const send = useCallback(
    (id: string, change: FeedbackChange): Promise<FeedbackOut> => {
      pending.current.set(id, (pending.current.get(id) ?? 0) + 1);
      const run = chain.current.catch(() => undefined).then(() => sendFeedback(api, id, change));
      chain.current = run;
      const settle = () => {
        const left = (pending.current.get(id) ?? 1) - 1;
        if (left) pending.current.set(id, left);
        else pending.current.delete(id);
        return left;
      };
      return run.then(
        (out) => {
          // The answer is the truth once nothing else for this design is on its way.
          if (settle() === 0) setOverlay((o) => ({ ...o, [id]: stateOf(out) }));
          feedbackSaved(queryClient, out);
          return out;
        },
        (err: unknown) => {
          settle();
          throw err;
        },
      );
    },
    [api, queryClient],
  );

  const give = useCallback(
    (verdict: Verdict) => {
      if (!item) return;
      const before = feedbackOf(item);
      setIndex(position + 1);
      const name = nameOf(item);
      if (holds(before, verdict)) {
        setAnnouncement(`${name} is already marked: ${VERDICTS[verdict].done.toLowerCase()}.`);
        return;
      }
      const change: FeedbackChange = { kind: "set", body: { type: verdict } };
      const entry: Entry = { seq: ++seq.current, id: item.id, name, verdict, previous: before };
      setOverlay((o) => ({ ...o, [item.id]: applyChange(before, change) }));
      setStack((s) => [...s, entry]);
      setProblem(null);
      setAnnouncement(`${VERDICTS[verdict].done}: ${name}.`);
      send(item.id, change).catch((err: unknown) => {
        setStack((s) => s.filter((e) => e.seq !== entry.seq));
        if (!pending.current.has(entry.id)) setOverlay((o) => ({ ...o, [entry.id]: before }));
        setProblem({ text: `Your ${VERDICTS[verdict].noun} on “${name}” was not saved: ${describeError(err)}`, id: entry.id });
      });
    },
    [item, position, feedbackOf, send],
  );

  const undo = useCallback(() => {
    const entry = stack[stack.length - 1];
    if (!entry) return;
    setStack((s) => s.filter((e) => e.seq !== entry.seq));
    const at = items.findIndex((i) => i.id === entry.id);
    if (at >= 0) setIndex(at);
    const revert = revertOf(entry);
    setProblem(null);
    setAnnouncement(`Undone: ${VERDICTS[entry.verdict].done.toLowerCase()} ${entry.name}.`);
    if (!revert) return;
    const target = items[at];
    if (target) setOverlay((o) => ({ ...o, [entry.id]: applyChange(o[entry.id] ?? feedbackOf(target), revert) }));
    send(entry.id, revert).catch((err: unknown) => {
      // Still given: back on the stack, and shown as the API keeps it.
      setStack((s) => [...s, entry].sort((a, b) => a.seq - b.seq));
      if (!pending.current.has(entry.id)) {
        setOverlay((o) => ({ ...o, [entry.id]: applyChange(entry.previous, { kind: "set", body: { type: entry.verdict } }) }));
      }
      setProblem({ text: `Undo on “${entry.name}” was not saved: ${describeError(err)}`, id: entry.id });
    });
  }, [stack, items, feedbackOf, send]);

  const next = useCallback(() => setIndex(Math.min(position + 1, items.length)), [position, items.length]);
  const previous = useCallback(() => setIndex(Math.max(position - 1, 0)), [position]);

  // Keys, from anywhere on the page but a text field.
  const actions = useRef({ give, undo, next, previous });
  actions.current = { give, undo, next, previous };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey) return;
      const target = e.target instanceof HTMLElement ? e.target : null;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      const a = actions.current;
      if (e.ctrlKey || e.metaKey) {
        if (key === "z" && !e.shiftKey) {
          e.preventDefault();
          if (!e.repeat) a.undo();
        }
        return;
      }
      const verdict: Verdict | null = key === "o" ? "outlier" : key === "l" ? "like" : key === "d" ? "dislike" : null;
      if (verdict) {
        e.preventDefault();
        if (!e.repeat) a.give(verdict);
      } else if (key === "u") {
        e.preventDefault();
        if (!e.repeat) a.undo();
      } else if (key === "ArrowRight" || key === "j" || key === " ") {
        // Space on a focused button or link presses it, as it always does.
        if (key === " " && target?.closest("button, a, summary, [role='button']")) return;
        e.preventDefault();
        a.next();
      } else if (key === "ArrowLeft" || key === "k") {
        e.preventDefault();
        a.previous();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // More designs before the last one is reached.
  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && !queue.isFetchNextPageError && position >= items.length - PREFETCH) {
      void fetchNextPage();
    }
  }, [hasNextPage, isFetchingNextPage, queue.isFetchNextPageError, position, items.length, fetchNextPage]);

  // The next designs' previews load while this one is looked at.
  useEffect(() => {
    if (typeof Image === "undefined") return;
    for (const upcoming of items.slice(position + 1, position + 3)) {
      if (upcoming.urls.preview) new Image().src = upcoming.urls.preview;
    }
  }, [items, position]);

  const headingId = useId();
  const total = items.length;
  const loaded = queue.data !== undefined;
  const atEnd = loaded && position >= total && !hasNextPage;

  return (
    <section className="review" aria-labelledby={headingId}>
      <header className="review-head">
        <div>
          <h1 id={headingId}>Review</h1>
          <p className="muted">Your newest designs without a verdict, one at a time.</p>
        </div>
        {total > 0 && (
          <div className="review-progress">
            <p>
              <strong>{reviewed}</strong> of {total}
              {hasNextPage ? "+" : ""} reviewed
            </p>
            <progress max={Math.max(total, 1)} value={reviewed} aria-label="Designs reviewed" />
          </div>
        )}
      </header>

      <div className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>

      {problem && (
        <div className="notice error review-problem" role="alert">
          <p>{problem.text}</p>
          <div className="review-problem-actions">
            {items.some((i) => i.id === problem.id) && (
              <button
                type="button"
                className="button secondary"
                onClick={() => {
                  setIndex(items.findIndex((i) => i.id === problem.id));
                  setProblem(null);
                }}
              >
                Show that design
              </button>
            )}
            <button type="button" className="link-button" onClick={() => setProblem(null)}>
              Dismiss
            </button>
          </div>
        </div>
      )}

      {queue.isPending && (
        <div className="review-main" aria-busy="true">
          <div className="skeleton review-skeleton" />
          <p className="muted">Loading your newest designs…</p>
        </div>
      )}
      {queue.isError && !loaded && <LoadFailed error={queue.error} onRetry={() => void queue.refetch()} />}

      {loaded && total === 0 && !hasNextPage && <NothingNew />}

      {item && (
        <Stage
          key={item.id}
          item={item}
          state={feedbackOf(item)}
          position={position}
          total={total}
          more={!!hasNextPage}
          onVerdict={give}
        />
      )}

      {!item && loaded && position >= total && hasNextPage && (
        <div className="review-main" aria-busy={!queue.isFetchNextPageError}>
          {queue.isFetchNextPageError ? (
            <LoadFailed lead="More designs could not be loaded: " error={queue.error} onRetry={() => void fetchNextPage()} />
          ) : (
            <p className="muted">Loading more designs…</p>
          )}
        </div>
      )}

      {atEnd && total > 0 && (
        <AllDone
          stack={stack}
          skipped={items.findIndex((i) => !verdicts.has(i.id))}
          skippedCount={total - reviewed}
          onJump={setIndex}
        />
      )}

      {total > 0 && (
        <Controls
          canVerdict={!!item}
          canUndo={stack.length > 0}
          lastUndo={stack.length ? stack[stack.length - 1] : null}
          canPrevious={position > 0}
          canNext={position < total}
          onVerdict={give}
          onUndo={undo}
          onNext={next}
          onPrevious={previous}
        />
      )}
    </section>
  );
}

// -- the design being reviewed ---------------------------------------------------------------------------

function Stage({
  item,
  state,
  position,
  total,
  more,
  onVerdict,
}: {
  item: ReviewItem;
  state: MyFeedback;
  position: number;
  total: number;
  more: boolean;
  onVerdict(verdict: Verdict): void;
}) {
  const drag = useRef<{ pointer: number; x: number; y: number } | null>(null);
  const [offset, setOffset] = useState<{ x: number; y: number } | null>(null);
  const name = nameOf(item);
  const hintId = useId();
  const leaning = offset ? swipeVerdict(offset.x * 1.6, offset.y * 1.6) : null;
  const strength = offset ? Math.min(1, Math.max(Math.abs(offset.x), Math.abs(offset.y)) / SWIPE) : 0;
  const ratio = item.width && item.height ? item.width / item.height : (item.ratio ?? 0.75);

  const down = (e: PointerEvent<HTMLDivElement>) => {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    drag.current = { pointer: e.pointerId, x: e.clientX, y: e.clientY };
    e.currentTarget.setPointerCapture?.(e.pointerId);
    setOffset({ x: 0, y: 0 });
  };
  const move = (e: PointerEvent<HTMLDivElement>) => {
    const start = drag.current;
    if (!start || start.pointer !== e.pointerId) return;
    setOffset({ x: e.clientX - start.x, y: e.clientY - start.y });
  };
  const up = (e: PointerEvent<HTMLDivElement>) => {
    const start = drag.current;
    if (!start || start.pointer !== e.pointerId) return;
    drag.current = null;
    setOffset(null);
    const swiped = swipeVerdict(e.clientX - start.x, e.clientY - start.y);
    if (swiped) onVerdict(swiped);
  };
  const cancel = () => {
    drag.current = null;
    setOffset(null);
  };

  const badges = [
    state.is_outlier && "Outlier",
    state.reaction === "like" && "Liked",
    state.reaction === "dislike" && "Discarded",
    state.is_favorite && "Favourite",
  ].filter((b): b is string => !!b);

  return (
    <figure className="review-figure">
      <div
        className="review-stage"
        data-testid="review-stage"
        aria-describedby={hintId}
        style={
          {
            "--ratio": String(ratio),
            transform: offset ? `translate(${offset.x}px, ${offset.y}px) rotate(${offset.x / 24}deg)` : undefined,
          } as CSSProperties
        }
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={cancel}
        onLostPointerCapture={cancel}
      >
        <DesignImage picture={item} alt={name} />
        {leaning && (
          <span className={`swipe-label ${leaning}`} style={{ opacity: strength }} aria-hidden="true">
            {VERDICTS[leaning].label}
          </span>
        )}
        {badges.length > 0 && (
          <ul className="review-badges" aria-label="Your verdict so far">
            {badges.map((b) => (
              <li key={b} className="review-badge">
                {b}
              </li>
            ))}
          </ul>
        )}
        <p id={hintId} className="visually-hidden">
          Swipe right to like, left to discard, up to mark as outlier.
        </p>
      </div>
      <figcaption className="review-caption">
        <span className="review-name">{name}</span>
        <span className="muted small">
          Design {position + 1} of {total}
          {more ? "+" : ""}
        </span>
        <Link to={`/designs/${item.id}`} state={{ from: "/review" }} className="small">
          Open details<span className="visually-hidden">: {name}</span>
        </Link>
      </figcaption>
    </figure>
  );
}

// -- buttons and keys ---------------------------------------------------------------------------------------

function Key({ children }: { children: string }) {
  return <kbd aria-hidden="true">{children}</kbd>;
}

/** A button of the review page: its name, then its key; `icon` before the name. */
type Control = {
  label: string;
  keyName: string;
  shortcuts: string;
  title: string;
  disabled: boolean;
  onClick(): void;
  className?: string;
  icon?: string;
};

// Buttons keep the focus where it was when clicked, so Space goes on meaning "next".
const keepFocus = (e: MouseEvent) => e.preventDefault();

function ControlButton({ control: c }: { control: Control }) {
  return (
    <button
      type="button"
      className={c.className ?? "button secondary"}
      aria-keyshortcuts={c.shortcuts}
      title={c.title}
      disabled={c.disabled}
      onMouseDown={keepFocus}
      onClick={c.onClick}
    >
      {c.icon && (
        <span aria-hidden="true" className="review-icon">
          {c.icon}
        </span>
      )}
      {c.label} <Key>{c.keyName}</Key>
    </button>
  );
}

/** The verdict buttons, in their order on the page. */
const VERDICT_BUTTONS: { verdict: Verdict; className: string; icon: string; keyName: string; swipe: string }[] = [
  { verdict: "dislike", className: "discard", icon: "✕", keyName: "D", swipe: "left" },
  { verdict: "outlier", className: "outlier", icon: "★", keyName: "O", swipe: "up" },
  { verdict: "like", className: "like", icon: "♥", keyName: "L", swipe: "right" },
];

function Controls({
  canVerdict,
  canUndo,
  lastUndo,
  canPrevious,
  canNext,
  onVerdict,
  onUndo,
  onNext,
  onPrevious,
}: {
  canVerdict: boolean;
  canUndo: boolean;
  lastUndo: Entry | null;
  canPrevious: boolean;
  canNext: boolean;
  onVerdict(v: Verdict): void;
  onUndo(): void;
  onNext(): void;
  onPrevious(): void;
}) {
  const keysId = useId();
  const verdicts: Control[] = VERDICT_BUTTONS.map(({ verdict, className, icon, keyName, swipe }) => ({
    label: VERDICTS[verdict].label,
    keyName,
    shortcuts: keyName,
    title: `${VERDICTS[verdict].label} (${keyName}, or swipe ${swipe})`,
    disabled: !canVerdict,
    onClick: () => onVerdict(verdict),
    className: `review-button ${className}`,
    icon,
  }));
  const undoTitle = lastUndo
    ? `Undo: ${VERDICTS[lastUndo.verdict].done.toLowerCase()} ${lastUndo.name} (U or Ctrl+Z)`
    : "Undo (U or Ctrl+Z)";
  const moves: Control[] = [
    { label: "Previous", keyName: "←", shortcuts: "ArrowLeft K", title: "Previous (← or K)", disabled: !canPrevious, onClick: onPrevious },
    { label: "Undo", keyName: "U", shortcuts: "U Control+Z", title: undoTitle, disabled: !canUndo, onClick: onUndo },
    { label: "Next", keyName: "→", shortcuts: "ArrowRight J Space", title: "Next (→, J or Space)", disabled: !canNext, onClick: onNext },
  ];
  return (
    <div className="review-controls">
      <div className="review-actions" role="group" aria-label="Verdict" aria-describedby={keysId}>
        {verdicts.map((c) => (
          <ControlButton key={c.label} control={c} />
        ))}
      </div>
      <div className="review-nav" role="group" aria-label="Move through designs">
        {moves.map((c) => (
          <ControlButton key={c.label} control={c} />
        ))}
      </div>
      <p id={keysId} className="review-keys muted small">
        <span className="review-keys-list">
          Keys: <span className="combo"><kbd>O</kbd> outlier</span> · <span className="combo"><kbd>L</kbd> like</span> ·{" "}
          <span className="combo"><kbd>D</kbd> discard</span> ·{" "}
          <span className="combo">
            <kbd>→</kbd> <kbd>J</kbd> <kbd>Space</kbd> next
          </span>{" "}
          ·{" "}
          <span className="combo">
            <kbd>←</kbd> <kbd>K</kbd> previous
          </span>{" "}
          ·{" "}
          <span className="combo">
            <kbd>U</kbd> or <kbd>Ctrl</kbd>+<kbd>Z</kbd> undo
          </span>
          .{" "}
        </span>
        Or swipe the design: right to like, left to discard, up for an outlier.
      </p>
    </div>
  );
}

// -- the ends of the queue ------------------------------------------------------------------------------------

function AllDone({
  stack,
  skipped,
  skippedCount,
  onJump,
}: {
  stack: Entry[];
  skipped: number;
  skippedCount: number;
  onJump(index: number): void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const count = (v: Verdict) => new Set(stack.filter((e) => e.verdict === v).map((e) => e.id)).size;
  const outliers = count("outlier");
  const liked = count("like");
  const discarded = count("dislike");
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return (
    <div className="empty review-done">
      <h2 ref={heading} tabIndex={-1}>
        All caught up
      </h2>
      <p>
        {stack.length
          ? `This round: ${plural(outliers, "outlier", "outliers")}, ${liked} liked, ${discarded} discarded.`
          : "You went through every new design without giving a verdict."}
      </p>
      <div className="review-done-actions">
        {skippedCount > 0 && skipped >= 0 && (
          <button type="button" className="button primary" onClick={() => onJump(skipped)}>
            Review the {plural(skippedCount, "design", "designs")} you skipped
          </button>
        )}
        {outliers > 0 && (
          <Link to="/?outliers=true" className="button secondary">
            See your outliers
          </Link>
        )}
        <Link to="/" className="button secondary">
          Back to the gallery
        </Link>
      </div>
    </div>
  );
}

function NothingNew() {
  const { busy } = useCommandBar();
  const examples = useExampleCommands();
  const commands = (examples.data?.examples ?? [])
    .filter((e) => e.intent === "generate")
    .map((e) => e.command)
    .slice(0, 3);
  return (
    <div className="empty review-empty">
      <h2>Nothing new to review</h2>
      <p>
        Every design in your studio has your verdict. Ask for new ones in the command bar above, then come back here
        to sort them fast.
      </p>
      <ul className="review-teach" aria-label="How review works">
        <li>
          <kbd>O</kbd> or swipe up: an outlier, a standout that teaches the studio your taste
        </li>
        <li>
          <kbd>L</kbd> or swipe right: like it
        </li>
        <li>
          <kbd>D</kbd> or swipe left: discard it
        </li>
        <li>
          <kbd>U</kbd>: undo the last verdict
        </li>
      </ul>
      {commands.length > 0 && (
        <>
          <p>Try one:</p>
          <ExampleCommands commands={commands} disabled={busy} />
        </>
      )}
      <p>
        <Link to="/" className="button secondary">
          Back to the gallery
        </Link>
      </p>
    </div>
  );
}
