import { fireEvent, render, screen } from "@testing-library/react";

import { ApiError } from "@/lib/errors";

import { SignalBadge } from "./SignalBadge";

const conditions = [
  { side: "BUY", name: "rsi_below", passed: false, actual: 73.4327, threshold: 48 },
  { side: "SELL", name: "rsi_above", passed: true, actual: 73.4327, threshold: 52 },
];

describe("SignalBadge", () => {
  it("lists every condition with actual vs threshold when hovered, and asks for them once opened", () => {
    const onOpen = vi.fn();
    render(<SignalBadge side="SELL" conditions={conditions} onOpen={onOpen} />);
    expect(screen.queryByRole("tooltip")).toBeNull();
    fireEvent.mouseEnter(screen.getByLabelText("signal SELL: show conditions"));
    expect(onOpen).toHaveBeenCalledTimes(1);
    const rows = screen.getByRole("tooltip").querySelectorAll("tbody tr");
    expect([...rows].map((row) => row.textContent)).toEqual(["BUY · rsi below73.432748✗ no", "SELL · rsi above73.432752✓ yes"]);
    fireEvent.mouseLeave(screen.getByLabelText("signal SELL: show conditions"));
    expect(screen.queryByRole("tooltip")).toBeNull();
  });

  it("opens on keyboard focus too, showing loading and then errors in words", () => {
    const { rerender } = render(<SignalBadge side="BUY" loading />);
    fireEvent.focus(screen.getByLabelText("signal BUY: show conditions"));
    expect(screen.getByRole("tooltip").textContent).toBe("Loading conditions…");
    rerender(<SignalBadge side="BUY" error={new ApiError(404, { detail: "no state for XYZ_USDT" })} />);
    expect(screen.getByRole("tooltip").textContent).toBe("Not found: no state for XYZ_USDT.");
  });

  it("says 'not evaluated' for a symbol the monitor has not looked at yet", () => {
    render(<SignalBadge side={null} />);
    expect(screen.getByText("not evaluated")).toBeTruthy();
  });
});
