import { ApiError, describeApiError, describeError } from "./errors";

describe("describeApiError", () => {
  it("names the field and the server's reason for a 422", () => {
    const body = { detail: [{ loc: ["body", "trade_amount_usd"], msg: "Value error, must be > 0", type: "value_error" }] };
    expect(describeApiError(422, body)).toBe("Not saved: trade_amount_usd: must be > 0.");
  });

  it("explains a 401 as the token to set in the header", () => {
    expect(describeApiError(401, { detail: "missing or invalid bearer token" })).toMatch(/API token.*header/);
  });

  it("explains disabled mutations (503 without a server token)", () => {
    const text = describeApiError(503, { detail: "mutations disabled: ATP_API_TOKEN is not set (…)" });
    expect(text).toMatch(/^Changes are disabled/);
    expect(text).toContain("ATP_API_TOKEN");
  });

  it("keeps the server's words for 403, 404 and 409", () => {
    expect(describeApiError(403, { detail: "cross-origin request refused" })).toBe("Refused by the server: cross-origin request refused.");
    expect(describeApiError(404, { detail: "XYZ_USDT is not on the watchlist" })).toBe("Not found: XYZ_USDT is not on the watchlist.");
    expect(describeApiError(409, { detail: "already listed" })).toBe("Conflict: already listed.");
  });

  it("says a 5xx is the server's failure, with a next step, even without a body", () => {
    expect(describeApiError(502, undefined)).toBe("The server failed (502). Try again; if it keeps failing, run `atp status` on the server.");
  });
});

describe("describeError", () => {
  it("turns a network failure into 'cannot reach the API'", () => {
    expect(describeError(new TypeError("Failed to fetch"))).toMatch(/^Cannot reach the API/);
  });

  it("uses the ApiError's message", () => {
    expect(describeError(new ApiError(409, { detail: "preset exists" }))).toBe("Conflict: preset exists.");
  });
});
