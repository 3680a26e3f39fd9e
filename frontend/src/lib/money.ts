// Money, quantities and P&L arrive as decimal strings ("-12.345000"). They are rounded and
// grouped as text, never through a float, so a displayed amount is exactly the server's value
// rounded half away from zero.

export type Tone = "ok" | "bad" | "neutral";

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** Round a non-negative integer-and-fraction pair to `places` decimals (half away from zero). */
function roundDigits(whole: string, fraction: string, places: number): [string, string] {
  if (fraction.length <= places) return [whole, fraction.padEnd(places, "0")];
  const kept = whole + fraction.slice(0, places);
  const roundUp = Number(fraction.charAt(places)) >= 5;
  let digits = kept;
  if (roundUp) {
    const chars = kept.split("");
    let i = chars.length - 1;
    for (; i >= 0; i -= 1) {
      if (chars[i] === "9") chars[i] = "0";
      else {
        chars[i] = String(Number(chars[i]) + 1);
        break;
      }
    }
    digits = (i < 0 ? "1" : "") + chars.join("");
  }
  const cut = digits.length - places;
  return [digits.slice(0, cut) || "0", digits.slice(cut)];
}

function group(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A decimal string for display: grouped thousands, `places` decimals (trailing zeros kept for
 * money), "–" for null. Text that is not a plain decimal is shown unchanged.
 */
export function formatDecimal(value: string | null | undefined, places = 2): string {
  if (value === null || value === undefined || value === "") return "–";
  const match = DECIMAL.exec(value.trim());
  if (!match) return value;
  const [, sign = "", whole = "0", fraction = ""] = match;
  const [w, f] = roundDigits(whole.replace(/^0+(?=\d)/, ""), fraction, places);
  const isZero = /^0*$/.test(w + f);
  const body = f ? `${group(w)}.${f}` : group(w);
  return sign === "-" && !isZero ? `-${body}` : body;
}

/** A price or quantity: as many decimals as it has (up to `max`), without trailing zeros. */
export function formatQuantity(value: string | null | undefined, max = 8): string {
  const text = formatDecimal(value, max);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

export function signOf(value: string | null | undefined): -1 | 0 | 1 | null {
  if (value === null || value === undefined) return null;
  const match = DECIMAL.exec(value.trim());
  if (!match) return null;
  if (/^[0.]*$/.test(`${match[2]}${match[3] ?? ""}`)) return 0;
  return match[1] === "-" ? -1 : 1;
}

/** P&L: explicit sign, 2 decimals and a tone (gain / loss / flat or unknown). */
export function formatPnl(value: string | null | undefined): { text: string; tone: Tone } {
  const sign = signOf(value);
  if (sign === null) return { text: "–", tone: "neutral" };
  const text = formatDecimal(value, 2);
  if (sign === 0 || /^-?0\.00$/.test(text)) return { text: "0.00", tone: "neutral" };
  return sign > 0 ? { text: `+${text}`, tone: "ok" } : { text, tone: "bad" };
}

/** A UTC timestamp as "2026-05-01 12:00:30 UTC" (operators compare it with server logs). */
export function utcTime(iso: string | null | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

const SCALE = 18;

function toScaled(value: string): bigint | null {
  const match = DECIMAL.exec(value.trim());
  if (!match) return null;
  const [, sign = "", whole = "0", fraction = ""] = match;
  const digits = BigInt(whole + fraction.slice(0, SCALE).padEnd(SCALE, "0"));
  return sign === "-" ? -digits : digits;
}

function fromScaled(value: bigint): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(SCALE + 1, "0");
  const whole = digits.slice(0, -SCALE);
  const fraction = digits.slice(-SCALE).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** Exact sum of decimal strings (nulls skipped); null when none is a decimal. */
export function sumDecimals(values: (string | null | undefined)[]): string | null {
  const scaled = values.map((v) => (v === null || v === undefined ? null : toScaled(v))).filter((v): v is bigint => v !== null);
  return scaled.length ? fromScaled(scaled.reduce((a, b) => a + b, 0n)) : null;
}

/** How much of `whole` (absolute) `part` covers, in whole percent (display only). */
export function coveragePercent(part: string, whole: string): number | null {
  const p = toScaled(part);
  const w = toScaled(whole);
  if (p === null || w === null || w === 0n) return null;
  const abs = w < 0n ? -w : w;
  return Number((p * 1000n) / abs) / 10;
}
