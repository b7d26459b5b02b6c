import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Link, useLocation, useParams } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { ApiError, describeError, retryServerErrors } from "../api/client";
import {
  designKey,
  designName,
  drawnSpec,
  askedFields,
  NO_FEEDBACK,
  useAddToCollection,
  useCollections,
  useDeleteDesign,
  useDesign,
  useDesignFeedback,
  useMoreLikeThis,
  useRemoveFromCollection,
  useRestoreDesign,
  type CollectionRef,
  type DeletedOut,
  type DesignDetail,
  type FeedbackChange,
  type FeedbackType,
  type MyFeedback,
} from "../api/designs";
import type { GarmentSpec } from "../api/types";
import { LOCAL_UPSCALE, useEnhance, useProviders, type EnhanceOut } from "../api/costs";
import { micros, price, usd } from "../api/money";

import { useApi, useAuth } from "../auth/AuthContext";
import { DesignImage } from "../components/DesignImage";
import { summary } from "../components/spec";
import { ErrorNotice } from "../components/states";
import { useConfirm } from "../components/useConfirm";
import { useLive } from "../live/LiveEvents";
import "./design.css";

/** A date in the designer's own time zone. */
export function useDateFormat() {
  const { user } = useAuth();
  return useMemo(() => {
    const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };
    try {
      return new Intl.DateTimeFormat(undefined, { ...options, timeZone: user?.timezone || undefined });
    } catch {
      return new Intl.DateTimeFormat(undefined, options); // an unknown zone name
    }
  }, [user?.timezone]);
}

// -- the page -----------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const NOT_FOUND = "This design does not exist or is not yours.";

function backTarget(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("//") ? from : "/";
}

export function DesignPage() {
  const { id = "" } = useParams();
  const location = useLocation();
  const back = backTarget(location.state);
  const valid = UUID.test(id);

  return (
    <section className="design-page" aria-labelledby="design-title">
      <nav className="design-back" aria-label="Breadcrumb">
        <Link to={back} className="back-link">
          <span aria-hidden="true">←</span> Back to gallery
        </Link>
      </nav>
      {valid ? <Design id={id} back={back} /> : <Missing back={back} />}
    </section>
  );
}

function Missing({ back }: { back: string }) {
  return (
    <div className="empty">
      <h1 id="design-title">Design not found</h1>
      <p>{NOT_FOUND}</p>
      <Link to={back} className="button secondary">
        Back to gallery
      </Link>
    </div>
  );
}

function Design({ id, back }: { id: string; back: string }) {
  const design = useDesign(id);
  const [deleted, setDeleted] = useState<DeletedOut | null>(null);

  if (design.isPending) {
    return (
      <div className="design-layout" aria-busy="true">
        <h1 id="design-title" className="visually-hidden">
          Loading design
        </h1>
        <div className="skeleton design-skeleton" />
        <div className="design-side">
          <p className="muted">Loading the design…</p>
        </div>
      </div>
    );
  }
  if (design.isError) {
    if (design.error instanceof ApiError && design.error.status === 404) return <Missing back={back} />;
    return (
      <div className="notice error" role="alert">
        <h1 id="design-title" className="design-error-title">
          This design could not be loaded
        </h1>
        <p>{describeError(design.error)}</p>
        <button type="button" className="button secondary" onClick={() => void design.refetch()}>
          Try again
        </button>
      </div>
    );
  }
  if (deleted) return <Trashed detail={design.data} deleted={deleted} back={back} onRestored={() => setDeleted(null)} />;
  return <Loaded detail={design.data} onDeleted={setDeleted} />;
}

