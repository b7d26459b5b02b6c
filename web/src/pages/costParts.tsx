// What the costs page and the admin costs page share: the period switch, the chart of
// spending per day and the breakdown by provider. Charts are plain SVG (no chart library),
// each with its figures in text: a visually hidden table, or a visible list.

import { useId, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { PERIODS, type DayCost, type Period, type ProviderCost } from "../api/costs";
import { micros, usd } from "../api/money";

// -- the period ------------------------------------------------------------------------------

/** The period in the URL (?period=week), month unless it says otherwise. */
export function usePeriod(): [Period, (period: Period) => void] {
  const [params, setParams] = useSearchParams();
  const asked = params.get("period");
  const period = PERIODS.some((p) => p.value === asked) ? (asked as Period) : "month";
  const set = (next: Period) =>
    setParams(
      (before) => {
        const after = new URLSearchParams(before);
        if (next === "month") after.delete("period");
        else after.set("period", next);
        return after;
      },
      { replace: true },
    );
  return [period, set];
}

export const periodNoun = (period: Period) => PERIODS.find((p) => p.value === period)?.noun ?? period;

/** Today / This week / This month, as radio buttons (arrow keys move between them). */
export function PeriodSwitch({ value, onChange }: { value: Period; onChange(period: Period): void }) {
  const name = useId();
  return (
    <fieldset className="period-switch">
      <legend className="visually-hidden">Period</legend>
      {PERIODS.map((p) => (
        <label key={p.value} className={`period-option${p.value === value ? " on" : ""}`}>
          <input
            type="radio"
            name={name}
            value={p.value}
            className="visually-hidden"
            checked={p.value === value}
            onChange={() => onChange(p.value)}
          />
          <span>{p.label}</span>
        </label>
      ))}
    </fieldset>
  );
}

// -- dates --------------------------------------------------------------------------------------

const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
const longDayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

/** "3 Dec" for a UTC calendar day ("2026-12-03"). */
export function dayText(day: string, long = false): string {
  const date = new Date(`${day.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return (long ? longDayFormat : dayFormat).format(date);
}

/** "1 Dec – 31 Dec 2026" from a period's start and (exclusive) end. */
export function rangeText(start: string, end: string): string {
  const first = new Date(start);
  const last = new Date(new Date(end).getTime() - 1);
  if (Number.isNaN(first.getTime()) || Number.isNaN(last.getTime())) return "";
  const a = first.toISOString().slice(0, 10);
  const b = last.toISOString().slice(0, 10);
  return a === b ? dayText(a, true) : `${dayText(a)} – ${dayText(b, true)}`;
}

export const callsText = (n: number) => `${n.toLocaleString()} ${n === 1 ? "call" : "calls"}`;

// -- colours --------------------------------------------------------------------------------------

// Distinct at a glance and at least 4.5:1 on white; "other" is the grey.
const PALETTE = ["#9a3f2a", "#1d5fd1", "#2f6b45", "#8a5a00", "#6b3fa0", "#0f6e78", "#a3246b"];
const OTHER = "#8c8178";

/** A colour per provider, in the order given (largest spend first), the same on every chart. */
export function providerColours(names: string[]): Map<string, string> {
  const colours = new Map<string, string>();
  for (const name of names) if (!colours.has(name)) colours.set(name, PALETTE[colours.size % PALETTE.length]);
  return colours;
}

/** The providers of a period, largest first: those in the breakdown, then any only a day names. */
export function providerOrder(byProvider: ProviderCost[], byDay: DayCost[] = []): string[] {
  const names = byProvider.map((p) => p.provider);
  for (const day of byDay) for (const name of Object.keys(day.by_provider)) if (!names.includes(name)) names.push(name);
  return [...new Set(names)];
}

export function Swatch({ colour }: { colour: string }) {
  return <span className="swatch" style={{ background: colour }} aria-hidden="true" />;
}

// -- spending per day ------------------------------------------------------------------------------

const BAR = 10; // a day's slot in the SVG's units
const HEIGHT = 100;

type Segment = { provider: string; amount: number };

function segments(day: DayCost, order: string[]): Segment[] {
  const total = micros(day.amount_usd) ?? 0;
  const parts = order
    .map((provider) => ({ provider, amount: micros(day.by_provider[provider]) ?? 0 }))
    .filter((s) => s.amount > 0);
  const named = parts.reduce((sum, s) => sum + s.amount, 0);
  if (total > named) parts.push({ provider: "other", amount: total - named });
  return parts;
}

/** Stacked bars of spending per day, coloured by provider, with a hidden table of the figures. */
export function DailyChart({ days, order, title }: { days: DayCost[]; order: string[]; title: ReactNode }) {
  const headingId = useId();
  const colours = providerColours(order);
  const amounts = days.map((d) => micros(d.amount_usd) ?? 0);
  const top = Math.max(...amounts, 1);
  const peak = days[amounts.indexOf(Math.max(...amounts))];
  const width = Math.max(days.length, 1) * BAR;
  const used = order.filter((name) => days.some((d) => (micros(d.by_provider[name]) ?? 0) > 0));
  const other = days.some((d) => segments(d, order).some((s) => s.provider === "other"));
  const summary =
    days.length === 0
      ? "No days yet."
      : `Spending per day from ${dayText(days[0].day)} to ${dayText(days[days.length - 1].day)}; ` +
        `the most, ${usd(peak.amount_usd)}, on ${dayText(peak.day)}.`;

  return (
    <section className="costs-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      <figure className="day-chart">
        <div className="day-chart-plot">
          <span className="axis-top" aria-hidden="true">
            {usd(String(top / 1_000_000))}
          </span>
          <svg viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={summary}>
            <line x1="0" x2={width} y1={HEIGHT} y2={HEIGHT} className="axis-line" vectorEffect="non-scaling-stroke" />
            {days.map((day, i) => {
              let y = HEIGHT;
              return (
                <g key={day.day}>
                  <title>{`${dayText(day.day)}: ${usd(day.amount_usd)}`}</title>
                  {segments(day, order).map((s) => {
                    const h = (s.amount / top) * HEIGHT;
                    y -= h;
                    return (
                      <rect
                        key={s.provider}
                        x={i * BAR + 1.5}
                        y={y}
                        width={BAR - 3}
                        height={h}
                        fill={colours.get(s.provider) ?? OTHER}
                      />
                    );
                  })}
                </g>
              );
            })}
          </svg>
          <div className="axis-days" aria-hidden="true">
            <span>{days.length ? dayText(days[0].day) : ""}</span>
            <span>{days.length > 1 ? dayText(days[days.length - 1].day) : ""}</span>
          </div>
        </div>
        {(used.length > 0 || other) && (
          <figcaption className="legend" aria-hidden="true">
            {used.map((name) => (
              <span key={name}>
                <Swatch colour={colours.get(name)!} /> {name}
              </span>
            ))}
            {other && (
              <span>
                <Swatch colour={OTHER} /> other
              </span>
            )}
          </figcaption>
        )}
      </figure>
      <table className="visually-hidden">
        <caption>Spending per day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Spent</th>
            <th scope="col">Calls</th>
            {used.map((name) => (
              <th key={name} scope="col">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {days.map((day) => (
            <tr key={day.day}>
              <th scope="row">{dayText(day.day, true)}</th>
              <td>{usd(day.amount_usd)}</td>
              <td>{day.calls}</td>
              {used.map((name) => (
                <td key={name}>{usd(day.by_provider[name] ?? "0")}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// -- by provider -------------------------------------------------------------------------------------

/** Each provider and model's spending, largest first: the figures as a list, the bars drawn beside. */
export function ProviderBreakdown({ rows, order, title }: { rows: ProviderCost[]; order: string[]; title: string }) {
  const headingId = useId();
  const colours = providerColours(order);
  const top = Math.max(...rows.map((r) => micros(r.amount_usd) ?? 0), 1);
  return (
    <section className="costs-panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {rows.length === 0 ? (
        <p className="muted small">No provider was used.</p>
      ) : (
        <ul className="breakdown" aria-labelledby={headingId}>
          {rows.map((row) => (
            <li key={`${row.provider}/${row.model ?? ""}`}>
              <span className="breakdown-name">
                <Swatch colour={colours.get(row.provider) ?? OTHER} />
                <strong>{row.provider}</strong>
                {row.model && <span className="muted small"> {row.model}</span>}
              </span>
              <span className="breakdown-figures">
                <strong>{usd(row.amount_usd)}</strong>
                <span className="muted small"> · {callsText(row.calls)}</span>
              </span>
              <svg className="breakdown-bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
                <rect x="0" y="0" width="100" height="6" className="bar-track" />
                <rect
                  x="0"
                  y="0"
                  width={((micros(row.amount_usd) ?? 0) / top) * 100}
                  height="6"
                  fill={colours.get(row.provider) ?? OTHER}
                />
              </svg>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
