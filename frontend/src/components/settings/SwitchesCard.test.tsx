import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";

import type { Schemas } from "@/lib/api/client";
import { saveToken } from "@/lib/token";

import { SwitchesCard } from "./SwitchesCard";

const KILL: Schemas["SettingOut"] = { key: "KILL_SWITCH", value: "false", default: "false", is_default: true, meaning: "block every new entry order", updated_by: null };

function renderCard() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <SwitchesCard settings={[KILL]} />
    </QueryClientProvider>,
  );
}

// The API client keeps the `fetch` it saw when its module loaded: route it through a holder
// installed before any import, so each test decides the server's answer.
const server = vi.hoisted(() => {
  const holder: { fetch: (request: Request) => Promise<Response> } = { fetch: async () => new Response(null, { status: 599 }) };
  globalThis.fetch = ((input: Request) => holder.fetch(input)) as typeof fetch;
  return holder;
});

function answer(status: number, body: unknown) {
  const mock = vi.fn<(request: Request) => Promise<Response>>(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
  server.fetch = mock;
  return mock;
}

describe("SwitchesCard", () => {
  it("asks before changing and sends nothing on cancel", async () => {
    const fetchMock = answer(200, {});
    renderCard();
    await userEvent.click(screen.getByRole("button", { name: "Turn on" }));
    expect(screen.getByRole("dialog").textContent).toMatch(/Every new entry order is blocked/);
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("sends the change with the token once confirmed", async () => {
    saveToken("secret-token-0123456789");
    const fetchMock = answer(200, { setting: { ...KILL, value: "true" }, changed: true, old: null, new: "true" });
    renderCard();
    await userEvent.click(screen.getByRole("button", { name: "Turn on" }));
    await userEvent.click(screen.getAllByRole("button", { name: "Turn on" }).at(-1)!);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const request = fetchMock.mock.calls.map(([r]) => r).find((r) => r.method === "PUT")!;
    expect(new URL(request.url).pathname).toBe("/api/trading/settings/KILL_SWITCH");
    expect(request.headers.get("Authorization")).toBe("Bearer secret-token-0123456789");
    expect(await request.json()).toEqual({ value: true });
  });

  it("keeps the dialog open with a readable error when the API refuses", async () => {
    answer(503, { detail: "mutations disabled: ATP_API_TOKEN is not set" });
    renderCard();
    await userEvent.click(screen.getByRole("button", { name: "Turn on" }));
    await userEvent.click(screen.getAllByRole("button", { name: "Turn on" }).at(-1)!);
    expect((await screen.findByRole("alert")).textContent).toMatch(/Changes are disabled/);
    expect(screen.getByRole("dialog")).toBeTruthy();
  });
});
