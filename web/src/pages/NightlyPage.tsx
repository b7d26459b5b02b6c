import { useId, useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useCollectionImages } from "../api/collections";
import { useProviders } from "../api/costs";
import { budgetText, parseBudget, usd } from "../api/money";
import {
  browserTimeZone,
  timeZones,
  useNightly,
  useNightlyRuns,
  useSaveNightly,
  type NightlyChanges,
  type NightlyRun,
  type NightlySettings,
} from "../api/nightly";
import { describe } from "../gallery/DesignCard";
import { ErrorNotice, LoadFailed } from "../components/states";
import { Thumb } from "../components/Thumb";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { count, pretty } from "../components/charts/format";
import "./collections.css";
import "./insights.css";

/** How many of the morning's designs are shown beside its link. */
const PREVIEW = 8;

/** A moment (UTC) as the clock on the wall of `timeZone` shows it, with the zone's name;
 *  in the browser's zone when `timeZone` is unknown to it. */
export function zonedText(iso: string, timeZone: string): string {
  const options: Intl.DateTimeFormatOptions = {
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  };
  const at = new Date(iso);
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone }).format(at);
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(at);
  }
}

/** A night's date ("2026-03-04", the designer's local date) in words. */
function nightText(date: string): string {
  const at = new Date(`${date}T12:00:00Z`);
  if (Number.isNaN(at.getTime())) return date;
  return new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(at);
}

/** What a saved spec asks for, in words ("minimalist tops in black"). */
export function specText(spec: Record<string, unknown>): string {
  const words = (key: string): string[] => {
    const v = spec[key];
    if (typeof v === "string" && v) return [pretty(v)];
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string").map(pretty);
    return [];
  };
  const garment = words("garment_type")[0] ?? "designs";
  const before = [...words("styles"), ...words("silhouette"), ...words("length"), ...words("patterns")];
  const after = [...words("colors"), ...words("fabrics")];
  return [...before, garment, ...(after.length ? ["in", after.join(", ")] : [])].join(" ");
}

const STATUS_WORDS: Record<NightlyRun["status"], string> = {
  pending: "Waiting",
  running: "Making designs",
  completed: "Done",
  failed: "Failed",
  skipped: "Skipped",
  cancelled: "Cancelled",
};

export function NightlyPage() {
  useDocumentTitle("Nightly designs · Designer BFF");
  const settings = useNightly();
  // Kept here: a save changes the settings, and the form starts again with them.
  const [done, setDone] = useState("");
  return (
    <section className="insights" aria-labelledby="nightly-title">
      <header className="section-head">
        <div>
          <h1 id="nightly-title">Nightly designs</h1>
          <p className="muted">
            While you sleep, the studio makes a batch of designs from your style profile and what it has learned, a little
            more adventurous than by day. They wait for you in a collection in the morning.
          </p>
        </div>
      </header>
      {settings.isPending && (
        <div className="ins-grid" role="progressbar" aria-busy="true" aria-label="Loading your nightly settings">
          <div className="skeleton ins-skeleton" />
          <div className="skeleton ins-skeleton" />
        </div>
      )}
      {settings.isError && (
        <LoadFailed lead="Your nightly settings could not be loaded: " error={settings.error} onRetry={() => void settings.refetch()} />
      )}
      {settings.data && (
        <div className="ins-grid">
          <div className="ins-main">
            <NextRun settings={settings.data} />
            <Results lastRun={settings.data.last_run} />
          </div>
          <div className="ins-side">
            <SettingsPanel key={editableKey(settings.data)} settings={settings.data} done={done} setDone={setDone} />
          </div>
        </div>
      )}
    </section>
  );
}

/** The settings' editable part: the form starts again only when one of these changed. */
const editableKey = (s: NightlySettings) =>
  JSON.stringify([s.configured, s.enabled, s.local_time, s.timezone, s.quantity, s.provider, s.max_cost]);

function NextRun({ settings }: { settings: NightlySettings }) {
  return (
    <section className="ins-panel" aria-labelledby="nightly-next">
      <h2 id="nightly-next">Next run</h2>
      {!settings.enabled ? (
        <p>
          Nightly designs are off. Turn them on below{settings.configured ? "" : " and choose when"} to wake up to new
          designs.
        </p>
      ) : settings.next_run_at ? (
        <>
          <p className="ins-next">{zonedText(settings.next_run_at, settings.timezone)}</p>
          <p className="muted small">
            {count(settings.quantity, "design")} at {settings.local_time}, {settings.timezone.replace(/_/g, " ")} time
            {settings.max_cost ? `, spending at most ${usd(settings.max_cost)}` : ""}. Your monthly budget applies too.
          </p>
        </>
      ) : (
        <p>Not scheduled yet.</p>
      )}
      {settings.spec && (
        <p className="small">
          <strong>What to make:</strong> {specText(settings.spec)}. <ClearSpec />
        </p>
      )}
    </section>
  );
}

