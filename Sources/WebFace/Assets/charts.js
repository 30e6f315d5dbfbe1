// Bar charts drawn as SVG from a few numbers: no chart library to download or vendor. Each chart carries a text
// summary for screen readers and a <title> per bar for pointer users; colours come from the stylesheet.
import { el } from "./common.js";

/**
 * Draws `bars` ([{label, value, series?}]) into `container`; `format` writes a value for people.
 * Bars of several series (e.g. revenue and upstream cost) stand side by side within a label.
 */
export function barChart(container, bars, { format = String, summary = "", series = [] } = {}) {
  container.replaceChildren();
  if (bars.length === 0) {
    container.append(el("p", { class: "hint" }, "Nothing to show yet."));
    return;
  }
  const labels = [...new Set(bars.map((bar) => bar.label))];
  const names = series.length > 0 ? series : [null];
  const width = Math.max(320, labels.length * (names.length * 18 + 16) + 60);
  const height = 180;
  const top = 12;
  const bottom = 40;
  const left = 56;
  const max = Math.max(...bars.map((bar) => bar.value), 1);
  const plot = height - top - bottom;
  const slot = (width - left - 8) / labels.length;
  const barWidth = Math.min(28, (slot - 8) / names.length);
  // Drawn at its natural size (never stretched: a chart of one day stays small), scaled down on narrow screens.
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": summary,
    class: "bars",
    preserveAspectRatio: "xMinYMin meet",
  });
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plot - fraction * plot;
    svg.append(el("line", { svg: true, x1: left, x2: width - 4, y1: y, y2: y, class: "grid" }));
    svg.append(el("text", { svg: true, x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, format(max * fraction)));
  }
  labels.forEach((label, index) => {
    const x0 = left + index * slot + 4;
    names.forEach((name, position) => {
      const bar = bars.find((candidate) => candidate.label === label && (candidate.series ?? null) === name);
      if (!bar) return;
      const h = (bar.value / max) * plot;
      const rect = el("rect", {
        svg: true,
        x: x0 + position * barWidth,
        y: top + plot - h,
        width: Math.max(barWidth - 2, 1),
        height: Math.max(h, 0.5),
        class: `bar series-${position}`,
      });
      rect.append(el("title", { svg: true }, `${label}${name ? ` · ${name}` : ""}: ${format(bar.value)}`));
      svg.append(rect);
    });
    svg.append(el("text", { svg: true, x: x0 + (names.length * barWidth) / 2, y: height - bottom + 16, class: "axis", "text-anchor": "middle" }, label));
  });
  container.append(svg);
  if (series.length > 1) {
    container.append(el("p", { class: "legend" }, ...series.map((name, position) => el("span", { class: `key series-${position}` }, name))));
  }
}
