"use client";
// Settings: switches (with confirmation), order limits, strategy presets, the change trail.
import { Page } from "@/components/Page";
import { ConfigTrail } from "@/components/settings/ConfigTrail";
import { LimitsCard } from "@/components/settings/LimitsCard";
import { PresetsEditor } from "@/components/settings/PresetsEditor";
import { usePresets, useTradingSettings } from "@/components/settings/queries";
import { SwitchesCard } from "@/components/settings/SwitchesCard";
import { QueryState } from "@/components/States";
import "@/components/shared/pages.css";

export default function SettingsPage() {
  const settings = useTradingSettings();
  const presets = usePresets();
  return (
    <Page title="Settings" subtitle="Every change needs the API token and is recorded in the trail below.">
      <QueryState query={settings} what="trading settings">
        {(data) => (
          <div className="settings-grid">
            <SwitchesCard settings={data.settings} />
            <LimitsCard settings={data.settings} />
          </div>
        )}
      </QueryState>
      <QueryState query={presets} what="presets">
        {(page) => <PresetsEditor presets={page.items} />}
      </QueryState>
      <ConfigTrail />
    </Page>
  );
}
