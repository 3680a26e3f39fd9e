import { fireEvent, render, screen, waitFor } from "@testing-library/react";

import { ApiError } from "@/lib/errors";

import { EditableCell, parseNumber } from "./EditableCell";

function edit(value: string) {
  fireEvent.click(screen.getByRole("button", { name: "edit amount" }));
  const input = screen.getByRole("textbox", { name: "amount" });
  fireEvent.change(input, { target: { value } });
  fireEvent.keyDown(input, { key: "Enter" });
  return input;
}

describe("EditableCell", () => {
  it("refuses text that is not a number without asking the server", () => {
    const onSave = vi.fn();
    render(<EditableCell label="amount" value="50" onSave={onSave} />);
    const input = edit("fifty");
    expect(screen.getByRole("alert").textContent).toContain("enter a number");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(onSave).not.toHaveBeenCalled();
  });

  it("shows the server's refusal and keeps the field open", async () => {
    const onSave = vi.fn().mockRejectedValue(new ApiError(422, { detail: [{ loc: ["body", "trade_amount_usd"], msg: "must be > 0" }] }));
    render(<EditableCell label="amount" value="50" onSave={onSave} />);
    edit("0");
    await waitFor(() => expect(screen.getByRole("alert").textContent).toContain("Not saved: trade_amount_usd: must be > 0."));
    expect(onSave).toHaveBeenCalledWith("0");
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.getByRole("button", { name: "edit amount" }).textContent).toBe("50");
  });

  it("sends a cleared value as null and closes once saved", async () => {
    const onSave = vi.fn().mockResolvedValue({});
    render(<EditableCell label="amount" value="50" onSave={onSave} />);
    edit("");
    await waitFor(() => expect(screen.getByRole("button", { name: "edit amount" })).toBeTruthy());
    expect(onSave).toHaveBeenCalledWith(null);
  });
});

describe("parseNumber", () => {
  it("accepts plain decimals (comma as decimal point too) and nothing else", () => {
    expect(parseNumber(" 2,5 ")).toEqual({ value: "2.5" });
    expect(parseNumber("1e3")).toHaveProperty("error");
    expect(parseNumber("")).toEqual({ value: null });
  });
});
