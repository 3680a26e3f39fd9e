import type { Schemas } from "@/lib/api/client";

import { changedParams } from "./PresetsEditor";

const STORED = { rsi_buy_below: 30, check_ma50: true, cooldown_minutes: "60", buy_target: null } as unknown as Schemas["PresetParams"];

describe("changedParams", () => {
  it("sends only what differs from the stored value", () => {
    expect(changedParams(STORED, { rsi_buy_below: "30", cooldown_minutes: " 45 " })).toEqual({ cooldown_minutes: "45" });
  });
  it("sends switches as booleans and an emptied optional field as null", () => {
    expect(changedParams(STORED, { check_ma50: "false", buy_target: "" })).toEqual({ check_ma50: false });
    expect(changedParams({ ...STORED, buy_target: "100" } as Schemas["PresetParams"], { buy_target: "" })).toEqual({ buy_target: null });
  });
});
