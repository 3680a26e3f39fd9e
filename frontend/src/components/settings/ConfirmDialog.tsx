"use client";
// A modal question before a consequential change (kill switch, live trading). Nothing is sent
// until "confirm" is pressed; Escape or "Cancel" closes it. A failure stays inside the dialog.
import { useEffect, useRef, type ReactNode } from "react";

import { describeError } from "@/lib/errors";

export type ConfirmProps = {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onCancel: () => void;
};

export function ConfirmDialog({ title, children, confirmLabel, danger = false, busy = false, error, onConfirm, onCancel }: ConfirmProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    cancelRef.current?.focus(); // the safe choice has the focus: Enter does not confirm by accident
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onCancel();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onCancel]);
  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title" data-testid="confirm-dialog">
        <h2 id="confirm-title">{title}</h2>
        <div className="modal-body">{children}</div>
        {error ? (
          <p className="state state-error" role="alert">
            {describeError(error)}
          </p>
        ) : null}
        <div className="row modal-actions">
          <button ref={cancelRef} type="button" className="btn" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="button" className={danger ? "btn btn-danger-solid" : "btn btn-primary"} onClick={onConfirm} disabled={busy}>
            {busy ? "Saving…" : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
