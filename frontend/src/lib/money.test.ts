import { coveragePercent, formatDecimal, formatPnl, formatQuantity, sumDecimals, utcTime } from "./money";

describe("formatDecimal", () => {
  it("rounds half away from zero as text, with grouped thousands", () => {
    expect(formatDecimal("1234567.125")).toBe("1,234,567.13");
    expect(formatDecimal("-0.005")).toBe("-0.01");
    expect(formatDecimal("999.995")).toBe("1,000.00");
    expect(formatDecimal("12")).toBe("12.00");
  });
  it("keeps digits a float would lose", () => {
    expect(formatDecimal("90071992547409931.05")).toBe("90,071,992,547,409,931.05");
  });
  it("shows a missing value as a dash and a foreign text unchanged", () => {
    expect(formatDecimal(null)).toBe("–");
    expect(formatDecimal("n/a")).toBe("n/a");
  });
  it("never prints a negative zero", () => {
    expect(formatDecimal("-0.001")).toBe("0.00");
  });
});

describe("formatQuantity", () => {
  it("drops trailing zeros", () => {
    expect(formatQuantity("0.250000000000000000")).toBe("0.25");
    expect(formatQuantity("100.000")).toBe("100");
    expect(formatQuantity("0.000012345678901")).toBe("0.00001235");
  });
});

describe("formatPnl", () => {
  it("signs gains and marks them green, losses red", () => {
    expect(formatPnl("12.345")).toEqual({ text: "+12.35", tone: "ok" });
    expect(formatPnl("-3.1")).toEqual({ text: "-3.10", tone: "bad" });
  });
  it("treats zero, a rounded-away amount and unknown as neutral", () => {
    expect(formatPnl("0.000")).toEqual({ text: "0.00", tone: "neutral" });
    expect(formatPnl("-0.001")).toEqual({ text: "0.00", tone: "neutral" });
    expect(formatPnl(null)).toEqual({ text: "–", tone: "neutral" });
  });
});

describe("sums and coverage", () => {
  it("adds decimal strings exactly", () => {
    expect(sumDecimals(["0.1", "0.2", null, "-0.3"])).toBe("0");
    expect(sumDecimals(["10.05", "-2.5"])).toBe("7.55");
    expect(sumDecimals([null])).toBeNull();
  });
  it("gives the share of a position its stops cover", () => {
    expect(coveragePercent("0.5", "1")).toBe(50);
    expect(coveragePercent("2", "-2")).toBe(100);
    expect(coveragePercent("1", "0")).toBeNull();
  });
  it("prints times in UTC", () => {
    expect(utcTime("2026-05-01T14:00:30+02:00")).toBe("2026-05-01 12:00:30 UTC");
    expect(utcTime(null)).toBe("–");
  });
});
