// One way to turn any failure (an API answer, a network error, a bug) into a sentence an
// operator can act on. Every page shows errors through `describeError` / <ErrorMessage>.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(describeApiError(status, detail));
    this.name = "ApiError";
  }
}

type FieldError = { loc?: unknown[]; msg?: string };

function fieldErrors(detail: unknown): string | null {
  if (!Array.isArray(detail)) return null;
  const lines = (detail as FieldError[]).map((item) => {
    // loc is e.g. ["body", "trade_amount_usd"]: the field name is what the operator edits.
    const field = (item.loc ?? []).filter((part) => part !== "body" && part !== "query").join(".");
    const msg = (item.msg ?? "invalid value").replace(/^Value error, /, "");
    return field ? `${field}: ${msg}` : msg;
  });
  return lines.join("; ");
}

function detailText(detail: unknown): string | null {
  if (typeof detail === "string") return detail;
  if (detail && typeof detail === "object" && "detail" in detail) {
    const inner = (detail as { detail: unknown }).detail;
    return typeof inner === "string" ? inner : fieldErrors(inner);
  }
  return null;
}

export function describeApiError(status: number, body: unknown): string {
  const detail = detailText(body);
  if (status === 401) {
    return "The API token is missing or wrong: set it with the “API token” button in the header (the server's ATP_API_TOKEN).";
  }
  if (status === 503 && detail?.startsWith("mutations disabled")) {
    return "Changes are disabled: the server has no ATP_API_TOKEN. Put one in secrets/runtime.env and restart (reading still works).";
  }
  if (status === 422) return `Not saved: ${detail ?? "the server refused the values"}.`;
  if (status === 403) return `Refused by the server: ${detail ?? "forbidden"}.`;
  if (status === 404) return `Not found: ${detail ?? "it no longer exists"}.`;
  if (status === 409) return `Conflict: ${detail ?? "it clashes with the current state"}.`;
  if (status >= 500) {
    const why = detail ? `: ${detail}` : "";
    return `The server failed (${status})${why}. Try again; if it keeps failing, run \`atp status\` on the server.`;
  }
  return `Request failed (${status})${detail ? `: ${detail}` : ""}.`;
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) {
    // fetch() rejects with a TypeError when the server cannot be reached at all.
    return "Cannot reach the API: is `atp run` (or `atp api`) running?";
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
