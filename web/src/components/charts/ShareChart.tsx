// Shares per week as stacked columns (each week's column is 100%): the few values with the
// largest shares over all weeks get colours, the rest are "other". Summarised in words for
// screen readers, with the figures in a visually hidden table.

import type { ReactNode } from "react";
import { OTHER, pct, pretty, SERIES, weekText } from "./format";

export type ShareWeek = { week_start: string; shares: { value: string; share: number }[] };

const SLOT = 10;
const HEIGHT = 100;

/** The values to colour: largest total share first, at most `most`. */
export function leadingValues(weeks: ShareWeek[], most = SERIES.length): string[] {
  const totals = new Map<string, number>();
  for (const w of weeks) for (const s of w.shares) totals.set(s.value, (totals.get(s.value) ?? 0) + s.share);
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, most)
    .map(([value]) => value);
}

function parts(week: ShareWeek, values: string[]): { value: string; share: number; colour: string }[] {
  const out = values
    .map((value, i) => ({ value, share: week.shares.find((s) => s.value === value)?.share ?? 0, colour: SERIES[i] }))
    .filter((p) => p.share > 0);
  const named = out.reduce((sum, p) => sum + p.share, 0);
  const total = week.shares.reduce((sum, s) => sum + s.share, 0);
  if (total - named > 0.0005) out.push({ value: "other", share: total - named, colour: OTHER });
  return out;
}

export function shareSummary(weeks: ShareWeek[], what: string): string {
  const filled = weeks.filter((w) => w.shares.length > 0);
  if (filled.length === 0) return `No ${what} yet.`;
  const first = filled[0];
  const last = filled[filled.length - 1];
  const lead = (w: ShareWeek) => {
    const top = [...w.shares].sort((a, b) => b.share - a.share)[0];
    return `${pretty(top.value)} (${pct(top.share)})`;
  };
  return filled.length === 1
    ? `${what} in the week of ${weekText(first.week_start)}: mostly ${lead(first)}.`
    : `${what} from ${weekText(first.week_start)} to ${weekText(last.week_start)}: ` +
        `mostly ${lead(first)} at first, ${lead(last)} in the latest week.`;
}

export function ShareChart({ weeks, what, caption }: { weeks: ShareWeek[]; what: string; caption: ReactNode }) {
  const values = leadingValues(weeks);
  const width = Math.max(weeks.length, 1) * SLOT;
  const hasOther = weeks.some((w) => parts(w, values).some((p) => p.value === "other"));
  return (
    <figure className="chart">
      <div className="chart-plot">
        <svg viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={shareSummary(weeks, what)}>
          <line x1="0" x2={width} y1={HEIGHT} y2={HEIGHT} className="chart-axis" vectorEffect="non-scaling-stroke" />
          {weeks.map((w, i) => {
            const total = Math.max(1, w.shares.reduce((sum, s) => sum + s.share, 0));
            let y = HEIGHT;
            return (
              <g key={w.week_start}>
                <title>
                  {`${weekText(w.week_start)}: ` +
                    (w.shares.length ? parts(w, values).map((p) => `${pretty(p.value)} ${pct(p.share)}`).join(", ") : "nothing")}
                </title>
                {parts(w, values).map((p) => {
                  const h = (p.share / total) * HEIGHT;
                  y -= h;
                  return <rect key={p.value} x={i * SLOT + 1.5} y={y} width={SLOT - 3} height={h} fill={p.colour} />;
                })}
              </g>
            );
          })}
        </svg>
        <div className="chart-x" aria-hidden="true">
          <span>{weeks.length ? weekText(weeks[0].week_start) : ""}</span>
          <span>{weeks.length > 1 ? weekText(weeks[weeks.length - 1].week_start) : ""}</span>
        </div>
      </div>
      {values.length > 0 && (
        <figcaption className="chart-legend" aria-hidden="true">
          {values.map((v, i) => (
            <span key={v}>
              <span className="swatch" style={{ background: SERIES[i] }} /> {pretty(v)}
            </span>
          ))}
          {hasOther && (
            <span>
              <span className="swatch" style={{ background: OTHER }} /> other
            </span>
          )}
        </figcaption>
      )}
      <table className="visually-hidden">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Week of</th>
            {values.map((v) => (
              <th key={v} scope="col">
                {pretty(v)}
              </th>
            ))}
            {hasOther && <th scope="col">other</th>}
          </tr>
        </thead>
        <tbody>
          {weeks.map((w) => {
            const ps = parts(w, values);
            const of = (v: string) => ps.find((p) => p.value === v)?.share ?? 0;
            return (
              <tr key={w.week_start}>
                <th scope="row">{weekText(w.week_start, true)}</th>
                {values.map((v) => (
                  <td key={v}>{pct(of(v))}</td>
                ))}
                {hasOther && <td>{pct(of("other"))}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}
