import { useId, useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router";
import {
  describeEditError,
  percent,
  pretty,
  PROFILE_ATTRIBUTES,
  useEditStyleProfile,
  useStyleHistory,
  useStyleProfile,
  type EditOp,
  type PaletteColour,
  type ProfileEdit,
  type ProfilePatch,
  type ProfileValue,
  type StyleProfile,
} from "../api/portfolio";
import { useVocabulary, valuesOf } from "../api/vocabulary";
import { useAuth } from "../auth/AuthContext";
import { ErrorNotice, LoadFailed } from "../components/states";
import { useDocumentTitle } from "../components/useDocumentTitle";
import "./portfolio.css";

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** Every attribute of the profile, the taxonomy's first and in their order, then any other. */
function attributeList(profile: StyleProfile): { field: string; label: string }[] {
  const known: { field: string; label: string }[] = PROFILE_ATTRIBUTES.map((a) => ({ field: a.field, label: a.label }));
  const extra = Object.keys(profile.attributes)
    .filter((field) => !known.some((a) => a.field === field))
    .map((field) => ({ field, label: pretty(field) }));
  return [...known, ...extra];
}

const oneOf = (field: string) => PROFILE_ATTRIBUTES.find((a) => a.field === field)?.one ?? pretty(field);

/** What an edit did, in words for the status line. */
function doneText(edit: ProfileEdit): string {
  const value = pretty(edit.value);
  const words: Record<EditOp, string> = {
    pin: `${value} pinned: new designs keep it.`,
    unpin: `${value} no longer pinned.`,
    boost: `${value} boosted ×${edit.factor ?? 2}.`,
    unboost: `${value} no longer boosted.`,
    ban: `${value} banned: new designs leave it out.`,
    unban: `${value} no longer banned.`,
  };
  const text = words[edit.op];
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The page's one way to change the profile, and what it last said. */
function useProfileEditor() {
  const edit = useEditStyleProfile();
  const [said, setSaid] = useState("");
  const apply = (body: ProfilePatch, done: string, after?: () => void) => {
    setSaid("");
    edit.mutate(body, {
      onSuccess: () => {
        setSaid(done);
        after?.();
      },
    });
  };
  return { apply, said, busy: edit.isPending, error: edit.isError ? edit.error : null };
}

type Editor = ReturnType<typeof useProfileEditor>;

export function StyleProfilePage() {
  useDocumentTitle("Style profile · Designer BFF");
  const profile = useStyleProfile();
  const editor = useProfileEditor();

  return (
    <section className="style-profile" aria-labelledby="sp-title">
      <header className="section-head">
        <div>
          <h1 id="sp-title">Style profile</h1>
          <p className="muted">
            What your <Link to="/portfolio">portfolio</Link> says about your work, with your own corrections. New designs
            lean towards it when a command leaves something open.
          </p>
        </div>
      </header>
      {profile.isPending && (
        <div className="sp-grid" role="progressbar" aria-busy="true" aria-label="Loading your style profile">
          <div className="skeleton sp-skeleton" />
          <div className="skeleton sp-skeleton" />
        </div>
      )}
      {profile.isError && (
        <LoadFailed lead="Your style profile could not be loaded: " error={profile.error} onRetry={() => void profile.refetch()} />
      )}
      {profile.data && <Profile profile={profile.data} editor={editor} />}
    </section>
  );
}

function Profile({ profile, editor }: { profile: StyleProfile; editor: Editor }) {
  const empty = profile.image_count === 0;
  return (
    <>
      {profile.pending > 0 && (
        <p className="notice sp-pending" role="status">
          {plural(profile.pending, "image")} still being analysed. The profile changes as each one is done.
        </p>
      )}
      <p className="small sp-said" role="status">
        {editor.said}
      </p>
      {editor.error && (
        <p className="notice error" role="alert">
          Not changed: {describeEditError(editor.error)}
        </p>
      )}
      {empty && (
        <div className="empty sp-empty">
          <h2>Your style profile is empty</h2>
          <p className="muted">
            It is built from your past work: upload it to your portfolio, and each analysed image adds its garment,
            colours, patterns and fabrics here.
          </p>
          <Link className="button primary" to="/portfolio">
            Upload a portfolio
          </Link>
        </div>
      )}
      <div className="sp-grid">
        <div className="sp-main">
          {!empty && <Summary profile={profile} editor={editor} />}
          {profile.palette.length > 0 && <Palette colours={profile.palette} />}
          {!empty && <Distribution profile={profile} editor={editor} />}
        </div>
        <div className="sp-side">
          <Edits profile={profile} editor={editor} />
          <History />
        </div>
      </div>
    </>
  );
}

// -- the summary --------------------------------------------------------------------------------------

function Summary({ profile, editor }: { profile: StyleProfile; editor: Editor }) {
  const headingId = useId();
  const fieldId = useId();
  const hintId = useId();
  const [draft, setDraft] = useState<string | null>(null);

  const save = (event: FormEvent) => {
    event.preventDefault();
    if (draft === null) return;
    const text = draft.trim();
    editor.apply(
      { edits: [], summary: text ? text : null },
      text ? "Summary saved." : "Back to the generated summary.",
      () => setDraft(null),
    );
  };

  return (
    <section className="sp-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Summary</h2>
      {draft === null ? (
        <>
          <p className="sp-summary">{profile.summary || "No summary yet."}</p>
          {profile.summary_edited && <p className="muted small">In your own words.</p>}
          <div className="sp-actions">
            <button type="button" className="button secondary pf-small" onClick={() => setDraft(profile.summary)}>
              Edit summary
            </button>
            {profile.summary_edited && (
              <button
                type="button"
                className="button ghost pf-small"
                disabled={editor.busy}
                onClick={() => editor.apply({ edits: [], summary: null }, "Back to the generated summary.")}
              >
                Use generated summary
              </button>
            )}
          </div>
          {profile.summary_edited && profile.generated_summary && (
            <details>
              <summary className="small">The generated summary</summary>
              <p className="small muted">{profile.generated_summary}</p>
            </details>
          )}
        </>
      ) : (
        <form className="sp-summary-form" onSubmit={save}>
          <label htmlFor={fieldId}>Your summary</label>
          <textarea
            id={fieldId}
            value={draft}
            maxLength={500}
            aria-describedby={hintId}
            onChange={(e) => setDraft(e.target.value)}
          />
          <p id={hintId} className="hint">
            Up to 500 characters. Saving it empty goes back to the generated summary.
          </p>
          <div className="sp-actions">
            <button type="submit" className="button primary pf-small" disabled={editor.busy}>
              {editor.busy ? "Saving…" : "Save summary"}
            </button>
            <button type="button" className="button secondary pf-small" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

// -- the palette ----------------------------------------------------------------------------------------

function Palette({ colours }: { colours: PaletteColour[] }) {
  const headingId = useId();
  return (
    <section className="sp-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Palette</h2>
      <ul className="sp-palette" aria-labelledby={headingId}>
        {colours.map((c) => (
          <li key={c.value}>
            <span className="sp-swatch" style={{ backgroundColor: c.hex }} aria-hidden="true" />
            <span className="sp-palette-name">{pretty(c.value)}</span>
            <span className="sp-palette-figures">
              {percent(c.weight)} · {c.hex}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

// -- the distributions ----------------------------------------------------------------------------------

function Distribution({ profile, editor }: { profile: StyleProfile; editor: Editor }) {
  const headingId = useId();
  const attributes = attributeList(profile).filter((a) => (profile.attributes[a.field] ?? []).length > 0);
  return (
    <section className="sp-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>What your work is made of</h2>
      <p className="muted small">
        Each value’s share of its attribute. Pin a value to keep it in new designs, boost it to have it more often, or ban
        it to leave it out.
      </p>
      {attributes.length === 0 && <p className="muted small">No attribute has been analysed yet.</p>}
      {attributes.map((a) => (
        <Attribute key={a.field} field={a.field} label={a.label} values={profile.attributes[a.field]} editor={editor} />
      ))}
    </section>
  );
}

function Attribute({ field, label, values, editor }: { field: string; label: string; values: ProfileValue[]; editor: Editor }) {
  const headingId = useId();
  const toggle = (edit: ProfileEdit) => editor.apply({ edits: [edit] }, doneText(edit));
  return (
    <section className="sp-attribute" aria-labelledby={headingId}>
      <h3 id={headingId}>{label}</h3>
      <ul className="sp-bars" aria-labelledby={headingId}>
        {values.map((v) => {
          const name = pretty(v.value);
          const share = Math.max(0, Math.min(100, v.weight * 100));
          return (
            <li key={v.value} className={`sp-bar-row${v.banned ? " banned" : ""}`}>
              <span className="sp-value">
                {name}
                {v.banned && <span className="visually-hidden"> (banned)</span>}
                {v.boost !== null && <span className="small muted"> ×{v.boost}</span>}
              </span>
              <span className="sp-bar" aria-hidden="true">
                <span style={{ width: `${share}%` }} />
              </span>
              <span className="sp-share">{percent(v.weight)}</span>
              <span className="sp-toggles">
                <button
                  type="button"
                  className="sp-toggle"
                  aria-pressed={v.pinned}
                  aria-label={`Pin ${name}`}
                  disabled={editor.busy}
                  onClick={() => toggle({ op: v.pinned ? "unpin" : "pin", attribute: field, value: v.value })}
                >
                  Pin
                </button>
                <button
                  type="button"
                  className="sp-toggle"
                  aria-pressed={v.boost !== null}
                  aria-label={`Boost ${name}`}
                  disabled={editor.busy}
                  onClick={() =>
                    toggle(
                      v.boost !== null
                        ? { op: "unboost", attribute: field, value: v.value }
                        : { op: "boost", attribute: field, value: v.value, factor: 2 },
                    )
                  }
                >
                  Boost
                </button>
                <button
                  type="button"
                  className="sp-toggle ban"
                  aria-pressed={v.banned}
                  aria-label={`Ban ${name}`}
                  disabled={editor.busy}
                  onClick={() => toggle({ op: v.banned ? "unban" : "ban", attribute: field, value: v.value })}
                >
                  Ban
                </button>
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

// -- edits of any value ------------------------------------------------------------------------------

function Edits({ profile, editor }: { profile: StyleProfile; editor: Editor }) {
  const headingId = useId();
  const attributeId = useId();
  const valueId = useId();
  const vocabulary = useVocabulary();
  const [attribute, setAttribute] = useState<string>("colors");
  const [value, setValue] = useState("");
  // The taxonomy's values; the profile's own when the vocabulary cannot be had.
  const taxonomy = valuesOf(vocabulary.data, attribute);
  const choices = taxonomy.length ? taxonomy : (profile.attributes[attribute] ?? []).map((v) => v.value);

  const { pinned, boosted, banned } = profile.edits;
  const rows = [
    ...Object.entries(pinned).flatMap(([field, values]) => values.map((v) => ({ kind: "pinned" as const, field, value: v, factor: null }))),
    ...Object.entries(boosted).flatMap(([field, values]) =>
      Object.entries(values).map(([v, factor]) => ({ kind: "boosted" as const, field, value: v, factor })),
    ),
    ...Object.entries(banned).flatMap(([field, values]) => values.map((v) => ({ kind: "banned" as const, field, value: v, factor: null }))),
  ];
  const undo = { pinned: "unpin", boosted: "unboost", banned: "unban" } as const;
  const undoLabel = { pinned: "Unpin", boosted: "Stop boosting", banned: "Unban" } as const;

  const send = (op: "pin" | "ban") => {
    if (!value) return;
    const edit: ProfileEdit = { op, attribute, value };
    editor.apply({ edits: [edit] }, doneText(edit));
  };

  return (
    <section className="sp-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Your edits</h2>
      {rows.length === 0 ? (
        <p className="muted small">Nothing pinned, boosted or banned.</p>
      ) : (
        <ul className="sp-edits">
          {rows.map((r) => (
            <li key={`${r.kind}:${r.field}:${r.value}`} className={r.kind}>
              <span>
                {r.kind === "pinned" ? "Pinned" : r.kind === "boosted" ? `Boosted ×${r.factor}` : "Banned"} {oneOf(r.field)}:{" "}
                {pretty(r.value)}
              </span>
              <button
                type="button"
                className="chip-remove"
                aria-label={`${undoLabel[r.kind]} ${pretty(r.value)}`}
                disabled={editor.busy}
                onClick={() => {
                  const edit: ProfileEdit = { op: undo[r.kind], attribute: r.field, value: r.value };
                  editor.apply({ edits: [edit] }, doneText(edit));
                }}
              >
                <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="sp-add" onSubmit={(e) => e.preventDefault()} aria-label="Pin or ban any value">
        <p className="muted small">Pin or ban any value, even one your portfolio does not have.</p>
        <div className="field">
          <label htmlFor={attributeId}>Attribute</label>
          <select
            id={attributeId}
            value={attribute}
            onChange={(e) => {
              setAttribute(e.target.value);
              setValue("");
            }}
          >
            {PROFILE_ATTRIBUTES.map((a) => (
              <option key={a.field} value={a.field}>
                {a.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={valueId}>Value</label>
          <select id={valueId} value={value} onChange={(e) => setValue(e.target.value)}>
            <option value="">{vocabulary.isPending ? "Loading the values…" : "Choose a value"}</option>
            {choices.map((v) => (
              <option key={v} value={v}>
                {pretty(v)}
              </option>
            ))}
          </select>
        </div>
        <div className="sp-actions">
          <button type="button" className="button secondary pf-small" disabled={!value || editor.busy} onClick={() => send("pin")}>
            Pin value
          </button>
          <button type="button" className="button secondary pf-small" disabled={!value || editor.busy} onClick={() => send("ban")}>
            Ban value
          </button>
        </div>
      </form>
    </section>
  );
}

// -- history ----------------------------------------------------------------------------------------

/** Dates in the designer's time zone (as the design page shows them). */
function useDateFormat() {
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

function History() {
  const headingId = useId();
  const history = useStyleHistory();
  const dates = useDateFormat();
  return (
    <section className="sp-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>History</h2>
      {history.isPending && <p className="muted small">Loading the history…</p>}
      {history.isError && <ErrorNotice lead="The history could not be loaded: " error={history.error} />}
      {history.data &&
        (history.data.items.length === 0 ? (
          <p className="muted small">No version yet.</p>
        ) : (
          <ol className="sp-history" aria-labelledby={headingId}>
            {history.data.items.map((v) => (
              <li key={v.version}>
                <p className="sp-version">
                  Version {v.version}
                  <span className="muted small">
                    {" · "}
                    <time dateTime={v.created_at}>{dates.format(new Date(v.created_at))}</time>
                  </span>
                </p>
                {v.reason && <p className="small">{v.reason.charAt(0).toUpperCase() + v.reason.slice(1)}</p>}
                {v.summary && <p className="small muted">{v.summary}</p>}
                <p className="small muted">From {plural(v.image_count, "image")}</p>
              </li>
            ))}
          </ol>
        ))}
    </section>
  );
}
