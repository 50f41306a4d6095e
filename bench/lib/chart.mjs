/**
 * A hand-written SVG chart of a benchmark run: one log-log panel per job (seconds against the
 * number of links), a line per tool through the medians with min-max whiskers, Node's bare start
 * as a dashed floor line, and one legend for all panels.
 */
import { fmtN } from './stats.mjs';

export const TOOL_STYLE = {
  linkplan: { color: '#c62828', marker: 'circle', dash: '' },
  'linkplan-explicit': { color: '#ef8f00', marker: 'square', dash: '7 4' },
  stow: { color: '#1565c0', marker: 'triangle', dash: '' },
  floor: { color: '#2e7d32', marker: 'diamond', dash: '' },
  node: { color: '#616161', marker: 'none', dash: '4 4' },
};

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function marker(kind, x, y, color) {
  const r = 4.5;
  switch (kind) {
    case 'circle':
      return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${color}"/>`;
    case 'square':
      return `<rect x="${(x - r).toFixed(1)}" y="${(y - r).toFixed(1)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`;
    case 'triangle':
      return `<path d="M${x.toFixed(1)},${(y - r - 1).toFixed(1)} L${(x + r + 1).toFixed(1)},${(y + r).toFixed(1)} L${(x - r - 1).toFixed(1)},${(y + r).toFixed(1)} Z" fill="${color}"/>`;
    case 'diamond':
      return `<path d="M${x.toFixed(1)},${(y - r - 1).toFixed(1)} L${(x + r + 1).toFixed(1)},${y.toFixed(1)} L${x.toFixed(1)},${(y + r + 1).toFixed(1)} L${(x - r - 1).toFixed(1)},${y.toFixed(1)} Z" fill="${color}"/>`;
    default:
      return '';
  }
}

function secondsLabel(v) {
  if (v >= 1) return `${v} s`;
  if (v >= 0.001) return `${+(v * 1000).toPrecision(3)} ms`;
  return `${v} s`;
}

/**
 * panels: [{ title, series: [{ tool, label, points: [{ n, median, min, max }] }] }]
 * nodeStart: seconds of `node -e 0` (a dashed line in every panel), or undefined.
 */
