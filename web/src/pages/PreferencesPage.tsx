import { useId, useState } from "react";
import { Link } from "react-router";
import {
  useCorrectPreference,
  usePreferences,
  useResetPreferences,
  attributeLabel,
  type Correction,
  type PreferenceValue,
  type Preferences,
} from "../api/learning";
import { PROFILE_ATTRIBUTES } from "../api/portfolio";
import { ErrorNotice, LoadFailed } from "../components/states";
import { useConfirm } from "../components/useConfirm";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { pct, pretty } from "../components/charts/format";
import "../components/charts/charts.css";
import "./insights.css";

/** The taxonomy's order of attributes, then any other in the order they came. */
function attributeOrder(values: PreferenceValue[]): string[] {
  const rank = (a: string) => {
    const i = PROFILE_ATTRIBUTES.findIndex((p) => p.field === a || p.field === `${a}s` || p.one === a);
    return i < 0 ? PROFILE_ATTRIBUTES.length : i;
  };
  const names = [...new Set(values.map((v) => v.attribute))];
  return names.sort((a, b) => rank(a) - rank(b));
}

const CORRECTIONS: { value: Correction; label: string }[] = [
  { value: "prefer", label: "Prefer" },
  { value: "avoid", label: "Avoid" },
  { value: "forget", label: "Forget" },
];

/** What a correction did, for the status line. */
function doneText(value: string, correction: Correction | null): string {
  const name = pretty(value);
  const capital = name.charAt(0).toUpperCase() + name.slice(1);
  switch (correction) {
    case "prefer":
      return `${capital}: new designs lean to it.`;
    case "avoid":
      return `${capital}: new designs no longer use it unless you ask for it.`;
    case "forget":
      return `${capital}: what was learned about it is forgotten.`;
    default:
      return `${capital}: back to what was learned.`;
  }
}

export function PreferencesPage() {
  useDocumentTitle("What I’ve learned about you · Designer BFF");
  const preferences = usePreferences();
  return (
    <section className="insights" aria-labelledby="prefs-title">
      <header className="section-head">
        <div>
          <h1 id="prefs-title">What I’ve learned about you</h1>
          <p className="muted">
            From the outliers, favourites, likes and ratings you give designs. When a command leaves something open, new
            designs lean to what you like; what you say in a command always wins.
          </p>
        </div>
      </header>
      {preferences.isPending && (
        <div className="ins-grid" role="progressbar" aria-busy="true" aria-label="Loading what was learned">
          <div className="skeleton ins-skeleton" />
          <div className="skeleton ins-skeleton" />
        </div>
      )}
      {preferences.isError && (
        <LoadFailed
          lead="What was learned could not be loaded: "
          error={preferences.error}
          onRetry={() => void preferences.refetch()}
        />
      )}
      {preferences.data && <Learned preferences={preferences.data} />}
    </section>
  );
}

function Learned({ preferences }: { preferences: Preferences }) {
  const correct = useCorrectPreference();
  const [said, setSaid] = useState("");
  const nothing = preferences.values.length === 0 && preferences.statements.length === 0;

  const apply = (v: PreferenceValue, correction: Correction | null) => {
    setSaid("");
    correct.mutate(
      { attribute: v.attribute, value: v.value, correction },
      { onSuccess: () => setSaid(doneText(v.value, correction)) },
    );
  };

  return (
    <>
      <p className="small ins-said" role="status">
        {said}
      </p>
      {correct.isError && <ErrorNotice lead="Not changed: " error={correct.error} />}
      {preferences.cold_start && (
        <p className="notice">
          You have not given much feedback yet, so new designs also lean on what designers in general like. Mark
          outliers, favourites and likes in the <Link to="/">gallery</Link> to teach me your own taste.
        </p>
      )}
      <div className="ins-grid">
        <div className="ins-main">
          <section className="ins-panel" aria-labelledby="prefs-words">
            <h2 id="prefs-words">In plain words</h2>
            {preferences.statements.length === 0 ? (
              <p className="muted">
                Nothing stands out yet. As you react to designs, what you favour (and what you pass over) shows here.
              </p>
            ) : (
              <ul className="ins-statements" aria-labelledby="prefs-words">
                {preferences.statements.map((s) => (
                  <li key={`${s.attribute}:${s.value}`} className={s.direction}>
                    {s.text}
                  </li>
                ))}
              </ul>
            )}
          </section>
          {nothing ? (
            <div className="ins-panel ins-empty">
              <h2>Nothing learned yet</h2>
              <p className="muted">
                Each outlier, favourite, like or rating you give teaches me what you love; designs you pass over count a
                little too.
              </p>
              <Link className="button primary" to="/review">
                Review designs
              </Link>
            </div>
          ) : (
            <Values values={preferences.values} busy={correct.isPending} onCorrect={apply} />
          )}
        </div>
        <div className="ins-side">
          <Basis preferences={preferences} />
          <Reset onDone={() => setSaid("Everything learned is forgotten. I start again from your next reaction.")} />
        </div>
      </div>
    </>
  );
}

