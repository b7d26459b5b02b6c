import { useId, useState } from "react";
import { Link, useSearchParams } from "react-router";
import {
  useDashboard,
  useProviderPerformance,
  useRecentActivity,
  useStyleEvolution,
  WEEK_CHOICES,
  type Activity,
  type Dashboard,
  type EvolutionPeriod,
  type ProviderPerformance,
} from "../api/analytics";
import { attributeLabel, useTrends, type TrendItem, type Trends } from "../api/learning";
import { usd } from "../api/money";
import { ErrorNotice, LoadFailed } from "../components/states";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { count, pct, pretty } from "../components/charts/format";
import { ShareChart, type ShareWeek } from "../components/charts/ShareChart";
import { WeeklyChart } from "../components/charts/WeeklyChart";
import "../components/charts/charts.css";
import "./insights.css";

const DEFAULT_WEEKS = 12;

/** The weeks shown, in the URL (?weeks=26), 12 unless it says otherwise. */
function useWeeks(): [number, (weeks: number) => void] {
  const [params, setParams] = useSearchParams();
  const asked = Number(params.get("weeks"));
  const weeks = (WEEK_CHOICES as readonly number[]).includes(asked) ? asked : DEFAULT_WEEKS;
  const set = (next: number) =>
    setParams(
      (before) => {
        const after = new URLSearchParams(before);
        if (next === DEFAULT_WEEKS) after.delete("weeks");
        else after.set("weeks", String(next));
        return after;
      },
      { replace: true },
    );
  return [weeks, set];
}

export function AnalyticsPage() {
  useDocumentTitle("Analytics · Designer BFF");
  const [weeks, setWeeks] = useWeeks();
  const weeksId = useId();
  const dashboard = useDashboard(weeks);
  return (
    <section className="insights" aria-labelledby="analytics-title">
      <header className="section-head">
        <div>
          <h1 id="analytics-title">Analytics</h1>
          <p className="muted">
            How much you make, how much of it you love, how your style moves, and which providers serve you best.
          </p>
        </div>
        <div className="ins-field">
          <label htmlFor={weeksId}>Weeks shown</label>
          <select id={weeksId} value={weeks} onChange={(e) => setWeeks(Number(e.target.value))}>
            {WEEK_CHOICES.map((w) => (
              <option key={w} value={w}>
                Last {w} weeks
              </option>
            ))}
          </select>
        </div>
      </header>
      {dashboard.isPending && (
        <div className="ins-grid" role="progressbar" aria-busy="true" aria-label="Loading your analytics">
          <div className="skeleton ins-skeleton" />
          <div className="skeleton ins-skeleton" />
        </div>
      )}
      {dashboard.isError && (
        <LoadFailed lead="Your analytics could not be loaded: " error={dashboard.error} onRetry={() => void dashboard.refetch()} />
      )}
      {dashboard.data && (
        <div className="ins-grid" aria-busy={dashboard.isPlaceholderData}>
          <div className="ins-main">
            <TotalsPanel dashboard={dashboard.data} />
            <WeeklyPanel dashboard={dashboard.data} weeks={weeks} />
            <EvolutionPanel weeks={weeks} />
            <ProvidersPanel />
          </div>
          <div className="ins-side">
            <FavouritesPanel dashboard={dashboard.data} />
            <ActivityPanel />
            <TrendsPanel />
          </div>
        </div>
      )}
    </section>
  );
}

// -- totals and weeks ---------------------------------------------------------------------------

