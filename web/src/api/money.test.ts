import { describe, expect, it } from "vitest";
import { budgetText, micros, parseBudget, price, usd } from "./money";

describe("money", () => {
  it("reads the API's amounts exactly", () => {
    expect(micros("4.200000")).toBe(4_200_000);
    expect(micros("0.000001")).toBe(1);
    expect(micros("-1.5")).toBe(-1_500_000);
    expect(micros(null)).toBeNull();
    expect(micros("abc")).toBeNull();
  });

  it("shows dollars with cents, and what is under a cent", () => {
    expect(usd("4.200000")).toBe("$4.20");
    expect(usd("1234.005000")).toBe("$1,234.01");
    expect(usd("0.125000")).toBe("$0.13");
    expect(usd("0.000000")).toBe("$0.00");
    expect(usd("0.003000")).toBe("$0.003");
    expect(usd(null)).toBe("—");
    expect(price("0.000000")).toBe("Free");
    expect(price("0.040000")).toBe("$0.04");
  });

  it("takes a budget as typed", () => {
    expect(parseBudget("20")).toBe("20.00");
    expect(parseBudget(" $1,000.5 ")).toBe("1000.50");
    expect(parseBudget("20.125")).toBeNull();
    expect(parseBudget("-5")).toBeNull();
    expect(parseBudget("")).toBeNull();
    expect(budgetText("20.000000")).toBe("20.00");
    expect(budgetText(null)).toBe("");
  });
});
