// Line charts drawn as inline SVG, no library.
"use strict";

// lineChart returns an <svg class="chart"> of points ([{t, v}], t in Unix
// ms). The newest value is in data-last and the number of points in
// data-points, so that a test can read what the chart shows.
function lineChart(points, opts) {
  const NS = "http://www.w3.org/2000/svg";
  const W = opts.width || 720, H = opts.height || 200, L = 56, R = 12, T = 12, B = 26;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", opts.label || "chart");
  if (opts.id) svg.id = opts.id;
  svg.dataset.points = String(points.length);
  const add = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  if (points.length === 0) {
    add("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no samples yet");
    return svg;
  }
  const last = points[points.length - 1].v;
  svg.dataset.last = String(last);
  const t0 = points[0].t, t1 = Math.max(points[points.length - 1].t, t0 + 1);
  let vmax = 0;
  for (const p of points) vmax = Math.max(vmax, p.v);
  vmax = vmax <= 0 ? 1 : vmax * 1.1;
  const x = t => L + (W - L - R) * (t - t0) / (t1 - t0);
  const y = v => T + (H - T - B) * (1 - v / vmax);
  for (let i = 0; i <= 4; i++) {
    const v = vmax * i / 4;
    add("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) });
    add("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, fmtNum(v));
  }
  add("text", { x: L, y: H - 6 }, new Date(t0).toLocaleTimeString());
  add("text", { x: W - R, y: H - 6, "text-anchor": "end" }, new Date(t1).toLocaleTimeString());
  const xy = points.map(p => x(p.t).toFixed(1) + "," + y(p.v).toFixed(1));
  if (points.length > 1) {
    add("polygon", { class: "area", points: x(t0) + "," + y(0) + " " + xy.join(" ") + " " + x(points[points.length - 1].t) + "," + y(0) });
  }
  add("polyline", { class: "line", points: xy.join(" ") });
  const lx = x(points[points.length - 1].t), ly = y(last);
  add("circle", { class: "dot", cx: lx, cy: ly, r: 3.5 });
  add("text", { class: "last", x: Math.min(lx, W - R - 4), y: Math.max(ly - 8, T + 10), "text-anchor": "end" },
    fmtNum(last) + (opts.unit ? " " + opts.unit : ""));
  return svg;
}

function fmtNum(v) {
  if (Math.abs(v) >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString("en-US");
  return v.toFixed(2);
}