function Loaded({ detail, onDeleted }: { detail: DesignDetail; onDeleted(out: DeletedOut): void }) {
  const dates = useDateFormat();
  const spec = useMemo(() => drawnSpec(detail), [detail]);
  const name = designName(detail.title, spec);
  return (
    <div className="design-layout">
      <div className="design-figure">
        <DesignImage picture={detail} alt={name} />
      </div>
      <div className="design-side">
        <header className="design-head">
          <h1 id="design-title">{name}</h1>
          <p className="muted">
            Created <time dateTime={detail.created_at}>{dates.format(new Date(detail.created_at))}</time>
          </p>
          {detail.type === "enhanced" && detail.source_image_id && (
            <p className="muted">
              An enhanced version of another design.{" "}
              <Link to={`/designs/${detail.source_image_id}`}>View the source design</Link>
            </p>
          )}
        </header>
        <Feedback detail={detail} name={name} />
        <FileActions detail={detail} name={name} onDeleted={onDeleted} />
        {hasAttributes(spec) && <MoreLikeThis spec={spec} />}
        {detail.status === "ready" && <Enhance key={detail.id} detail={detail} name={name} />}
        <Collections detail={detail} />
        <SpecPanel detail={detail} spec={spec} />
        <MadeWith detail={detail} />
      </div>
    </div>
  );
}

/** A titled part of the column beside the picture. */
function Panel({ title, children }: { title: string; children: ReactNode }) {
  const headingId = useId();
  return (
    <section className="design-panel" aria-labelledby={headingId}>
      <h2 id={headingId} className="panel-title">
        {title}
      </h2>
      {children}
    </section>
  );
}

// -- feedback --------------------------------------------------------------------------------------

const TOGGLES: { type: FeedbackType; label: string; on(f: MyFeedback): boolean; icon: ReactNode }[] = [
  {
    type: "outlier",
    label: "Outlier",
    on: (f) => f.is_outlier,
    icon: <path d="M12 2.8l2.8 5.9 6.4.8-4.7 4.4 1.2 6.4L12 17.2l-5.7 3.1 1.2-6.4L2.8 9.5l6.4-.8z" />,
  },
  {
    type: "favorite",
    label: "Favourite",
    on: (f) => f.is_favorite,
    icon: <path d="M12 20.5s-7.5-4.6-7.5-10.1A4.4 4.4 0 0 1 12 7.6a4.4 4.4 0 0 1 7.5 2.8c0 5.5-7.5 10.1-7.5 10.1z" />,
  },
  {
    type: "like",
    label: "Like",
    on: (f) => f.reaction === "like",
    icon: <path d="M7 10.5v9H4v-9zm0 0l4-7.5c1.4 0 2.3 1 2 2.4l-.7 3.6h5.5c1.3 0 2.2 1.2 1.9 2.4l-1.6 6.6c-.2.9-1 1.5-1.9 1.5H7" />,
  },
  {
    type: "dislike",
    label: "Dislike",
    on: (f) => f.reaction === "dislike",
    icon: <path d="M7 13.5v-9H4v9zm0 0l4 7.5c1.4 0 2.3-1 2-2.4l-.7-3.6h5.5c1.3 0 2.2-1.2 1.9-2.4l-1.6-6.6c-.2-.9-1-1.5-1.9-1.5H7" />,
  },
];

function Feedback({ detail, name }: { detail: DesignDetail; name: string }) {
  const feedback = useDesignFeedback(detail.id);
  const state = detail.my_feedback ?? { ...NO_FEEDBACK, is_outlier: detail.is_outlier };
  const send = (change: FeedbackChange) => feedback.mutate(change);

  return (
    <Panel title="Your verdict">
      <div className="verdicts" role="group" aria-label={`Verdict on ${name}`}>
        {TOGGLES.map((t) => {
          const on = t.on(state);
          return (
            <button
              key={t.type}
              type="button"
              className={`verdict ${t.type}${on ? " on" : ""}`}
              aria-pressed={on}
              onClick={() => send(on ? { kind: "clear", type: t.type } : { kind: "set", body: { type: t.type } })}
            >
              <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                {t.icon}
              </svg>
              {t.label}
            </button>
          );
        })}
      </div>
      <Stars rating={state.rating} onRate={(rating) => send({ kind: "set", body: { rating } })} />
      <Comment key={detail.id} saved={state.comment} onSave={(comment) => feedback.mutateAsync({ kind: "set", body: { comment } })} />
      {feedback.isError && <ErrorNotice lead="Not saved: " error={feedback.error} />}
    </Panel>
  );
}

