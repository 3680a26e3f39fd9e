"use client";
// The API token, entered once and kept in this browser (localStorage). Sent on every change.
import { useState } from "react";

import { saveToken, useToken } from "@/lib/token";

export function TokenControl() {
  const token = useToken();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState("");
  const save = (value: string) => {
    saveToken(value);
    setDraft("");
    setOpen(false);
  };
  return (
    <div className="token">
      <button type="button" className={token ? "btn btn-small" : "btn btn-small btn-warn"} onClick={() => setOpen(!open)} aria-expanded={open}>
        {token ? "API token ✓" : "API token: not set"}
      </button>
      {open ? (
        <form
          className="token-form"
          onSubmit={(event) => {
            event.preventDefault();
            save(draft);
          }}
        >
          <label htmlFor="api-token">
            API token (the server&apos;s ATP_API_TOKEN; needed to change anything, kept in this browser only)
          </label>
          <input id="api-token" type="password" autoComplete="off" value={draft} onChange={(event) => setDraft(event.target.value)} placeholder={token ? "•••••• (saved)" : "paste the token"} />
          <div className="row">
            <button type="submit" className="btn btn-small btn-primary" disabled={!draft.trim()}>
              Save
            </button>
            {token ? (
              <button type="button" className="btn btn-small" onClick={() => save("")}>
                Forget
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
    </div>
  );
}
