"use client";
// On/off switches (kill switch, live trading, monitor pause, Telegram alerts). Every change is
// confirmed first; the card always shows the server's value (re-read after the change).
import { useState } from "react";

import { Card } from "@/components/Page";
import { StatusPill } from "@/components/StatusPill";
import type { Schemas } from "@/lib/api/client";

import { ConfirmDialog } from "./ConfirmDialog";
import { useSetSetting } from "./queries";

type Setting = Schemas["SettingOut"];

export const SWITCHES = ["KILL_SWITCH", "LIVE_TRADING", "MONITOR_PAUSED", "TELEGRAM_ALERTS_ENABLED"];
const WARN_WHEN_ON = new Set(["KILL_SWITCH", "MONITOR_PAUSED"]); // "on" holds alerts or orders back

// What turning a switch on / off does, in the words an operator decides with.
const CONSEQUENCE: Record<string, { on: string; off: string; dangerOn: boolean; dangerOff: boolean }> = {
  KILL_SWITCH: {
    on: "Every new entry order is blocked at once. Protection (stop-loss / take-profit) of open positions keeps working.",
    off: "New entry orders are allowed again: alerts on symbols with trading enabled will place orders.",
    dangerOn: false,
    dangerOff: true,
  },
  LIVE_TRADING: {
    on: "Order intents reach the real exchange with real money (when the platform runs with TRADING_MODE=live).",
    off: "No new order reaches the exchange; open positions keep their protection.",
    dangerOn: true,
    dangerOff: false,
  },
  MONITOR_PAUSED: {
    on: "The signal monitor stops evaluating within one cycle: no alert and no order until it resumes.",
    off: "The signal monitor resumes evaluating within one cycle.",
    dangerOn: true,
    dangerOff: false,
  },
  TELEGRAM_ALERTS_ENABLED: {
    on: "Alerts are delivered to Telegram again (when Telegram is configured).",
    off: "Alerts are no longer delivered to Telegram; they are recorded as blocked in the ledger.",
    dangerOn: false,
    dangerOff: true,
  },
};

function label(key: string): string {
  return key.replaceAll("_", " ").toLowerCase().replace(/^./, (c) => c.toUpperCase());
}

function SwitchRow({ setting, onAsk }: { setting: Setting; onAsk: (setting: Setting) => void }) {
  const on = setting.value === "true";
  return (
    <li className="switch-row" data-testid={`switch-${setting.key}`} data-value={setting.value}>
      <div>
        <strong>{label(setting.key)}</strong> <StatusPill status={on ? (WARN_WHEN_ON.has(setting.key) ? "WARN" : "PASS") : "OFF"} label={on ? "on" : "off"} />
        <div className="muted small">
          {setting.meaning}
          {setting.is_default ? " (default)" : setting.updated_by ? ` (last set by ${setting.updated_by})` : ""}
        </div>
      </div>
      <button type="button" className="btn btn-small" onClick={() => onAsk(setting)}>
        Turn {on ? "off" : "on"}
      </button>
    </li>
  );
}

export function SwitchesCard({ settings }: { settings: Setting[] }) {
  const [asking, setAsking] = useState<Setting | null>(null);
  const mutation = useSetSetting();
  const switches = settings.filter((s) => SWITCHES.includes(s.key));
  const close = () => {
    setAsking(null);
    mutation.reset();
  };
  const target = asking ? asking.value !== "true" : false;
  const consequence = asking ? CONSEQUENCE[asking.key] : undefined;
  return (
    <Card title="Switches" testId="settings-switches">
      <ul className="plain">
        {switches.map((setting) => (
          <SwitchRow key={setting.key} setting={setting} onAsk={setAsking} />
        ))}
      </ul>
      {asking ? (
        <ConfirmDialog
          title={`Turn ${label(asking.key).toLowerCase()} ${target ? "on" : "off"}?`}
          confirmLabel={`Turn ${target ? "on" : "off"}`}
          danger={consequence ? (target ? consequence.dangerOn : consequence.dangerOff) : false}
          busy={mutation.isPending}
          error={mutation.error}
          onCancel={close}
          onConfirm={() => mutation.mutate({ key: asking.key, value: target }, { onSuccess: close })}
        >
          <p>{consequence ? (target ? consequence.on : consequence.off) : asking.meaning}</p>
          <p className="muted small">The change is recorded in the config-change trail (source: api).</p>
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}
