// Display helpers. Money arrives as decimal strings and is shown as-is (never via floats).

export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "never";
  if (seconds < 1) return "now";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function ageSince(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "never";
  return `${age((now - Date.parse(iso)) / 1000)} ago`;
}

export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function text(value: string | null | undefined): string {
  return value === null || value === undefined || value === "" ? "–" : value;
}

export function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, n) => total + n, 0);
}

/** An indicator or price-like float: 6 significant digits (127,867 / 2,961.42 / 0.607905). */
export function sig(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { maximumSignificantDigits: 6 });
}
