// Money as the API sends it: US dollars as exact decimal strings ("4.200000"). Sums and
// comparisons are done in whole micro-dollars, never on binary floats of dollars.

/** "4.200000" -> 4200000 (micro-dollars); null or anything unreadable -> null. */
export function micros(amount: string | null | undefined): number | null {
  if (amount === null || amount === undefined) return null;
  const match = /^\s*(-)?(\d*)(?:\.(\d*))?\s*$/.exec(amount);
  if (!match || (!match[2] && !match[3])) return null;
  const whole = Number(match[2] || "0");
  const fraction = Number(((match[3] ?? "") + "000000").slice(0, 6));
  const value = whole * 1_000_000 + fraction;
  return match[1] ? -value : value;
}

/** Dollars with cents: "$4.20". Amounts under a cent keep the digits that say them
 *  ("$0.003"), so a cheap design never reads as free. */
export function usd(amount: string | null | undefined): string {
  const value = micros(amount);
  if (value === null) return "—";
  const sign = value < 0 ? "-" : "";
  const abs = Math.abs(value);
  if (abs > 0 && abs < 10_000) {
    const digits = (abs / 1_000_000).toFixed(6).replace(/0+$/, "");
    return `${sign}$${digits}`;
  }
  const cents = Math.round(abs / 10_000);
  const dollars = Math.floor(cents / 100).toLocaleString("en-US");
  return `${sign}$${dollars}.${String(cents % 100).padStart(2, "0")}`;
}

/** "Free" for nothing, else dollars with cents. */
export function price(amount: string | null | undefined): string {
  return micros(amount) === 0 ? "Free" : usd(amount);
}

/** What a designer typed as a budget ("20", "$20.50", "1,000") as the API takes it
 *  ("20.50"), or null when it is not an amount of dollars and cents. */
export function parseBudget(text: string): string | null {
  const cleaned = text.trim().replace(/^\$/, "").replace(/,/g, "").trim();
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return null;
  return `${Number(match[1])}.${(match[2] ?? "").padEnd(2, "0")}`;
}

/** A budget amount as the form shows it ("20.00"); empty for none. */
export function budgetText(amount: string | null | undefined): string {
  const value = micros(amount);
  if (value === null) return "";
  return (Math.round(value / 10_000) / 100).toFixed(2);
}