function Stars({ rating, onRate }: { rating: number | null; onRate(rating: number | null): void }) {
  const name = useId();
  return (
    <fieldset className="stars-field">
      <legend>Rating</legend>
      <div className="stars">
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className={`star${rating !== null && n <= rating ? " filled" : ""}`}>
            <input
              type="radio"
              name={name}
              value={n}
              className="visually-hidden"
              checked={rating === n}
              onChange={() => onRate(n)}
            />
            <span className="star-glyph" aria-hidden="true">
              ★
            </span>
            <span className="visually-hidden">
              {n} {n === 1 ? "star" : "stars"}
            </span>
          </label>
        ))}
        <span className="stars-text">{rating ? `${rating} of 5` : "Not rated"}</span>
        {rating !== null && (
          <button type="button" className="link-button" onClick={() => onRate(null)}>
            Clear rating
          </button>
        )}
      </div>
    </fieldset>
  );
}

const COMMENT_MAX = 4000;

function Comment({ saved, onSave }: { saved: string | null; onSave(comment: string): Promise<unknown> }) {
  const id = useId();
  const [draft, setDraft] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const value = draft ?? saved ?? "";
  const changed = draft !== null && draft.trim() !== (saved ?? "");

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!changed) return;
    setBusy(true);
    setDone(null);
    try {
      await onSave(value);
      setDraft(null);
      setDone(value.trim() ? "Comment saved." : "Comment removed.");
    } catch {
      // Said by the panel's error line; the draft stays to try again.
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="comment" onSubmit={(e) => void submit(e)}>
      <label htmlFor={id}>Comment</label>
      <textarea
        id={id}
        rows={3}
        maxLength={COMMENT_MAX}
        value={value}
        placeholder="What works, what to change next time"
        onChange={(e) => {
          setDraft(e.target.value);
          setDone(null);
        }}
      />
      <div className="comment-actions">
        <button type="submit" className="button secondary" disabled={!changed || busy}>
          {busy ? "Saving…" : "Save comment"}
        </button>
        {draft !== null && (
          <button type="button" className="link-button" onClick={() => setDraft(null)} disabled={busy}>
            Discard changes
          </button>
        )}
        <span className="muted small" role="status">
          {done}
        </span>
      </div>
    </form>
  );
}

// -- download and delete ----------------------------------------------------------------------------

function fileName(detail: DesignDetail, name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "design";
  const ext = (detail.format ?? "png").toLowerCase().replace(/[^a-z0-9]/g, "") || "png";
  return `${slug}-${detail.id.slice(0, 8)}.${ext}`;
}

