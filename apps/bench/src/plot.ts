/**
 * A small line chart as SVG, without dependencies: curves of a figure against a size (a log x
 * axis by default) or against time (`xLog: false`, a linear axis), one line per series. Enough for a report's figures, opened in any browser.
 */

export interface Series {
  name: string;
  points: [x: number, y: number][];
  /** Drawn dashed (e.g. the phase without load, beside the one with). */
  dashed?: boolean;
  /** Series with the same colour group share a colour (e.g. one target's two phases). */
  colorGroup?: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Log scale on x (default true); values must then be positive. */
  xLog?: boolean;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];
const MARGIN = { top: 40, right: 20, bottom: 50, left: 70 };
const LEGEND_LINE = 18;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** 1, 2 or 5 times a power of ten, the step for about `count` ticks up to `max`. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

function label(value: number): string {
  if (value >= 10_000) return `${value / 1000}k`;
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(+value.toPrecision(3));
}

export function lineChartSvg(chart: LineChart): string {
  const width = chart.width ?? 640;
  const legendHeight = chart.series.length * LEGEND_LINE + 10;
  const height = (chart.height ?? 380) + legendHeight;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - legendHeight - MARGIN.top - MARGIN.bottom;
  const xLog = chart.xLog ?? true;
  const points = chart.series.flatMap((series) =>
    series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!xLog || x > 0)),
  );
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(chart.title)}</text>`,
  );
  if (points.length === 0) {
    parts.push(
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text></svg>`,
    );
    return `${parts.join('\n')}\n`;
  }

  // x: whole decades on a log scale (or a padded linear range), y: from 0 to a nice maximum.
  const toLog = (x: number) => (xLog ? Math.log10(x) : x);
  let xMin = xLog ? Math.floor(Math.log10(Math.min(...xs))) : Math.min(...xs);
  let xMax = xLog ? Math.ceil(Math.log10(Math.max(...xs))) : Math.max(...xs);
  if (xMax === xMin) {
    xMin -= xLog ? 1 : 1;
    xMax += xLog ? 1 : 1;
  }
  // A linear x axis runs between whole steps of 1, 2 or 5 × a power of ten, like y.
  const xStep = xLog ? 1 : niceStep(xMax - xMin, 6);
  if (!xLog) {
    xMin = Math.floor(xMin / xStep) * xStep;
    xMax = Math.ceil(xMax / xStep) * xStep;
  }
  const yStep = niceStep(Math.max(...ys, 0) || 1, 5);
  const yMax = Math.ceil((Math.max(...ys, 0) || 1) / yStep) * yStep;
  const yMin = Math.min(0, Math.floor(Math.min(...ys) / yStep) * yStep);
  const px = (x: number) => MARGIN.left + ((toLog(x) - xMin) / (xMax - xMin)) * plotWidth;
  const py = (y: number) => MARGIN.top + plotHeight - ((y - yMin) / (yMax - yMin)) * plotHeight;
  const bottom = MARGIN.top + plotHeight;

  // Grid and ticks.
  const xTicks = xLog
    ? Array.from({ length: xMax - xMin + 1 }, (_, i) => 10 ** (xMin + i))
    : Array.from(
        { length: Math.round((xMax - xMin) / xStep) + 1 },
        (_, i) => +(xMin + i * xStep).toPrecision(6),
      );
  for (const x of xTicks) {
    const at = px(x).toFixed(1);
    parts.push(
      `<line x1="${at}" y1="${MARGIN.top}" x2="${at}" y2="${bottom}" stroke="#e5e5e5"/>`,
      `<text x="${at}" y="${bottom + 16}" text-anchor="middle">${label(x)}</text>`,
    );
  }
  for (let y = yMin; y <= yMax + yStep / 2; y += yStep) {
    const at = py(y).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${at}" x2="${MARGIN.left + plotWidth}" y2="${at}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${at}" text-anchor="end" dominant-baseline="middle">${label(+y.toPrecision(6))}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${bottom + 36}" text-anchor="middle">${escapeXml(chart.xLabel)}${xLog ? ' (log scale)' : ''}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`,
  );

  // One line (and its points) per series, then the legend.
  const groups = [...new Set(chart.series.map((series) => series.colorGroup ?? series.name))];
  chart.series.forEach((series, index) => {
    const color = COLORS[groups.indexOf(series.colorGroup ?? series.name) % COLORS.length];
    const valid = series.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!xLog || x > 0))
      .sort(([a], [b]) => a - b);
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    if (valid.length > 1) {
      const path = valid.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
      parts.push(
        `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
      );
    }
    for (const [x, y] of valid) {
      parts.push(
        `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${series.name}: ${label(x)} → ${label(y)}`)}</title></circle>`,
      );
    }
    const legendY = height - legendHeight + index * LEGEND_LINE + 8;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${legendY}" x2="${MARGIN.left + 30}" y2="${legendY}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${MARGIN.left + 38}" y="${legendY}" dominant-baseline="middle">${escapeXml(series.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
