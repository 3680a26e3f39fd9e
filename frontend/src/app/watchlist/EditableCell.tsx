"use client";
// A number the operator edits in place. Shows the SERVER's value; on Enter (or leaving the
// field) it sends the change and shows the server's refusal, if any, under the field. Only the
// shape (a number) is checked here: the rules (ranges, caps) are the service's, one place.
import { useState } from "react";

import { describeError } from "@/lib/errors";

type Props = {
  label: string;
  value: string | null;
  placeholder?: string;
  suffix?: string;
  onSave: (value: string | null) => Promise<unknown>;
};

export function parseNumber(input: string): { value: string | null } | { error: string } {
  const text = input.trim().replace(",", ".");
  if (text === "") return { value: null };
  if (!/^-?\d+(\.\d+)?$/.test(text)) return { error: "enter a number, e.g. 50 or 2.5" };
  return { value: text };
}

export function EditableCell({ label, value, placeholder = "–", suffix = "", onSave }: Props) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const editing = draft !== null;

  const commit = async () => {
    if (draft === null) return;
    const parsed = parseNumber(draft);
    if ("error" in parsed) return setError(parsed.error);
    if (parsed.value === value) return cancel();
    setSaving(true);
    try {
      await onSave(parsed.value);
      cancel();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setSaving(false);
    }
  };
  const cancel = () => {
    setDraft(null);
    setError(null);
  };

  if (!editing) {
    return (
      <button type="button" className="cell-edit" aria-label={`edit ${label}`} title={`Edit ${label}`} onClick={() => setDraft(value ?? "")}>
        {value === null ? <span className="muted">{placeholder}</span> : `${value}${suffix}`}
      </button>
    );
  }
  return (
    <span className="cell-editing">
      <input
        aria-label={label}
        aria-invalid={error ? true : undefined}
        autoFocus
        size={7}
        value={draft}
        disabled={saving}
        onChange={(event) => {
          setDraft(event.target.value);
          setError(null);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter") void commit();
          if (event.key === "Escape") cancel();
        }}
      />
      {error ? (
        <span className="cell-error" role="alert">
          {error} <button type="button" className="btn btn-small" onClick={cancel}>Cancel</button>
        </span>
      ) : null}
    </span>
  );
}
