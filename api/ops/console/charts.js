// Hand-drawn SVG charts: grouped bars, horizontal bars, a donut. Colours come from CSS classes
// (series-0 … series-5), sizes from the viewBox, so the charts scale with their card.

import { formatNumber, h, s } from "./dom.js";

/** The top of the scale: four equal steps of 1, 2, 2.5 or 5 × 10^k, whole numbers only. */
function niceMax(max) {
  const raw = Math.max(1, max) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const steps = power >= 10 ? [1, 2, 2.5, 5, 10] : [1, 2, 5, 10];
  const step = Math.max(1, steps.find((m) => raw <= m * power) * power);
  return step * 4;
}

function legend(series) {
  return h(
    "ul",
    { class: "legend" },
    series.map((item, i) =>
      h("li", {}, h("span", { class: `swatch series-${i % 6}` }), item.label),
    ),
  );
}

function shorten(label, max) {
  const text = String(label);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Grouped vertical bars.
 * categories: ["label", …]; series: [{label, values: [n, …]}, …]
 */
export function barChart({ label, categories, series }) {
  const width = 640;
  const height = 260;
  const pad = { top: 16, right: 12, bottom: 44, left: 48 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((item) => item.values.map((v) => v || 0))));
  const y = (value) => pad.top + plotH - (plotH * (value || 0)) / max;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label,
  });
  for (let i = 0; i <= 4; i += 1) {
    const value = (max * i) / 4;
    svg.append(
      s("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "grid" }),
      s("text", { x: pad.left - 6, y: y(value) + 4, class: "tick", "text-anchor": "end" },
        formatNumber(Math.round(value))),
    );
  }
  const groupW = plotW / Math.max(1, categories.length);
  const barW = Math.max(4, Math.min(28, (groupW * 0.8) / Math.max(1, series.length)));
  categories.forEach((category, c) => {
    const x0 = pad.left + groupW * c + (groupW - barW * series.length) / 2;
    series.forEach((item, k) => {
      const value = item.values[c] || 0;
      svg.append(
        s("rect", {
          x: x0 + barW * k, y: y(value), width: barW - 2, height: pad.top + plotH - y(value),
          class: `bar series-${k % 6}`,
        }, s("title", {}, `${category} · ${item.label}: ${formatNumber(value)}`)),
      );
    });
    svg.append(
      s("text", {
        x: pad.left + groupW * c + groupW / 2, y: height - pad.bottom + 16, class: "tick",
        "text-anchor": "middle",
      }, shorten(category, Math.max(3, Math.floor(groupW / 14)))),
    );
  });
  svg.append(s("line", {
    x1: pad.left, x2: width - pad.right, y1: pad.top + plotH, y2: pad.top + plotH, class: "axis",
  }));
  return h("figure", { class: "chart-box" }, svg, legend(series));
}

/** Horizontal bars, one per entry: [{label, value}], with the figure written at the end. */
export function hbarChart({ label, entries }) {
  const width = 640;
  const row = 30;
  const labelW = 150;
  const height = Math.max(row, entries.length * row) + 8;
  const max = niceMax(Math.max(0, ...entries.map((e) => e.value || 0)));
  const plotW = width - labelW - 70;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label,
  });
  entries.forEach((entry, i) => {
    const yTop = 4 + i * row;
    const w = (plotW * (entry.value || 0)) / max;
    svg.append(
      s("text", { x: labelW - 8, y: yTop + 19, class: "tick", "text-anchor": "end" },
        shorten(entry.label, 10)),
      s("rect", { x: labelW, y: yTop + 4, width: Math.max(1, w), height: row - 10,
        class: `bar series-${i % 6}` }, s("title", {}, `${entry.label}: ${formatNumber(entry.value)}`)),
      s("text", { x: labelW + w + 6, y: yTop + 19, class: "value" }, formatNumber(entry.value)),
    );
  });
  return h("figure", { class: "chart-box" }, svg);
}

/** A donut of parts [{label, value}] with the total in the middle. */
export function donutChart({ label, parts, totalLabel }) {
  const size = 200;
  const r = 70;
  const stroke = 28;
  const c = 2 * Math.PI * r;
  const total = parts.reduce((sum, p) => sum + (p.value || 0), 0);
  const svg = s("svg", {
    viewBox: `0 0 ${size} ${size}`, class: "chart donut", role: "img", "aria-label": label,
  });
  svg.append(s("circle", { cx: size / 2, cy: size / 2, r, class: "donut-track", "stroke-width": stroke, fill: "none" }));
  let offset = 0;
  parts.forEach((part, i) => {
    if (!part.value) return;
    const length = (c * part.value) / total;
    svg.append(s("circle", {
      cx: size / 2, cy: size / 2, r, fill: "none", "stroke-width": stroke,
      class: `slice series-${i % 6}`,
      "stroke-dasharray": `${length} ${c - length}`,
      "stroke-dashoffset": -offset,
      transform: `rotate(-90 ${size / 2} ${size / 2})`,
    }, s("title", {}, `${part.label}: ${formatNumber(part.value)}`)));
    offset += length;
  });
  svg.append(
    s("text", { x: size / 2, y: size / 2 + 2, class: "donut-total", "text-anchor": "middle" }, formatNumber(total)),
    s("text", { x: size / 2, y: size / 2 + 22, class: "tick", "text-anchor": "middle" }, totalLabel || ""),
  );
  return h("figure", { class: "chart-box donut-box" }, svg,
    legend(parts.map((p) => ({ label: `${p.label} ${formatNumber(p.value)}` }))));
}