function FileActions({ detail, name, onDeleted }: { detail: DesignDetail; name: string; onDeleted(out: DeletedOut): void }) {
  const remove = useDeleteDesign(detail.id);
  const confirm = useConfirm();
  const titleId = useId();
  const textId = useId();

  const close = () => {
    remove.reset();
    confirm.close();
  };

  return (
    <div className="design-actions">
      {detail.urls.original && (
        <a className="button secondary" href={detail.urls.original} download={fileName(detail, name)}>
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" className="icon-stroke">
            <path d="M12 4v11m0 0l-4.5-4.5M12 15l4.5-4.5M5 19.5h14" />
          </svg>
          Download original
        </a>
      )}
      <button
        type="button"
        className="button danger-outline"
        {...confirm.openerProps}
        onClick={() => confirm.setOpen(true)}
        disabled={confirm.open}
      >
        Delete
      </button>
      {confirm.open && (
        <div
          className="confirm"
          role="alertdialog"
          aria-labelledby={titleId}
          aria-describedby={textId}
          onKeyDown={(e) => {
            if (e.key === "Escape") close();
          }}
        >
          <h2 id={titleId} className="panel-title">
            Delete this design?
          </h2>
          <p id={textId}>
            It moves to the trash and leaves your gallery and collections. You can restore it until the trash is
            emptied.
          </p>
          {remove.isError && <ErrorNotice error={remove.error} />}
          <div className="confirm-actions">
            <button
              type="button"
              className="button danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate(undefined, { onSuccess: onDeleted })}
            >
              {remove.isPending ? "Deleting…" : "Move to trash"}
            </button>
            <button ref={confirm.cancel} type="button" className="button secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

function Trashed({
  detail,
  deleted,
  back,
  onRestored,
}: {
  detail: DesignDetail;
  deleted: DeletedOut;
  back: string;
  onRestored(): void;
}) {
  const dates = useDateFormat();
  const restore = useRestoreDesign(detail.id);
  const name = designName(detail.title, drawnSpec(detail));
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <div className="empty trashed">
      <h1 id="design-title" ref={heading} tabIndex={-1}>
        Moved to the trash
      </h1>
      <p>
        “{name}” is no longer in your gallery. It stays restorable until{" "}
        <time dateTime={deleted.purge_after}>{dates.format(new Date(deleted.purge_after))}</time>.
      </p>
      {restore.isError && <ErrorNotice error={restore.error} />}
      <div className="confirm-actions centered">
        <button
          type="button"
          className="button primary"
          disabled={restore.isPending}
          onClick={() => restore.mutate(undefined, { onSuccess: onRestored })}
        >
          {restore.isPending ? "Restoring…" : "Restore"}
        </button>
        <Link to={back} className="button secondary">
          Back to gallery
        </Link>
      </div>
    </div>
  );
}

// -- more like this -----------------------------------------------------------------------------------

const QUANTITIES = [1, 2, 4, 6, 8, 12];

/** A spec that says something: an empty one would make anything at all, not more of this. */
function hasAttributes(spec: GarmentSpec): boolean {
  return Object.entries(spec).some(([key, value]) =>
    key === "quantity" || key === "exclude" ? false : Array.isArray(value) ? value.length > 0 : !!value,
  );
}

function MoreLikeThis({ spec }: { spec: GarmentSpec }) {
  const more = useMoreLikeThis();
  const live = useLive();
  const [quantity, setQuantity] = useState(4);
  const [started, setStarted] = useState<string | null>(null);
  const selectId = useId();

  const start = () => {
    setStarted(null);
    more.mutate(
      { spec, quantity },
      {
        onSuccess: (job) => {
          const label = summary(spec, job.quantity);
          live.track({ id: job.id, label, total: job.quantity });
          setStarted(label);
        },
      },
    );
  };

  return (
    <Panel title="More like this">
      <p className="muted small">
        New designs from this one’s garment spec — same garment, colours, fabric and details — each drawn with a new
        seed.
      </p>
      <div className="inline-form">
        <label htmlFor={selectId}>How many</label>
        <select id={selectId} value={quantity} onChange={(e) => setQuantity(Number(e.target.value))}>
          {QUANTITIES.map((q) => (
            <option key={q} value={q}>
              {q}
            </option>
          ))}
        </select>
        <button type="button" className="button primary" disabled={more.isPending} onClick={start}>
          {more.isPending ? "Starting…" : "More like this"}
        </button>
      </div>
      <div aria-live="polite">
        {started && (
          <p className="notice ok">
            On it: {started}. They appear in your <Link to="/">gallery</Link> as they are made.
          </p>
        )}
      </div>
      {more.isError && <ErrorNotice error={more.error} />}
    </Panel>
  );
}

// -- collections -----------------------------------------------------------------------------------------

function Collections({ detail }: { detail: DesignDetail }) {
  const [open, setOpen] = useState(false);
  const remove = useRemoveFromCollection(detail.id);
  return (
    <Panel title="Collections">
      {detail.collections.length > 0 ? (
        <ul className="chips collection-chips" aria-label="In collections">
          {detail.collections.map((c) => (
            <li key={c.id} className="chip">
              <span>{c.name}</span>
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove from ${c.name}`}
                title={`Remove from ${c.name}`}
                disabled={remove.isPending}
                onClick={() => remove.mutate(c)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">Not in any collection yet.</p>
      )}
      {remove.isError && <ErrorNotice error={remove.error} />}
      <button
        type="button"
        className="button secondary"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {open ? "Close" : "Add to collection"}
      </button>
      {open && <CollectionPicker imageId={detail.id} current={detail.collections} />}
    </Panel>
  );
}

function CollectionPicker({ imageId, current }: { imageId: string; current: CollectionRef[] }) {
  const collections = useCollections();
  const add = useAddToCollection(imageId);
  const [chosen, setChosen] = useState("");
  const [name, setName] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const selectId = useId();
  const nameId = useId();
  const inIt = new Set(current.map((c) => c.id));
  const others = (collections.data ?? []).filter((c) => !inIt.has(c.id));
  const selected = others.some((c) => c.id === chosen) ? chosen : (others[0]?.id ?? "");

  const added = (ref: CollectionRef) => setDone(`Added to “${ref.name}”.`);

  const addExisting = (event: FormEvent) => {
    event.preventDefault();
    if (!selected) return;
    setDone(null);
    add.mutate({ collectionId: selected }, { onSuccess: added });
    setChosen("");
  };
  const create = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    setDone(null);
    add.mutate(
      { name: trimmed },
      {
        onSuccess: (ref) => {
          setName("");
          added(ref);
        },
      },
    );
  };

  return (
    <div className="picker">
      {collections.isPending && <p className="muted small">Loading your collections…</p>}
      {collections.isError && (
        <ErrorNotice error={collections.error}>
          {" "}
          <button type="button" className="link-button" onClick={() => void collections.refetch()}>
            Try again
          </button>
        </ErrorNotice>
      )}
      {collections.isSuccess && others.length > 0 && (
        <form className="inline-form" onSubmit={addExisting}>
          <label htmlFor={selectId}>Collection</label>
          <select id={selectId} value={selected} onChange={(e) => setChosen(e.target.value)}>
            {others.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} ({c.image_count})
              </option>
            ))}
          </select>
          <button type="submit" className="button primary" disabled={add.isPending || !selected}>
            Add
          </button>
        </form>
      )}
      {collections.isSuccess && others.length === 0 && (
        <p className="muted small">
          {collections.data.length ? "It is in all your collections already." : "You have no collections yet."}
        </p>
      )}
      <form className="inline-form" onSubmit={create}>
        <label htmlFor={nameId}>New collection</label>
        <input
          id={nameId}
          type="text"
          value={name}
          maxLength={200}
          placeholder="e.g. Resort 2027"
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="button secondary" disabled={add.isPending || !name.trim()}>
          Create and add
        </button>
      </form>
      <div aria-live="polite" className="small">
        {done && <p className="notice ok">{done}</p>}
      </div>
      {add.isError && <ErrorNotice error={add.error} />}
    </div>
  );
}

// -- spec and provenance -----------------------------------------------------------------------------------

const pretty = (v: string) => v.replace(/_/g, " ");

const SPEC_ROWS: { field: keyof GarmentSpec; label: string }[] = [
  { field: "garment_type", label: "Garment" },
  { field: "silhouette", label: "Silhouette" },
  { field: "length", label: "Length" },
  { field: "neckline", label: "Neckline" },
  { field: "sleeve", label: "Sleeve" },
  { field: "colors", label: "Colours" },
  { field: "palettes", label: "Palette" },
  { field: "fabrics", label: "Fabrics" },
  { field: "patterns", label: "Patterns" },
  { field: "styles", label: "Styles" },
  { field: "occasions", label: "Occasions" },
  { field: "seasons", label: "Seasons" },
  { field: "details", label: "Details" },
];

function SpecPanel({ detail, spec }: { detail: DesignDetail; spec: GarmentSpec }) {
  const asked = askedFields(detail);
  const rows = SPEC_ROWS.flatMap(({ field, label }) => {
    const value = spec[field];
    const values = Array.isArray(value) ? (value as string[]) : typeof value === "string" && value ? [value] : [];
    return values.length ? [{ field, label, values }] : [];
  });
  const excluded = Object.values(spec.exclude ?? {}).flat();

  return (
    <Panel title="Garment spec">
      {rows.length > 0 || excluded.length > 0 ? (
        <dl className="spec-list">
          {rows.map((row) => (
            <div key={row.field} className="spec-row">
              <dt>{row.label}</dt>
              <dd>
                {row.values.map(pretty).join(", ")}
                {asked.size > 0 && !asked.has(row.field) && <span className="picked">studio’s pick</span>}
              </dd>
            </div>
          ))}
          {excluded.length > 0 && (
            <div className="spec-row">
              <dt>Without</dt>
              <dd>{excluded.map(pretty).join(", ")}</dd>
            </div>
          )}
        </dl>
      ) : (
        <p className="muted small">This design was made without a garment spec.</p>
      )}
      {detail.prompt && (
        <>
          <h3 className="panel-subtitle">Prompt</h3>
          <blockquote className="prompt">{detail.prompt}</blockquote>
        </>
      )}
      {detail.negative_prompt && (
        <>
          <h3 className="panel-subtitle">Avoided</h3>
          <p className="prompt small">{detail.negative_prompt}</p>
        </>
      )}
    </Panel>
  );
}

function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function MadeWith({ detail }: { detail: DesignDetail }) {
  const rows: [string, ReactNode][] = [];
  if (detail.provider) rows.push(["Provider", pretty(detail.provider)]);
  if (detail.model) rows.push(["Model", detail.model]);
  if (detail.seed !== null) rows.push(["Seed", <code key="seed">{detail.seed}</code>]);
  rows.push(["Cost", costText(detail)]);
  if (detail.width && detail.height) {
    const size = `${detail.width} × ${detail.height} px`;
    const extra = [detail.format?.toUpperCase(), detail.bytes ? bytesText(detail.bytes) : null].filter(Boolean);
    rows.push(["Size", extra.length ? `${size} · ${extra.join(", ")}` : size]);
  }
  return (
    <Panel title="Made with">
      <dl className="spec-list plain">
        {rows.map(([label, value]) => (
          <div key={label} className="spec-row">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </Panel>
  );
}

/** "Free", "$0.04", or "$0.04 · $0.16 for the whole job of 4". */
function costText(detail: DesignDetail): string {
  const own = price(detail.cost_usd);
  const job = detail.costs?.job_usd;
  const count = detail.job?.quantity ?? 1;
  if (!job || count < 2 || micros(job) === micros(detail.cost_usd) || !micros(job)) return own;
  return `${own} · ${usd(job)} for the whole job of ${count}`;
}

// -- enhance -----------------------------------------------------------------------------------------------

const SCALES = [2, 4] as const;
const POLL_MS = 2000;

function Enhance({ detail, name }: { detail: DesignDetail; name: string }) {
  const providers = useProviders();
  const enhance = useEnhance(detail.id);
  const live = useLive();
  const [scale, setScale] = useState<2 | 4>(2);
  const [faceFix, setFaceFix] = useState(false);
  const [provider, setProvider] = useState("");
  const [made, setMade] = useState<{ out: EnhanceOut; scale: number } | null>(null);
  const scaleName = useId();
  const providerId = useId();
  const faceId = useId();
  const enhancers = (providers.data ?? []).filter((p) => p.operation === "enhance");
  // Only a provider other than the local upscaler can fix faces.
  const canFixFaces = enhancers.some((p) => p.name !== LOCAL_UPSCALE);
  const faceFixOff = provider === LOCAL_UPSCALE;
  const chosen = enhancers.find((p) => p.name === provider) ?? (enhancers.length === 1 ? enhancers[0] : undefined);

  if (providers.isSuccess && enhancers.length === 0) {
    return (
      <Panel title="Enhance">
        <p className="muted small">Enhancing is not offered by this studio yet.</p>
      </Panel>
    );
  }

  const start = (event: FormEvent) => {
    event.preventDefault();
    setMade(null);
    const body = { scale, face_fix: canFixFaces && !faceFixOff && faceFix, ...(provider ? { provider } : {}) };
    enhance.mutate(body, {
      onSuccess: (out) => {
        live.track({ id: out.job_id, label: `${name}, enhanced ×${scale}`, total: 1 });
        setMade({ out, scale });
      },
    });
  };

  return (
    <Panel title="Enhance">
      <p className="muted small">A larger, sharper copy of this design, saved as a new design beside it.</p>
      <form className="enhance-form" onSubmit={start}>
        <fieldset className="enhance-scale">
          <legend>Scale</legend>
          {SCALES.map((s) => (
            <label key={s} className={`scale-option${scale === s ? " on" : ""}`}>
              <input
                type="radio"
                name={scaleName}
                value={s}
                className="visually-hidden"
                checked={scale === s}
                onChange={() => setScale(s)}
              />
              <span>×{s}</span>
            </label>
          ))}
        </fieldset>
        {enhancers.length > 1 && (
          <div className="inline-form">
            <label htmlFor={providerId}>Enhance with</label>
            <select id={providerId} value={provider} onChange={(e) => setProvider(e.target.value)}>
              <option value="">Automatic</option>
              {enhancers.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name} — {p.unit_price_usd === null ? "price depends on options" : price(p.unit_price_usd)}
                </option>
              ))}
            </select>
          </div>
        )}
        {canFixFaces && (
          <div className="check">
            <input
              id={faceId}
              type="checkbox"
              checked={faceFix && !faceFixOff}
              disabled={faceFixOff}
              onChange={(e) => setFaceFix(e.target.checked)}
            />
            <label htmlFor={faceId}>Fix faces</label>
            {faceFixOff && <span className="muted small">({LOCAL_UPSCALE} cannot fix faces)</span>}
          </div>
        )}
        <div className="inline-form">
          <button type="submit" className="button primary" disabled={enhance.isPending}>
            {enhance.isPending ? "Starting…" : "Enhance"}
          </button>
          {chosen?.unit_price_usd != null && <span className="muted small">Cost: {price(chosen.unit_price_usd)}</span>}
        </div>
      </form>
      <div aria-live="polite">{made && <Enhancing made={made.out} scale={made.scale} />}</div>
      {enhance.isError && <ErrorNotice lead="Not enhanced: " error={enhance.error} />}
    </Panel>
  );
}

/** The new design, asked after until it is made (the job's live events say so sooner). */
function Enhancing({ made, scale }: { made: EnhanceOut; scale: number }) {
  const api = useApi();
  const live = useLive();
  const job = live.jobs.find((j) => j.id === made.job_id);
  const polled = useQuery({
    queryKey: designKey(made.id),
    queryFn: ({ signal }) => api.json<DesignDetail>(`/api/images/${encodeURIComponent(made.id)}`, { signal }),
    retry: retryServerErrors,
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === "ready" || status === "failed" ? false : POLL_MS;
    },
  });
  const status = polled.data?.status;
  const ready = status === "ready" || job?.status === "completed";
  const failed = status === "failed" || job?.status === "failed" || job?.status === "cancelled";

  if (failed) {
    return (
      <p className="notice error" role="alert">
        The enhancement failed{job?.status === "cancelled" ? ": it was cancelled" : ""}. Try again, or try the other scale.
      </p>
    );
  }
  if (ready) {
    return (
      <p className="notice ok">
        Enhanced ×{scale}. <Link to={`/designs/${made.id}`}>Open the enhanced design</Link>
      </p>
    );
  }
  return (
    <p className="notice" role="status">
      Enhancing… The ×{scale} copy appears here and in your gallery when it is ready.
    </p>
  );
}