export function renderChart({ title, subtitle, panels, nodeStart, toolLabels }) {
  const W = 1200;
  const cols = 2;
  const rows = Math.ceil(panels.length / cols);
  const top = 112;
  const panelW = 560;
  const panelH = 360;
  const gapX = 40;
  const gapY = 40;
  const m = { l: 78, r: 16, t: 34, b: 52 };
  const H = top + rows * panelH + (rows - 1) * gapY + 16;

  const all = panels.flatMap((p) => p.series.flatMap((s) => s.points));
  const ns = all.map((p) => p.n);
  const ys = all.flatMap((p) => [p.min, p.max]).filter((v) => v > 0 && Number.isFinite(v));
  if (nodeStart !== undefined) ys.push(nodeStart);
  const x0 = Math.floor(Math.log10(Math.min(...ns)));
  const x1 = Math.max(x0 + 1, Math.ceil(Math.log10(Math.max(...ns))));
  const y0 = Math.floor(Math.log10(Math.min(...ys, 0.05)));
  // the top is the first 1, 2 or 5 times a power of ten above the largest value, not a whole decade
  const yMax = Math.max(...ys, 1);
  const p10 = 10 ** Math.floor(Math.log10(yMax));
  const y1 = Math.log10([1, 2, 5, 10].map((k) => k * p10).find((v) => v >= yMax * 1.05) ?? 10 * p10);

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="28" text-anchor="middle" font-size="20" font-weight="bold" fill="#222">${esc(title)}</text>`);
  out.push(`<text x="${W / 2}" y="50" text-anchor="middle" font-size="12.5" fill="#555">${esc(subtitle)}</text>`);

  // legend
  const legend = Object.keys(toolLabels).filter((t) => t === 'node' ? nodeStart !== undefined : panels.some((p) => p.series.some((s) => s.tool === t)));
  // items as wide as their labels (about 7.3 px a character at 13 px), centred as a group
  const widths = legend.map((t) => 62 + toolLabels[t].length * 7.3);
  let cx = Math.max(10, (W - widths.reduce((a, b) => a + b, 0)) / 2);
  legend.forEach((t, i) => {
    const st = TOOL_STYLE[t];
    const cy = 80;
    if (i > 0) cx += widths[i - 1];
    out.push(`<line x1="${cx}" y1="${cy}" x2="${cx + 34}" y2="${cy}" stroke="${st.color}" stroke-width="2.5" stroke-dasharray="${st.dash}"/>`);
    out.push(marker(st.marker, cx + 17, cy, st.color));
    out.push(`<text x="${cx + 42}" y="${cy + 4.5}" font-size="13" fill="#222">${esc(toolLabels[t])}</text>`);
  });

  panels.forEach((panel, pi) => {
    const ox = 20 + (pi % cols) * (panelW + gapX);
    const oy = top + Math.floor(pi / cols) * (panelH + gapY);
    const pw = panelW - m.l - m.r;
    const ph = panelH - m.t - m.b;
    const X = (n) => ox + m.l + ((Math.log10(n) - x0) / (x1 - x0)) * pw;
    const Y = (s) => oy + m.t + ph - ((Math.log10(s) - y0) / (y1 - y0)) * ph;
    out.push(`<g>`);
    out.push(`<rect x="${ox + m.l}" y="${oy + m.t}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#999"/>`);
    out.push(`<text x="${ox + m.l + pw / 2}" y="${oy + 22}" text-anchor="middle" font-size="15" font-weight="bold" fill="#222">${esc(panel.title)}</text>`);
    // y grid: decades labelled, 2 and 5 faint
    for (let d = y0; d <= Math.ceil(y1); d++) {
      for (const k of [1, 2, 5]) {
        const v = k * 10 ** d;
        if (Math.log10(v) > y1 + 1e-9) continue;
        const major = k === 1 || Math.abs(Math.log10(v) - y1) < 1e-9;
        out.push(`<line x1="${ox + m.l}" x2="${ox + m.l + pw}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="${major ? '#ccc' : '#eee'}"/>`);
        if (major) out.push(`<text x="${ox + m.l - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11.5" fill="#333">${secondsLabel(+v.toPrecision(1))}</text>`);
      }
    }
    for (let d = x0; d <= x1; d++) {
      const n = 10 ** d;
      out.push(`<line y1="${oy + m.t}" y2="${oy + m.t + ph}" x1="${X(n).toFixed(1)}" x2="${X(n).toFixed(1)}" stroke="#ddd"/>`);
      out.push(`<text x="${X(n).toFixed(1)}" y="${oy + m.t + ph + 17}" text-anchor="middle" font-size="11.5" fill="#333">${fmtN(n)}</text>`);
    }
    out.push(`<text x="${ox + m.l + pw / 2}" y="${oy + panelH - 10}" text-anchor="middle" font-size="12.5" fill="#333">links (N, log scale)</text>`);
    out.push(
      `<text transform="translate(${ox + 16},${oy + m.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12.5" fill="#333">seconds per run (median, min–max; log)</text>`,
    );
    if (nodeStart !== undefined) {
      const st = TOOL_STYLE.node;
      out.push(`<line x1="${ox + m.l}" x2="${ox + m.l + pw}" y1="${Y(nodeStart).toFixed(1)}" y2="${Y(nodeStart).toFixed(1)}" stroke="${st.color}" stroke-width="1.5" stroke-dasharray="${st.dash}"/>`);
    }
    for (const s of panel.series) {
      const st = TOOL_STYLE[s.tool];
      const pts = s.points.filter((p) => p.median > 0).sort((a, b) => a.n - b.n);
      if (pts.length === 0) continue;
      out.push(
        `<polyline fill="none" stroke="${st.color}" stroke-width="2.2" stroke-dasharray="${st.dash}" points="${pts.map((p) => `${X(p.n).toFixed(1)},${Y(p.median).toFixed(1)}`).join(' ')}"/>`,
      );
      for (const p of pts) {
        if (p.max > p.min) {
          out.push(`<line x1="${X(p.n).toFixed(1)}" x2="${X(p.n).toFixed(1)}" y1="${Y(p.min).toFixed(1)}" y2="${Y(p.max).toFixed(1)}" stroke="${st.color}" stroke-width="1.2"/>`);
        }
        out.push(marker(st.marker, X(p.n), Y(p.median), st.color));
      }
    }
    out.push(`</g>`);
  });
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