/** Back from a spec the designer asked for (by voice) to the profile and what was learned. */
function ClearSpec() {
  const save = useSaveNightly();
  return (
    <>
      <button type="button" className="link-button" disabled={save.isPending} onClick={() => save.mutate({ spec: null })}>
        Follow my style instead
      </button>
      {save.isError && <ErrorNotice lead="Not changed: " error={save.error} />}
    </>
  );
}

// -- the settings ---------------------------------------------------------------------------------

type Draft = {
  enabled: boolean;
  local_time: string;
  timezone: string;
  quantity: string;
  provider: string;
  max_cost: string;
};

function draftOf(s: NightlySettings): Draft {
  return {
    enabled: s.enabled,
    local_time: s.local_time,
    // Never saved: the browser's zone is the likeliest to be the designer's.
    timezone: s.configured ? s.timezone : browserTimeZone(),
    quantity: String(s.quantity),
    provider: s.provider ?? "",
    max_cost: budgetText(s.max_cost),
  };
}

type SettingsPanelProps = { settings: NightlySettings; done: string; setDone: (message: string) => void };

function SettingsPanel({ settings, done, setDone }: SettingsPanelProps) {
  const save = useSaveNightly();
  const providers = useProviders();
  const ids = { enabled: useId(), time: useId(), zone: useId(), quantity: useId(), provider: useId(), cost: useId(), costHint: useId(), problem: useId() };
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const [problem, setProblem] = useState<string | null>(null);
  const zones = useMemo(() => timeZones(draft.timezone), [draft.timezone]);
  const makers = (providers.data ?? []).filter((p) => p.operation === "generate");

  const change = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setProblem(null);
    setDone("");
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const quantity = Number(draft.quantity);
    // The most a night is the studio's setting: the server says when it is above it.
    if (!draft.quantity.trim() || !Number.isInteger(quantity) || quantity < 1) {
      setProblem("Choose a whole number of designs a night, at least 1.");
      return;
    }
    if (!/^\d{2}:\d{2}$/.test(draft.local_time)) {
      setProblem("Choose a time of night, such as 02:00.");
      return;
    }
    const maxCost = draft.max_cost.trim() ? parseBudget(draft.max_cost) : null;
    if (draft.max_cost.trim() && maxCost === null) {
      setProblem("Enter the most to spend in dollars, such as 5 or 5.50, or leave it empty.");
      return;
    }
    const body: NightlyChanges = {
      enabled: draft.enabled,
      local_time: draft.local_time,
      timezone: draft.timezone,
      quantity,
      provider: draft.provider || null,
      max_cost: maxCost,
    };
    setProblem(null);
    // mutateAsync, not mutate's callbacks: the saved settings remount this form, and
    // TanStack skips a mutate callback whose component is gone.
    save.mutateAsync(body).then(
      (saved) =>
        setDone(saved.enabled ? "Saved. Your designs will be ready in the morning." : "Saved. Nightly designs are off."),
      () => undefined, // shown by save.isError
    );
  };

  return (
    <section className="ins-panel" aria-labelledby="nightly-settings">
      <h2 id="nightly-settings">Settings</h2>
      <form className="ins-form" onSubmit={submit} noValidate>
        <div className="ins-check">
          <input id={ids.enabled} type="checkbox" checked={draft.enabled} onChange={(e) => change({ enabled: e.target.checked })} />
          <label htmlFor={ids.enabled}>Make designs every night</label>
        </div>
        <div className="ins-row">
          <div className="ins-field">
            <label htmlFor={ids.time}>Time</label>
            <input id={ids.time} type="time" value={draft.local_time} onChange={(e) => change({ local_time: e.target.value })} />
          </div>
          <div className="ins-field">
            <label htmlFor={ids.quantity}>Designs a night</label>
            <input
              id={ids.quantity}
              type="number"
              inputMode="numeric"
              min={1}
              value={draft.quantity}
              onChange={(e) => change({ quantity: e.target.value })}
            />
          </div>
        </div>
        <div className="ins-field">
          <label htmlFor={ids.zone}>Time zone</label>
          <select id={ids.zone} value={draft.timezone} onChange={(e) => change({ timezone: e.target.value })}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </div>
        <div className="ins-field">
          <label htmlFor={ids.provider}>Provider</label>
          <select id={ids.provider} value={draft.provider} onChange={(e) => change({ provider: e.target.value })}>
            <option value="">Automatic (your usual choice)</option>
            {makers.map((m) => (
              <option key={m.name} value={m.name}>
                {m.name}
              </option>
            ))}
            {draft.provider && !makers.some((m) => m.name === draft.provider) && (
              <option value={draft.provider}>{draft.provider}</option>
            )}
          </select>
          {providers.isError && <ErrorNotice lead="The providers could not be loaded: " error={providers.error} />}
        </div>
        <div className="ins-field">
          <label htmlFor={ids.cost}>Most to spend a night, in dollars</label>
          <span className="money-input">
            <span aria-hidden="true">$</span>
            <input
              id={ids.cost}
              type="text"
              inputMode="decimal"
              autoComplete="off"
              placeholder="No limit"
              value={draft.max_cost}
              aria-describedby={problem ? `${ids.problem} ${ids.costHint}` : ids.costHint}
              onChange={(e) => change({ max_cost: e.target.value })}
            />
          </span>
          <p id={ids.costHint} className="hint">
            The batch stops when it is spent, or when your monthly budget is. Free providers cost nothing.
          </p>
        </div>
        {problem && (
          <p id={ids.problem} className="notice error" role="alert">
            {problem}
          </p>
        )}
        {save.isError && <ErrorNotice lead="Not saved: " error={save.error} />}
        <div className="ins-actions">
          <button type="submit" className="button primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save nightly settings"}
          </button>
          <span className="small" role="status">
            {done}
          </span>
        </div>
      </form>
    </section>
  );
}

