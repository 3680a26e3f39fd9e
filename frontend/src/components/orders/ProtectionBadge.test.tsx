import { render, screen } from "@testing-library/react";

import { ProtectionBadge } from "./ProtectionBadge";

describe("ProtectionBadge", () => {
  it("shows a covered position as ok", () => {
    render(<ProtectionBadge status="covered" />);
    const badge = screen.getByTestId("protection-badge");
    expect(badge.textContent).toBe("covered");
    expect(badge.className).toContain("pill-ok");
  });
  it("shows a naked position as bad, and says when it is overdue", () => {
    render(<ProtectionBadge status="naked" overdue />);
    const badge = screen.getByTestId("protection-badge");
    expect(badge.textContent).toBe("naked (overdue)");
    expect(badge.className).toContain("pill-bad");
    expect(badge.getAttribute("title")).toMatch(/unprotected/);
  });
  it("shows an unknown status as it is, neutrally", () => {
    render(<ProtectionBadge status="weird" />);
    expect(screen.getByTestId("protection-badge").className).toContain("pill-neutral");
  });
});
