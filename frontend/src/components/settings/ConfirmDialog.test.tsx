import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";

import { ApiError } from "@/lib/errors";

import { ConfirmDialog } from "./ConfirmDialog";

function renderDialog(extra: Partial<Parameters<typeof ConfirmDialog>[0]> = {}) {
  const onConfirm = vi.fn();
  const onCancel = vi.fn();
  render(
    <ConfirmDialog title="Turn kill switch on?" confirmLabel="Turn on" onConfirm={onConfirm} onCancel={onCancel} {...extra}>
      <p>Every new entry is blocked.</p>
    </ConfirmDialog>,
  );
  return { onConfirm, onCancel };
}

describe("ConfirmDialog", () => {
  it("is a labelled modal with the safe choice focused", () => {
    renderDialog();
    const dialog = screen.getByRole("dialog", { name: "Turn kill switch on?" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement?.textContent).toBe("Cancel");
  });
  it("confirms only on the confirm button", async () => {
    const { onConfirm, onCancel } = renderDialog();
    await userEvent.click(screen.getByRole("button", { name: "Turn on" }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    expect(onCancel).not.toHaveBeenCalled();
  });
  it("cancels with Escape or Cancel", async () => {
    const { onConfirm, onCancel } = renderDialog();
    await userEvent.keyboard("{Escape}");
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onCancel).toHaveBeenCalledTimes(2);
    expect(onConfirm).not.toHaveBeenCalled();
  });
  it("shows the API's refusal readably and disables the buttons while saving", () => {
    renderDialog({ busy: true, error: new ApiError(401, { detail: "invalid token" }) });
    expect(screen.getByRole("alert").textContent).toMatch(/API token is missing or wrong/);
    expect(screen.getByRole("button", { name: "Saving…" })).toHaveProperty("disabled", true);
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveProperty("disabled", true);
  });
});