// -- the results ----------------------------------------------------------------------------------

function Results({ lastRun }: { lastRun: NightlyRun | null }) {
  const runs = useNightlyRuns(10);
  const latest = runs.data?.items[0] ?? lastRun;
  const earlier = runs.data ? runs.data.items.slice(latest && runs.data.items[0]?.id === latest.id ? 1 : 0) : [];
  return (
    <>
      <section className="ins-panel" aria-labelledby="nightly-latest">
        <h2 id="nightly-latest">The morning’s results</h2>
        {runs.isError && <ErrorNotice lead="The nights could not be loaded: " error={runs.error} />}
        {latest ? (
          <LatestRun run={latest} />
        ) : runs.isPending ? (
          <p className="muted small">Loading…</p>
        ) : (
          <p className="muted">No night has run yet. The first batch is made on the next night after you turn it on.</p>
        )}
      </section>
      {earlier.length > 0 && <EarlierRuns runs={earlier} />}
    </>
  );
}

function StatusTag({ run }: { run: NightlyRun }) {
  return <span className={`ins-run-status ${run.status}`}>{STATUS_WORDS[run.status] ?? run.status}</span>;
}

function LatestRun({ run }: { run: NightlyRun }) {
  return (
    <>
      <p>
        <strong>{nightText(run.run_date)}</strong> <StatusTag run={run} />
      </p>
      {run.status === "completed" && (
        <p>
          {count(run.designs, "design")} for {usd(run.cost_usd)}.
        </p>
      )}
      {run.status === "running" && <p>Making designs now{run.designs ? `: ${count(run.designs, "design")} so far` : ""}.</p>}
      {run.status === "pending" && <p>Waiting for its turn.</p>}
      {(run.status === "failed" || run.status === "skipped" || run.status === "cancelled") && (
        <p>
          {{ failed: "The batch failed", skipped: "The night was skipped", cancelled: "The batch was cancelled" }[run.status]}
          {run.error_message ? `: ${run.error_message}` : "."}
          {run.designs > 0 && ` ${count(run.designs, "design")} were made before it stopped.`}
        </p>
      )}
      {run.collection_id && (
        <>
          {run.designs > 0 && <Preview collectionId={run.collection_id} name={run.collection_name ?? "the collection"} />}
          <p>
            <Link to={`/collections/${run.collection_id}`}>Open {run.collection_name ?? "the collection"}</Link>
          </p>
        </>
      )}
    </>
  );
}

/** The first of the night's designs, from the collection (one request). */
function Preview({ collectionId, name }: { collectionId: string; name: string }) {
  const images = useCollectionImages(collectionId);
  const items = images.data?.pages.flatMap((p) => p.items).slice(0, PREVIEW) ?? [];
  if (images.isError || items.length === 0) return null;
  return (
    <ul className="ins-thumbs" aria-label={`Designs in ${name}`}>
      {items.map((item) => (
        <li key={item.id}>
          <Link to={`/designs/${item.id}`}>
            <Thumb picture={item} alt={describe(item)} shape="3 / 4" sizes="120px" />
          </Link>
        </li>
      ))}
    </ul>
  );
}

function EarlierRuns({ runs }: { runs: NightlyRun[] }) {
  return (
    <section className="ins-panel" aria-labelledby="nightly-earlier">
      <h2 id="nightly-earlier">Earlier nights</h2>
      <div className="table-scroll">
        <table className="ins-table">
          <thead>
            <tr>
              <th scope="col">Night</th>
              <th scope="col">Status</th>
              <th scope="col">Designs</th>
              <th scope="col">Cost</th>
              <th scope="col">Collection</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id}>
                <th scope="row">{nightText(run.run_date)}</th>
                <td>
                  <StatusTag run={run} />
                </td>
                <td>{run.designs.toLocaleString()}</td>
                <td>{usd(run.cost_usd)}</td>
                <td>
                  {run.collection_id ? (
                    <Link to={`/collections/${run.collection_id}`}>{run.collection_name ?? "Open"}</Link>
                  ) : (
                    <span className="muted">{run.error_message ?? "—"}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
