import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { t } from "../i18n";
import type { SeriesPoint } from "../types";
import { counterLabel } from "./campaign-progress";

const SERIES = [
  { key: "sent", stroke: "#64748b" },
  { key: "delivered", stroke: "#2563eb" },
  { key: "read", stroke: "#0b6e4f" },
  { key: "replied", stroke: "#9333ea" },
  { key: "failed", stroke: "#b42318" },
] as const;

/** Fills the minutes without events with zeros, so the lines show quiet minutes as quiet. */
function aligned(points: SeriesPoint[]): uPlot.AlignedData {
  if (points.length === 0) return [[], ...SERIES.map(() => [])];
  const byMinute = new Map(points.map((p) => [Date.parse(p.minute) / 1000, p]));
  const first = Date.parse(points[0]!.minute) / 1000;
  const last = Date.parse(points[points.length - 1]!.minute) / 1000;
  // The minute before the first event is a true zero, and gives a single minute an axis to sit on.
  const xs: number[] = [];
  for (let t = first - 60; t <= last && xs.length < 10_000; t += 60) xs.push(t);
  return [xs, ...SERIES.map((s) => xs.map((t) => byMinute.get(t)?.[s.key] ?? 0))];
}

/** Sends, deliveries, reads, replies and failures per minute, drawn with uPlot. */
export function SeriesChart({ points }: { points: SeriesPoint[] }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(280, el.clientWidth);
    chart.current = new uPlot(
      {
        width: width(),
        height: 240,
        scales: { x: { time: true } },
        axes: [{}, { label: t("campaigns.chart.perMinute"), size: 50 }],
        series: [
          { label: t("campaigns.chart.minute") },
          ...SERIES.map((s) => ({ label: counterLabel(s.key), stroke: s.stroke, width: 2, points: { show: true, size: 5 } })),
        ],
      },
      aligned(points),
      el,
    );
    const resize = new ResizeObserver(() => chart.current?.setSize({ width: width(), height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setData(aligned(points));
  }, [points]);
  const totals = SERIES.map((s) => `${counterLabel(s.key)} ${points.reduce((n, p) => n + p[s.key], 0)}`).join(", ");
  return <div ref={box} class="series-chart" role="img" aria-label={t("campaigns.chart.label", { totals })} data-chart />;
}