function TotalsPanel({ dashboard }: { dashboard: Dashboard }) {
  const t = dashboard.totals;
  return (
    <section className="ins-panel" aria-labelledby="an-totals">
      <h2 id="an-totals">At a glance</h2>
      <dl className="ins-figures">
        <div>
          <dt>Designs</dt>
          <dd>{t.designs.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Outliers</dt>
          <dd>{t.outliers.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Outlier rate</dt>
          <dd>{pct(t.outlier_rate)}</dd>
        </div>
        <div>
          <dt>Favourites</dt>
          <dd>{t.favorites.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Spent this month</dt>
          <dd>{usd(t.cost_this_month_usd)}</dd>
        </div>
        <div>
          <dt>Spent in all</dt>
          <dd>{usd(t.cost_usd)}</dd>
        </div>
      </dl>
    </section>
  );
}

function WeeklyPanel({ dashboard, weeks }: { dashboard: Dashboard; weeks: number }) {
  const made = dashboard.weekly.some((w) => w.designs > 0);
  return (
    <section className="ins-panel" aria-labelledby="an-weekly">
      <h2 id="an-weekly">Designs and outliers per week</h2>
      {made ? (
        <WeeklyChart weeks={dashboard.weekly} caption="Designs and outlier rate per week" />
      ) : (
        <p className="muted">
          No designs in the last {weeks} weeks. Ask for some with the command bar, and each week’s count and outlier rate
          show here.
        </p>
      )}
    </section>
  );
}

// -- style evolution ----------------------------------------------------------------------------

type Source = "outliers" | "profile";

/** The attributes any period has figures for, the taxonomy's order kept by the server. */
function evolutionAttributes(periods: EvolutionPeriod[], source: Source): string[] {
  const names = new Set<string>();
  for (const p of periods) {
    const figures = source === "outliers" ? p.outlier_attributes : (p.profile ?? {});
    for (const [name, values] of Object.entries(figures)) if (values.length) names.add(name);
  }
  return [...names];
}

function shareWeeks(periods: EvolutionPeriod[], source: Source, attribute: string): ShareWeek[] {
  return periods.map((p) => ({
    week_start: p.week_start,
    shares: ((source === "outliers" ? p.outlier_attributes : (p.profile ?? {}))[attribute] ?? []).map((v) => ({
      value: v.value,
      share: v.share,
    })),
  }));
}

function EvolutionPanel({ weeks }: { weeks: number }) {
  const evolution = useStyleEvolution(weeks);
  const sourceId = useId();
  const attributeId = useId();
  const [source, setSource] = useState<Source>("outliers");
  const [chosen, setChosen] = useState<string | null>(null);
  const periods = evolution.data?.periods ?? [];
  const attributes = evolutionAttributes(periods, source);
  const attribute = chosen && attributes.includes(chosen) ? chosen : (attributes[0] ?? null);
  const what = source === "outliers" ? `${attribute ? attributeLabel(attribute) : "Values"} of your outliers` : `${attribute ? attributeLabel(attribute) : "Values"} of your style profile`;
  return (
    <section className="ins-panel" aria-labelledby="an-evolution">
      <h2 id="an-evolution">Style evolution</h2>
      {evolution.isPending && <p className="muted small">Loading…</p>}
      {evolution.isError && <ErrorNotice lead="Your style evolution could not be loaded: " error={evolution.error} />}
      {evolution.data && (
        <>
          <div className="ins-row">
            <div className="ins-field">
              <label htmlFor={sourceId}>Show</label>
              <select id={sourceId} value={source} onChange={(e) => setSource(e.target.value as Source)}>
                <option value="outliers">What you marked as outliers</option>
                <option value="profile">Your style profile</option>
              </select>
            </div>
            {attributes.length > 0 && (
              <div className="ins-field">
                <label htmlFor={attributeId}>Attribute</label>
                <select id={attributeId} value={attribute ?? ""} onChange={(e) => setChosen(e.target.value)}>
                  {attributes.map((a) => (
                    <option key={a} value={a}>
                      {attributeLabel(a)}
                    </option>
                  ))}
                </select>
              </div>
            )}
          </div>
          {attribute ? (
            <>
              <p className="muted small">Each week’s column is split by the share of each value.</p>
              <ShareChart weeks={shareWeeks(periods, source, attribute)} what={what} caption={`${what} per week`} />
            </>
          ) : (
            <p className="muted">
              {source === "outliers"
                ? "No outliers in these weeks yet. Mark the designs you love most as outliers, and how their garments, colours and styles change shows here."
                : "No style profile in these weeks yet. Upload your past work to your portfolio to build one."}
            </p>
          )}
        </>
      )}
    </section>
  );
}

// -- providers ----------------------------------------------------------------------------------

function ProvidersPanel() {
  const performance = useProviderPerformance();
  const rows: ProviderPerformance[] = performance.data?.items ?? [];
  return (
    <section className="ins-panel" aria-labelledby="an-providers">
      <h2 id="an-providers">Provider performance</h2>
      {performance.isPending && <p className="muted small">Loading…</p>}
      {performance.isError && <ErrorNotice lead="Provider performance could not be loaded: " error={performance.error} />}
      {performance.data && rows.length === 0 && <p className="muted">No provider has made a design for you yet.</p>}
      {rows.length > 0 && (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Provider performance table">
          <table className="ins-table">
            <caption className="visually-hidden">Outlier rate and cost per provider and model</caption>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Designs</th>
                <th scope="col">Outlier rate</th>
                <th scope="col">Cost</th>
                <th scope="col">Per design</th>
                <th scope="col">Per outlier</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.provider}/${r.model ?? ""}`}>
                  <th scope="row">
                    {r.provider}
                    {r.model && <span className="muted small"> {r.model}</span>}
                  </th>
                  <td>{r.designs.toLocaleString()}</td>
                  <td className="ins-score">
                    <span className="meter-bar" aria-hidden="true">
                      <span style={{ width: `${Math.round(Math.max(0, Math.min(1, r.outlier_rate)) * 100)}%` }} />
                    </span>
                    <span>
                      {pct(r.outlier_rate)}
                      <span className="visually-hidden"> ({count(r.outliers, "outlier")})</span>
                    </span>
                  </td>
                  <td>{usd(r.cost_usd)}</td>
                  <td>{usd(r.cost_per_design)}</td>
                  <td>{r.cost_per_outlier === null ? "—" : usd(r.cost_per_outlier)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

// -- favourites, activity, trends ---------------------------------------------------------------

function FavouritesPanel({ dashboard }: { dashboard: Dashboard }) {
  return (
    <section className="ins-panel" aria-labelledby="an-favourites">
      <h2 id="an-favourites">What works for you</h2>
      {dashboard.favourite_styles.length === 0 && dashboard.top_attributes.length === 0 ? (
        <p className="muted">
          Nothing yet: mark outliers and favourites, and your best styles show here. See also{" "}
          <Link to="/preferences">what I’ve learned about you</Link>.
        </p>
      ) : (
        <>
          {dashboard.favourite_styles.length > 0 && (
            <>
              <h3 id="an-styles">Favourite styles</h3>
              <ol className="ins-ranked" aria-labelledby="an-styles">
                {dashboard.favourite_styles.map((s) => (
                  <li key={s.value}>
                    <strong>{pretty(s.value)}</strong>{" "}
                    <span className="muted small">
                      {count(s.outliers, "outlier")} of {count(s.designs, "design")}
                    </span>
                  </li>
                ))}
              </ol>
            </>
          )}
          {dashboard.top_attributes.length > 0 && (
            <>
              <h3 id="an-attributes">Most often outliers</h3>
              <ol className="ins-ranked" aria-labelledby="an-attributes">
                {dashboard.top_attributes.map((a) => (
                  <li key={`${a.attribute}:${a.value}`}>
                    <strong>{pretty(a.value)}</strong> <span className="muted small">{attributeLabel(a.attribute).toLowerCase()}</span>{" "}
                    <span className="small">
                      {pct(a.outlier_rate)} of {count(a.designs, "design")}
                    </span>
                  </li>
                ))}
              </ol>
            </>
          )}
          <p className="small">
            <Link to="/preferences">What I’ve learned about you</Link>
          </p>
        </>
      )}
    </section>
  );
}

const whenFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Where an activity leads in the app: the design or collection it names, if any. */
function activityLink(a: Activity): string | null {
  const image = a.ref?.image_id;
  if (image) return `/designs/${encodeURIComponent(image)}`;
  const collection = a.ref?.collection_id;
  if (collection) return `/collections/${encodeURIComponent(collection)}`;
  return null;
}

function ActivityPanel() {
  const activity = useRecentActivity(20);
  const items = activity.data?.items ?? [];
  return (
    <section className="ins-panel" aria-labelledby="an-activity">
      <h2 id="an-activity">Recent activity</h2>
      {activity.isPending && <p className="muted small">Loading…</p>}
      {activity.isError && <ErrorNotice lead="Recent activity could not be loaded: " error={activity.error} />}
      {activity.data && items.length === 0 && <p className="muted">Nothing has happened yet.</p>}
      {items.length > 0 && (
        <ul className="ins-activity" aria-labelledby="an-activity">
          {items.map((a, i) => {
            const to = activityLink(a);
            const at = new Date(a.at);
            return (
              <li key={`${a.at}:${a.type}:${i}`}>
                <span>{to ? <Link to={to}>{a.text}</Link> : a.text}</span>
                <time dateTime={a.at}>{Number.isNaN(at.getTime()) ? a.at : whenFormat.format(at)}</time>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function TrendsPanel() {
  const trends = useTrends();
  return (
    <section className="ins-panel" aria-labelledby="an-trends">
      <h2 id="an-trends">Trends across designers</h2>
      {trends.isPending && <p className="muted small">Loading…</p>}
      {trends.isError && <ErrorNotice lead="Trends could not be loaded: " error={trends.error} />}
      {trends.data && <TrendLists trends={trends.data} />}
    </section>
  );
}

function TrendLists({ trends }: { trends: Trends }) {
  const groups = Object.entries(trends.attributes).filter(([, items]) => items.length > 0);
  if (trends.styles.length === 0 && groups.length === 0) {
    return (
      <p className="muted">
        Not enough designers yet. A style is shown here only once at least {trends.k} designers have worked with it, so
        that nobody’s taste can be picked out.
      </p>
    );
  }
  return (
    <>
      <p className="muted small">
        How often designs of each kind become outliers or favourites, across designers; each value is shared by at least{" "}
        {trends.k} of them. Nothing of yours is shown to anyone on its own.
      </p>
      {trends.styles.length > 0 && <TrendList title="Styles" items={trends.styles} />}
      {groups.map(([attribute, items]) => (
        <TrendList key={attribute} title={attributeLabel(attribute)} items={items} />
      ))}
      {trends.updated_at && (
        <p className="muted small">
          Updated <time dateTime={trends.updated_at}>{whenFormat.format(new Date(trends.updated_at))}</time>.
        </p>
      )}
    </>
  );
}

function TrendList({ title, items }: { title: string; items: TrendItem[] }) {
  const headingId = useId();
  return (
    <>
      <h3 id={headingId}>{title}</h3>
      <ol className="ins-ranked" aria-labelledby={headingId}>
        {items.map((t) => (
          <li key={t.value}>
            <strong>{pretty(t.value)}</strong>{" "}
            <span className="small">
              {pct(t.success_rate)} loved · {count(t.designers, "designer")}
            </span>
          </li>
        ))}
      </ol>
    </>
  );
}