function Basis({ preferences }: { preferences: Preferences }) {
  return (
    <section className="ins-panel" aria-labelledby="prefs-basis">
      <h2 id="prefs-basis">What it is based on</h2>
      <dl className="ins-figures">
        <div>
          <dt>Your reactions</dt>
          <dd>{preferences.feedback_count.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Designs considered</dt>
          <dd>{preferences.designs_considered.toLocaleString()}</dd>
        </div>
      </dl>
      <p className="muted small">
        About {pct(preferences.explore)} of the open choices try something new, so that new favourites can surprise you.
        Recent reactions count more than old ones.
      </p>
    </section>
  );
}

type Correct = (v: PreferenceValue, correction: Correction | null) => void;

function Values({ values, busy, onCorrect }: { values: PreferenceValue[]; busy: boolean; onCorrect: Correct }) {
  const headingId = useId();
  return (
    <section className="ins-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Everything learned</h2>
      <p className="muted small">
        How likely you are to love each value, from your reactions. Prefer one to have it more often, avoid one to leave it
        out of new designs, or forget what was learned about it. Press a correction again to undo it.
      </p>
      {attributeOrder(values).map((attribute) => (
        <AttributeValues
          key={attribute}
          attribute={attribute}
          values={values.filter((v) => v.attribute === attribute).sort((a, b) => (b.score ?? -1) - (a.score ?? -1))}
          busy={busy}
          onCorrect={onCorrect}
        />
      ))}
    </section>
  );
}

function AttributeValues({
  attribute,
  values,
  busy,
  onCorrect,
}: {
  attribute: string;
  values: PreferenceValue[];
  busy: boolean;
  onCorrect: Correct;
}) {
  const headingId = useId();
  const label = attributeLabel(attribute);
  return (
    <section className="ins-attribute" aria-labelledby={headingId}>
      <h3 id={headingId}>{label}</h3>
      <div className="table-scroll">
        <table className="ins-table">
          <caption className="visually-hidden">{label}: what was learned</caption>
          <thead>
            <tr>
              <th scope="col">Value</th>
              <th scope="col">Likely to love</th>
              <th scope="col">Liked</th>
              <th scope="col">Disliked</th>
              <th scope="col">Shown</th>
              <th scope="col">Correction</th>
            </tr>
          </thead>
          <tbody>
            {values.map((v) => {
              const name = pretty(v.value);
              return (
                <tr key={v.value} className={v.correction ? `corrected ${v.correction}` : undefined}>
                  <th scope="row">
                    {name}
                    {v.correction && <span className="ins-tag">{correctionWord(v.correction)}</span>}
                  </th>
                  <td className="ins-score">
                    <span className="meter-bar" aria-hidden="true">
                      <span style={{ width: `${Math.round(Math.max(0, Math.min(1, v.score ?? 0)) * 100)}%` }} />
                    </span>
                    <span>{v.score === null ? "—" : pct(v.score)}</span>
                  </td>
                  <td>{v.successes.toLocaleString()}</td>
                  <td>{v.failures.toLocaleString()}</td>
                  <td>{v.shown.toLocaleString()}</td>
                  <td>
                    <span className="ins-toggles">
                      {CORRECTIONS.map((c) => (
                        <button
                          key={c.value}
                          type="button"
                          className={`ins-toggle ${c.value}`}
                          aria-pressed={v.correction === c.value}
                          aria-label={`${c.label} ${name}`}
                          disabled={busy}
                          onClick={() => onCorrect(v, v.correction === c.value ? null : c.value)}
                        >
                          {c.label}
                        </button>
                      ))}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

const correctionWord = (c: Correction) => ({ prefer: "preferred", avoid: "avoided", forget: "forgotten" })[c];

function Reset({ onDone }: { onDone(): void }) {
  const reset = useResetPreferences();
  const confirm = useConfirm();
  const confirmId = useId();
  return (
    <section className="ins-panel" aria-labelledby="prefs-reset">
      <h2 id="prefs-reset">Start over</h2>
      <p className="muted small">
        Forget everything learned from your reactions. Your designs, ratings and style profile stay as they are.
      </p>
      <div>
        <button
          type="button"
          className="button secondary"
          {...confirm.openerProps}
          aria-controls={confirm.open ? confirmId : undefined}
          onClick={() => {
            reset.reset();
            confirm.setOpen(true);
          }}
        >
          Forget everything…
        </button>
      </div>
      {confirm.open && (
        <div id={confirmId} className="ins-confirm" role="group" aria-label="Confirm forgetting everything">
          <p>
            <strong>Forget everything learned about you?</strong> This cannot be undone.
          </p>
          {reset.isError && <ErrorNotice error={reset.error} />}
          <div className="ins-actions">
            <button
              type="button"
              className="button danger"
              disabled={reset.isPending}
              onClick={() =>
                reset.mutate(undefined, {
                  onSuccess: () => {
                    confirm.close();
                    onDone();
                  },
                })
              }
            >
              {reset.isPending ? "Forgetting…" : "Forget everything"}
            </button>
            <button ref={confirm.cancel} type="button" className="button secondary" onClick={confirm.close}>
              Keep it
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

