import { show } from "./ConfigTrail";

describe("config trail values", () => {
  it("shows objects as key=value pairs and nothing as a dash", () => {
    expect(show({ preset: "demo:lively", alert_enabled: true, amount: null })).toBe("preset=demo:lively alert_enabled=true amount=null");
    expect(show(null)).toBe("–");
    expect(show("25")).toBe("25");
    expect(show([1, 2])).toBe("[1,2]");
  });
});
