"use client";
// Order limits: one input per limit, saved on its own; a refused value shows the server's
// reason and nothing changes.
import { useState } from "react";

import { Card } from "@/components/Page";
import type { Schemas } from "@/lib/api/client";
import { describeError } from "@/lib/errors";

import { useSetSetting } from "./queries";
import { SWITCHES } from "./SwitchesCard";

type Setting = Schemas["SettingOut"];

function LimitRow({ setting }: { setting: Setting }) {
  const [draft, setDraft] = useState<string | null>(null);
  const mutation = useSetSetting();
  const value = draft ?? setting.value;
  const dirty = draft !== null && draft.trim() !== setting.value;
  const inputId = `limit-${setting.key}`;
  return (
    <form
      className="limit-row"
      data-testid={inputId}
      onSubmit={(event) => {
        event.preventDefault();
        if (dirty) mutation.mutate({ key: setting.key, value: value.trim() }, { onSuccess: () => setDraft(null) });
      }}
    >
      <label htmlFor={inputId}>
        <strong>{setting.key.replaceAll("_", " ").toLowerCase()}</strong>
        <span className="muted small"> {setting.meaning}</span>
      </label>
      <div className="row">
        <input id={inputId} value={value} size={10} aria-invalid={mutation.isError} onChange={(event) => setDraft(event.target.value)} />
        <button type="submit" className="btn btn-small btn-primary" disabled={!dirty || mutation.isPending}>
          {mutation.isPending ? "Saving…" : "Save"}
        </button>
        {dirty ? (
          <button type="button" className="btn btn-small" onClick={() => (setDraft(null), mutation.reset())}>
            Undo
          </button>
        ) : null}
        <span className="muted small">default {setting.default}</span>
      </div>
      {mutation.isError ? (
        <p className="bad small" role="alert">
          {describeError(mutation.error)}
        </p>
      ) : null}
    </form>
  );
}

export function LimitsCard({ settings }: { settings: Setting[] }) {
  return (
    <Card title="Order limits" testId="settings-limits">
      <div className="limits">
        {settings
          .filter((s) => !SWITCHES.includes(s.key))
          .map((setting) => (
            <LimitRow key={setting.key} setting={setting} />
          ))}
      </div>
    </Card>
  );
}
