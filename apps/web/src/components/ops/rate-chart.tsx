'use client';

/*
 * Charts: uPlot (npm `uplot`). Chosen over recharts because a live operations page redraws every
 * few seconds: uPlot draws on one canvas (no SVG node per point), is ~50 KB with no dependencies,
 * is made for time series, and is plain DOM code that works the same under React 19 and Next 16
 * (no React peer dependency to lag behind). It is bundled from node_modules: nothing is fetched
 * at run time. It touches the DOM, so it is loaded in an effect, never during the server render.
 */
import { useEffect, useRef } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatRate } from '@/ops/health';
import type { RatePoint } from '@/ops/rates';

const HEIGHT = 160;

export function RateChart({
  id,
  title,
  unit,
  points,
}: {
  id: string;
  title: string;
  /** `messages/s`. */
  unit: string;
  points: readonly RatePoint[];
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(points);
  latest.current = points;

  // Made once, when mounted; follows the box's width; destroyed on unmount.
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let cancelled = false;
    let observer: ResizeObserver | undefined;
    void import('uplot').then(({ default: UPlot }) => {
      if (cancelled) return;
      const styles = getComputedStyle(element);
      const stroke = styles.getPropertyValue('--accent').trim() || '#4f46e5';
      const text = styles.getPropertyValue('--muted').trim() || '#5d6377';
      const grid = styles.getPropertyValue('--border').trim() || '#dde1ec';
      const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
      chart.current = new UPlot(
        {
          width: Math.max(200, element.clientWidth),
          height: HEIGHT,
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          axes: [axis, { ...axis, size: 48 }],
          series: [
            {},
            { label: unit, stroke, width: 2, fill: `${stroke}22`, points: { show: false } },
          ],
        },
        toData(latest.current),
        element,
      );
      observer = new ResizeObserver(() =>
        chart.current?.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }),
      );
      observer.observe(element);
    });
    return () => {
      cancelled = true;
      observer?.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, [unit]);

  useEffect(() => {
    chart.current?.setData(toData(points));
  }, [points]);

  const current = points.at(-1);
  return (
    <figure className="ops-chart" aria-labelledby={`${id}-title`}>
      <figcaption>
        <h3 id={`${id}-title`}>{title}</h3>
        <p className="ops-chart-now" data-rate={id} data-value={current?.value ?? ''}>
          {current
            ? `Now: ${formatRate(current.value)} ${unit}`
            : 'Now: not known yet (a rate needs two reports)'}
        </p>
      </figcaption>
      {/* The canvas is a picture of the numbers above; screen readers get the text. */}
      <div ref={box} className="ops-chart-canvas" aria-hidden="true" />
    </figure>
  );
}

function toData(points: readonly RatePoint[]): uPlot.AlignedData {
  return [points.map((point) => point.at / 1000), points.map((point) => point.value)];
}
