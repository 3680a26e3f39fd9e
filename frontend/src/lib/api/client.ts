// The typed API client: paths and bodies come from schema.d.ts, generated from the backend's
// OpenAPI document (`make frontend-api`). Same origin as the pages, so the base URL is "".
import createClient, { type Middleware } from "openapi-fetch";

import { ApiError } from "@/lib/errors";
import { readToken } from "@/lib/token";

import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

const sendTokenOnMutations: Middleware = {
  onRequest({ request }) {
    const token = readToken();
    if (!READS.has(request.method) && token) {
      request.headers.set("Authorization", `Bearer ${token}`);
    }
    return request;
  },
};

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  // Looked up on every call, not captured once: component tests replace globalThis.fetch.
  fetch: (request) => globalThis.fetch(request),
});
api.use(sendTokenOnMutations);

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful answer, or an ApiError with a readable message. */
export function unwrap<T>(result: Result<T>): T {
  if (result.response.ok && result.data !== undefined) return result.data;
  throw new ApiError(result.response.status, result.error);
}
