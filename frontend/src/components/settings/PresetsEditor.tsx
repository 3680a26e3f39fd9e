"use client";
// Strategy presets: pick one, edit its parameters, save the changed ones (the server validates
// the whole result and bumps the version once; a refused value changes nothing).
import { useState } from "react";

import { Card } from "@/components/Page";
import { Empty } from "@/components/States";
import type { Schemas } from "@/lib/api/client";
import { describeError } from "@/lib/errors";

import { useUpdatePreset } from "./queries";

type Preset = Schemas["PresetOut"];
type Params = Schemas["PresetParams"];
type Value = string | number | boolean | null;
const CHOICES: Record<string, string[]> = { sl_method: ["percent", "atr"], tp_method: ["percent", "risk_reward"] };

/** Only the fields whose text differs from the stored value, as the text typed. */
export function changedParams(stored: Params, draft: Record<string, string>): Record<string, Value> {
  const changed: Record<string, Value> = {};
  for (const [name, text] of Object.entries(draft)) {
    const before = (stored as Record<string, unknown>)[name];
    const beforeText = before === null || before === undefined ? "" : String(before);
    if (text.trim() === beforeText) continue;
    if (typeof before === "boolean") changed[name] = text === "true";
    else changed[name] = text.trim() === "" ? null : text.trim();
  }
  return changed;
}

function Field({ name, stored, text, onChange }: { name: string; stored: unknown; text: string; onChange: (value: string) => void }) {
  const id = `param-${name}`;
  const choices = CHOICES[name];
  let input;
  if (typeof stored === "boolean") {
    input = <input id={id} type="checkbox" checked={text === "true"} onChange={(event) => onChange(String(event.target.checked))} />;
  } else if (choices) {
    input = (
      <select id={id} value={text} onChange={(event) => onChange(event.target.value)}>
        {choices.map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
    );
  } else {
    input = <input id={id} value={text} size={8} onChange={(event) => onChange(event.target.value)} />;
  }
  return (
    <div className="param">
      <label htmlFor={id}>{name.replaceAll("_", " ")}</label>
      {input}
    </div>
  );
}

function Editor({ preset }: { preset: Preset }) {
  const params = preset.params;
  const [draft, setDraft] = useState<Record<string, string>>({});
  const mutation = useUpdatePreset();
  if (!params) return <Empty title="This preset's stored values are invalid">{preset.params_error}</Empty>;
  const names = Object.keys(params).sort();
  const textOf = (name: string) => draft[name] ?? String((params as Record<string, unknown>)[name] ?? "");
  const changed = changedParams(params, draft);
  const count = Object.keys(changed).length;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (count) mutation.mutate({ key: preset.key, params: changed }, { onSuccess: () => setDraft({}) });
      }}
    >
      <p className="muted small">
        Version {preset.version}
        {preset.is_builtin ? " · built-in" : " · custom"}
        {preset.description ? ` · ${preset.description}` : ""}
      </p>
      <div className="params">
        {names.map((name) => (
          <Field key={name} name={name} stored={(params as Record<string, unknown>)[name]} text={textOf(name)} onChange={(value) => setDraft({ ...draft, [name]: value })} />
        ))}
      </div>
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={!count || mutation.isPending}>
          {mutation.isPending ? "Saving…" : count ? `Save ${count} change${count > 1 ? "s" : ""}` : "No change"}
        </button>
        {count ? (
          <button type="button" className="btn" onClick={() => (setDraft({}), mutation.reset())}>
            Discard
          </button>
        ) : null}
        {mutation.isSuccess ? <span className="muted small">Saved: version {mutation.data.preset.version}.</span> : null}
      </div>
      {mutation.isError ? (
        <p className="state state-error" role="alert">
          {describeError(mutation.error)}
        </p>
      ) : null}
    </form>
  );
}

export function PresetsEditor({ presets }: { presets: Preset[] }) {
  const [key, setKey] = useState<string>("");
  const selected = presets.find((p) => p.key === key) ?? presets[0];
  if (!selected) return <Empty title="No preset">Run <code>atp migrate</code>: it seeds the built-in presets.</Empty>;
  return (
    <Card title="Strategy presets" testId="settings-presets">
      <label className="row">
        Preset{" "}
        <select value={selected.key} onChange={(event) => setKey(event.target.value)} aria-label="Preset">
          {presets.map((p) => (
            <option key={p.key} value={p.key}>
              {p.key} (v{p.version})
            </option>
          ))}
        </select>
      </label>
      <Editor key={`${selected.key}:${selected.version}`} preset={selected} />
    </Card>
  );
}
