import { age, ageSince, num, sig, sum } from "./format";

describe("format", () => {
  it("shows ages in the largest sensible unit", () => {
    expect([age(null), age(0.2), age(42), age(600), age(7200), age(3 * 86400)]).toEqual(["never", "now", "42 s", "10 min", "2 h", "3 d"]);
    expect(ageSince("2026-01-01T00:00:00Z", Date.parse("2026-01-01T00:05:00Z"))).toBe("5 min ago");
  });

  it("keeps indicators short: 6 significant digits, a dash for missing values", () => {
    expect([sig(127866.6412), sig(2961.4217), sig(0.6079051234), sig(null), sig(Number.NaN)]).toEqual(["127,867", "2,961.42", "0.607905", "–", "–"]);
    expect(num(73.4327, 1)).toBe("73.4");
  });

  it("adds status counts", () => {
    expect(sum({ SENT: 5, BLOCKED: 6 })).toBe(11);
  });
});
