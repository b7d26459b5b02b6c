// Words and figures the charts and their tables share.

const weekFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
const longWeekFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

/** A week's first day ("2026-03-02", a UTC date) as "2 Mar" (with the year when `long`). */
export function weekText(weekStart: string, long = false): string {
  const date = new Date(weekStart.length === 10 ? `${weekStart}T00:00:00Z` : weekStart);
  if (Number.isNaN(date.getTime())) return weekStart;
  return (long ? longWeekFormat : weekFormat).format(date);
}

/** A rate or share (0..1) as a whole percentage; "<1%" for a little above nothing. */
export function pct(rate: number): string {
  const p = Math.round(rate * 100);
  return rate > 0 && p === 0 ? "<1%" : `${p}%`;
}

export const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export const pretty = (value: string) => value.replace(/_/g, " ");

/** Colours for series, each at least 4.5:1 on white; the last is "other". */
export const SERIES = ["#9a3f2a", "#1d5fd1", "#2f6b45", "#8a5a00", "#6b3fa0", "#0f6e78", "#a3246b"];
export const OTHER = "#8c8178";
