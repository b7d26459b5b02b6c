// Designs per week as bars and the outlier rate as a line over them: one SVG that says its
// summary in words (aria-label), with every figure in a visually hidden table.

import type { ReactNode } from "react";
import { count, pct, weekText } from "./format";

export type WeekPoint = { week_start: string; designs: number; outliers: number; outlier_rate: number };

const SLOT = 10; // a week's width in the SVG's units
const HEIGHT = 100;

/** The sentence a screen reader hears instead of the drawing. */
export function weeklySummary(weeks: WeekPoint[]): string {
  if (weeks.length === 0) return "No weeks yet.";
  const designs = weeks.reduce((sum, w) => sum + w.designs, 0);
  const outliers = weeks.reduce((sum, w) => sum + w.outliers, 0);
  const busiest = weeks.reduce((best, w) => (w.designs > best.designs ? w : best), weeks[0]);
  const first = weekText(weeks[0].week_start);
  const last = weekText(weeks[weeks.length - 1].week_start);
  const rate = designs ? pct(outliers / designs) : "0%";
  return (
    `Designs and outlier rate per week from ${first} to ${last}: ${count(designs, "design")}, ` +
    `${count(outliers, "outlier")} (${rate}); the most designs, ${busiest.designs.toLocaleString()}, ` +
    `in the week of ${weekText(busiest.week_start)}.`
  );
}

export function WeeklyChart({ weeks, caption }: { weeks: WeekPoint[]; caption: ReactNode }) {
  const top = Math.max(1, ...weeks.map((w) => w.designs));
  const width = Math.max(weeks.length, 1) * SLOT;
  // The rate's line, on its own 0–100% scale, through the middle of each week's bar.
  const line = weeks
    .map((w, i) => `${i === 0 ? "M" : "L"}${i * SLOT + SLOT / 2},${HEIGHT - Math.min(1, Math.max(0, w.outlier_rate)) * HEIGHT}`)
    .join(" ");
  return (
    <figure className="chart">
      <div className="chart-plot">
        <div className="chart-axes" aria-hidden="true">
          <span>{top.toLocaleString()} designs</span>
          <span>100% outliers</span>
        </div>
        <svg viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={weeklySummary(weeks)}>
          <line x1="0" x2={width} y1={HEIGHT} y2={HEIGHT} className="chart-axis" vectorEffect="non-scaling-stroke" />
          {weeks.map((w, i) => {
            const h = (w.designs / top) * HEIGHT;
            return (
              <g key={w.week_start}>
                <title>{`${weekText(w.week_start)}: ${count(w.designs, "design")}, ${pct(w.outlier_rate)} outliers`}</title>
                <rect x={i * SLOT + 1.5} y={HEIGHT - h} width={SLOT - 3} height={h} className="chart-bar" />
              </g>
            );
          })}
          {weeks.length > 1 && <path d={line} className="chart-line" vectorEffect="non-scaling-stroke" />}
          {weeks.map((w, i) => (
            <circle
              key={w.week_start}
              cx={i * SLOT + SLOT / 2}
              cy={HEIGHT - Math.min(1, Math.max(0, w.outlier_rate)) * HEIGHT}
              r="1.2"
              className="chart-dot"
              vectorEffect="non-scaling-stroke"
            />
          ))}
        </svg>
        <div className="chart-x" aria-hidden="true">
          <span>{weeks.length ? weekText(weeks[0].week_start) : ""}</span>
          <span>{weeks.length > 1 ? weekText(weeks[weeks.length - 1].week_start) : ""}</span>
        </div>
      </div>
      <figcaption className="chart-legend" aria-hidden="true">
        <span>
          <span className="swatch chart-bar-swatch" /> Designs
        </span>
        <span>
          <span className="chart-line-swatch" /> Outlier rate
        </span>
      </figcaption>
      <table className="visually-hidden">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Week of</th>
            <th scope="col">Designs</th>
            <th scope="col">Outliers</th>
            <th scope="col">Outlier rate</th>
          </tr>
        </thead>
        <tbody>
          {weeks.map((w) => (
            <tr key={w.week_start}>
              <th scope="row">{weekText(w.week_start, true)}</th>
              <td>{w.designs.toLocaleString()}</td>
              <td>{w.outliers.toLocaleString()}</td>
              <td>{pct(w.outlier_rate)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
