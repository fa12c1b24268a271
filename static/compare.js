// The comparison page: one uPlot chart per capability and for the task, one line per run in the run's
// colour (the server picks it, so tables, charts and the scatter agree), the base level dashed; the
// WiSE-FT curves; a hover label on the scatter; PNG/SVG downloads of every chart.
(function () {
  "use strict";
  const root = document.getElementById("compare");
  if (!root) return;
  const FC = window.forgetlabCharts;
  // Swatches carry their run's colour as data (no inline styles in the markup: the CSP forbids them).
  document.querySelectorAll(".swatch[data-color]").forEach(function (el) { el.style.background = el.dataset.color; });
  const data = JSON.parse(document.getElementById("compare-data").textContent);
  const runs = data.runs;
  const state = {charts: 0};
  window.forgetlabCompare = state;  // read by the browser test

  function slug(s) { return s.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase(); }
  const fileBase = "forgetlab-compare-" + slug(root.dataset.selection) + "-";

  // All runs (or settings) on one x axis: the union of their steps, each null where it has no point.
  function aligned(xsOf, valueOf, items) {
    items = items || runs;
    const xs = Array.from(new Set([].concat.apply([], items.map(xsOf)))).sort(function (a, b) { return a - b; });
    const columns = items.map(function (r) {
      const at = {};
      xsOf(r).forEach(function (x, i) { at[x] = valueOf(r, i); });
      return xs.map(function (x) { return x in at ? at[x] : null; });
    });
    return {xs: xs, columns: columns};
  }

  // Runs that differ only in their seed are one setting (data.groups, app/views/comparison.py): each draws
  // its seeds' mean curve, and a band between the 90% interval's ends, in the setting's colour.
  const groups = data.groups || [];
  state.groups = groups.length;
  const PARTS = ["mean", "hi", "lo"];
  function groupLines() {
    const lines = [], bands = [];
    groups.forEach(function (g) {
      const seedsOf = g.ids.length + " seed" + (g.ids.length !== 1 ? "s" : "");
      lines.push({label: g.label + " (mean of " + seedsOf + ")", color: g.color});
      lines.push({label: g.label + " 90% high", color: g.color, width: 0.5, legend: false});
      lines.push({label: g.label + " 90% low", color: g.color, width: 0.5, legend: false});
      bands.push({upper: lines.length - 2, lower: lines.length - 1, color: g.color});
    });
    return {lines: lines, bands: bands};
  }

  // The curves show one measure at a time (FC.MEASURES); the answer NLL's curves come apart (data.nll), and a
  // run from before the lab stored NLL has none and draws no NLL line.
  const nll = data.nll || {curves: {}, base: {}};
  let view = "accuracy";
  state.view = view;
  const cmpCharts = [];

  function curveOf(r) { return view === "nll" ? nll.curves[r.id] : r.curve; }
  function groupCurveOf(g) { return view === "nll" ? (nll.groups || [])[g.index] : g.curve; }
  function fill(fig, chart) {
    const key = view === "nll" ? fig.dataset.nllKey : fig.dataset.key;
    const a = groups.length ? groupColumns(key) : aligned(function (r) { const c = curveOf(r); return c ? c.steps : []; },
                      function (r, i) { const v = curveOf(r)[key]; return v ? v[i] : null; });
    const base = (view === "nll" ? nll.base : data.base)[key];
    chart.u.setData([a.xs].concat(a.columns, [a.xs.map(function () { return base == null ? null : base; })]));
    return a.columns.some(function (col) { return col.some(function (v) { return v != null; }); });
  }
  // A setting's mean, high and low columns, in groupLines' order.
  function groupColumns(key) {
    const parts = [];
    groups.forEach(function (g) { PARTS.forEach(function (part) { parts.push({g: g, part: part}); }); });
    return aligned(function (p) { const c = groupCurveOf(p.g); return c ? c.steps : []; },
                   function (p, i) { const v = groupCurveOf(p.g)[key]; return v ? v[p.part][i] : null; }, parts);
  }
  function specOf(fig, lines, bands) {
    const m = FC.MEASURES[view];
    const what = groups.length ? "one line per setting, its seeds' mean, in a band of their 90% interval" : "one line per run";
    return {kind: m.kind, height: 150, lines: lines, bands: bands, yLabel: m.yLabel,
            ariaLabel: fig.dataset.title + ": " + m.says + " by training step, " + what + "; dashed, the base model"};
  }

  document.querySelectorAll("figure.cmp").forEach(function (fig) {
    let lines, bands = [];
    if (groups.length) {
      const made = groupLines();
      lines = made.lines;
      bands = made.bands;
    } else {
      lines = runs.map(function (r) { return {label: "run " + r.id + (r.label !== "run " + r.id ? " " + r.label : ""), color: r.color}; });
    }
    lines.push(FC.baseLine());
    const chart = FC.line(fig.querySelector(".plot"), specOf(fig, lines, bands));
    fill(fig, chart);
    cmpCharts.push({fig: fig, chart: chart, lines: lines, bands: bands});
    FC.addDownloads(fig, fileBase + fig.dataset.name, function () {
      return FC.toSVG(chart, fig.dataset.title + (view === "nll" ? " answer NLL (nats/token)" : " accuracy"));
    });
    state.charts += 1;
  });

  FC.onMeasure(function (next) {
    if (!FC.MEASURES[next] || next === view) return;
    view = next;
    state.view = view;
    let any = false;
    cmpCharts.forEach(function (c) {
      FC.respec(c.chart, specOf(c.fig, c.lines, c.bands));
      any = fill(c.fig, c.chart) || any;
    });
    document.getElementById("nll-none").hidden = view !== "nll" || any;
  });

  const wise = document.querySelector("figure.wise .plot");
  if (wise) {
    const withWise = runs.filter(function (r) { return r.wise_ft.length; });
    const alphas = Array.from(new Set([].concat.apply([], withWise.map(function (r) {
      return r.wise_ft.map(function (p) { return p.alpha; });
    })))).sort(function (a, b) { return a - b; });
    const lines = [], columns = [];
    withWise.forEach(function (r) {
      const at = {};
      r.wise_ft.forEach(function (p) { at[p.alpha] = p; });
      lines.push({label: "run " + r.id + " task", color: r.color, points: true});
      columns.push(alphas.map(function (x) { return at[x] ? at[x].task : null; }));
      lines.push({label: "run " + r.id + " general", color: r.color, dash: [6, 4], points: true});
      columns.push(alphas.map(function (x) { return at[x] ? at[x].general : null; }));
    });
    // No legend under it: the colours are the runs' (legend above), solid is the task, dashed general skills.
    const chart = FC.line(wise, {kind: "alpha", height: 260, lines: lines});
    chart.u.setData([alphas].concat(columns));
    const fig = wise.closest("figure");
    FC.addDownloads(fig, fileBase + "wise-ft", function () { return FC.toSVG(chart, fig.dataset.title); });
    state.charts += 1;
  }

  // The scatter is server-rendered SVG: download it as is; show each point's settings on hover.
  const scatterFig = document.querySelector("figure.svgfig");
  const svg = scatterFig.querySelector("svg");
  FC.addDownloads(scatterFig, fileBase + scatterFig.dataset.name, function () {
    return new XMLSerializer().serializeToString(svg);
  });
  const tip = document.createElement("div");
  tip.className = "tip";
  tip.hidden = true;
  document.body.appendChild(tip);
  svg.querySelectorAll(".pt").forEach(function (pt) {
    const text = pt.querySelector("title").textContent;
    pt.addEventListener("mousemove", function (e) {
      tip.textContent = text;
      tip.hidden = false;
      // Beside the pointer, but always whole inside the window: flipped left or up near an edge.
      const w = tip.offsetWidth, h = tip.offsetHeight, vw = document.documentElement.clientWidth;
      let x = e.clientX + 14, y = e.clientY + 10;
      if (x + w > vw - 4) x = Math.max(4, e.clientX - 14 - w);
      if (y + h > window.innerHeight - 4) y = Math.max(4, e.clientY - 10 - h);
      tip.style.left = x + "px";
      tip.style.top = y + "px";
    });
    pt.addEventListener("mouseleave", function () { tip.hidden = true; });
  });
  state.ready = true;
})();
