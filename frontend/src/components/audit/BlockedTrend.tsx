// Blocked symbols per stored audit run, oldest to newest: a rising bar is a problem growing.
// Plain SVG (a handful of bars does not need a chart library); each bar's colour is the run's
// global status and its tooltip gives the numbers.
import type { Schemas } from "@/lib/api/client";
import { utcTime } from "@/lib/money";

const COLOUR: Record<string, string> = { PASS: "var(--ok)", WARN: "#d69e2e", FAIL: "var(--bad)" };
const HEIGHT = 180;
const PAD = 24;

export function BlockedTrend({ runs }: { runs: Schemas["AuditRunOut"][] }) {
  const points = [...runs].reverse(); // the API pages newest first
  const top = Math.max(1, ...points.map((r) => r.blocked_symbols));
  const slot = 28;
  const first = points[0];
  const last = points.at(-1);
  const width = Math.max(320, points.length * slot + PAD * 2);
  const y = (value: number) => HEIGHT - PAD - ((HEIGHT - PAD * 2) * value) / top;
  return (
    <figure className="trend" data-testid="blocked-trend" data-points={points.length}>
      <svg viewBox={`0 0 ${width} ${HEIGHT}`} width={width} height={HEIGHT} preserveAspectRatio="xMinYMin meet" role="img" aria-label="Blocked symbols per audit run">
        <line x1={PAD} x2={width - PAD / 2} y1={y(0)} y2={y(0)} stroke="var(--line)" />
        <text x={4} y={y(top) + 4} className="axis">
          {top}
        </text>
        <text x={4} y={y(0) + 4} className="axis">
          0
        </text>
        {first ? (
          <text x={PAD} y={HEIGHT - 6} className="axis">
            {utcTime(first.started_at).slice(5, 16)}
          </text>
        ) : null}
        {last && points.length > 2 ? (
          <text x={PAD + points.length * slot - 4} y={HEIGHT - 6} className="axis" textAnchor="end">
            {utcTime(last.started_at).slice(5, 16)}
          </text>
        ) : null}
        {points.map((run, i) => {
          const x = PAD + i * slot + 4;
          const barTop = y(run.blocked_symbols);
          return (
            <g key={run.id}>
              <title>{`${utcTime(run.started_at)}: ${run.blocked_symbols} of ${run.symbols_checked} symbols blocked (${run.global_status})`}</title>
              <rect x={x} y={barTop} width={slot - 8} height={Math.max(1, y(0) - barTop)} fill={COLOUR[run.global_status] ?? "var(--muted)"} rx={2} />
            </g>
          );
        })}
      </svg>
      <figcaption className="muted small">
        Symbols whose alert or trade was blocked, per run ({points.length} runs, oldest left). Colour: the run&apos;s global status.
      </figcaption>
    </figure>
  );
}
