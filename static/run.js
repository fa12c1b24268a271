// The run page's live part: one EventSource, uPlot charts (static/charts.js), and htmx refreshes of
// server-rendered blocks.
// Points arrive as SSE "point" events whose id is the step; the browser resends the last id when it
// reconnects, and the server replays from there, so this file only has to drop steps it already has.
// What it must know of the server's contract (the statuses that end a run, the scalar series and their
// keys, the clock's key, the palette) it reads from the page's #run-live blob (app/views/charts.py).
(function () {
  "use strict";
  const root = document.getElementById("run");
  if (!root) return;
  const runId = root.dataset.run;
  const LIVE = JSON.parse(document.getElementById("run-live").textContent);

  const steps = [];          // x values, one per received step
  const values = {};         // key -> array aligned with steps (null where absent)
  const base = {};           // key -> the base model's level: its value at the first point (step 0)
  const state = {points: 0, lastStep: -1, drawnStep: -1, status: null, reconnects: 0};
  window.forgetlab = state;  // read by the browser test and the latency benchmark

  const pct = window.forgetlabCharts.pct;

  function column(key) {
    if (key.startsWith("base:")) {  // a flat line at the base level, as long as the curve
      const b = base[key.slice(5)];
      return steps.map(function () { return b == null ? null : b; });
    }
    if (!values[key]) values[key] = new Array(steps.length).fill(null);
    return values[key];
  }

  const FC = window.forgetlabCharts;
  const charts = [];
  // The capability and task charts show one measure at a time (FC.MEASURES: accuracy or answer NLL).
  let view = "accuracy";
  state.view = view;
  function measureSpec(chart) {
    const m = FC.MEASURES[view];
    return Object.assign({}, chart.base, {kind: m.kind, yLabel: m.yLabel,
                                          ariaLabel: chart.title + ": " + m.says + " by training step, now and the base model (dashed)"});
  }
  document.querySelectorAll("figure.chart").forEach(function (fig) {
    const kind = fig.dataset.kind;
    const title = fig.querySelector("figcaption b").textContent;
    let keys, lines, chart;
    if (kind === "accuracy") {
      const color = LIVE.palette[+fig.dataset.color % LIVE.palette.length];
      lines = [{label: "now", color: color, fill: color + "14"}, FC.baseLine()];
      const measured = {title: title, base: {height: 130, legend: false, lines: lines},
                        measures: {accuracy: fig.dataset.key, nll: fig.dataset.nllKey}};
      chart = FC.line(fig.querySelector(".plot"), measureSpec(measured));
      Object.assign(chart, measured);
      keys = [fig.dataset.key, "base:" + fig.dataset.key];
    } else {
      const series = LIVE.series[fig.dataset.series];
      keys = series.map(function (s) { return s.key; });
      lines = series.map(function (s) { return {label: s.label, color: s.color}; });
      chart = FC.line(fig.querySelector(".plot"), {kind: kind, height: 170, legend: true, lines: lines});
    }
    chart.keys = keys;
    charts.push(chart);
    FC.addDownloads(fig, "forgetlab-run-" + runId + "-" + title.replace(/[^a-z0-9]+/gi, "-").toLowerCase(),
                    function () {
                      const m = !chart.measures ? "" : view === "nll" ? " answer NLL (nats/token)" : " accuracy";
                      return FC.toSVG(chart, "Run " + runId + ": " + title + m);
                    });
  });

  // The accuracy / answer NLL switch: redraws those charts from the values already received; points that
  // arrive later carry both measures, so live updates go on in either view.
  function setView(next) {
    if (!FC.MEASURES[next] || next === view) return;
    view = next;
    state.view = view;
    charts.forEach(function (c) {
      if (!c.measures) return;
      const key = c.measures[view];
      c.keys = [key, "base:" + key];
      FC.respec(c, measureSpec(c));
    });
    draw();
  }

  function nats(v) { return v == null ? "–" : v.toFixed(2); }

  let pending = false;
  function draw() {
    pending = false;
    charts.forEach(function (c) {
      c.u.setData([steps.slice()].concat(c.keys.map(function (k) { return column(k).slice(); })));
    });
    document.querySelectorAll("[data-now]").forEach(function (el) {
      const nll = view === "nll" && el.dataset.nowNll, key = nll ? el.dataset.nowNll : el.dataset.now;
      const col = column(key), b = base[key], fmt = nll ? nats : pct;
      el.textContent = fmt(col[col.length - 1]) + (b != null ? " (base " + fmt(b) + ")" : "");
    });
    const noNll = document.getElementById("nll-none");  // a run from before the lab stored NLL
    if (noNll) {
      noNll.hidden = !(view === "nll" && steps.length && !charts.some(function (c) {
        return c.measures && column(c.measures.nll).some(function (v) { return v != null; });
      }));
    }
    const total = +root.dataset.total || 1, step = Math.max(0, state.lastStep);
    const bar = document.getElementById("progress-bar"), text = document.getElementById("progress-text");
    if (bar) bar.value = Math.min(total, step);
    if (text) text.textContent = "step " + step + " / " + total + pace(step, total);
    state.drawnStep = state.lastStep;
    if (state.lastStep > 0 && !state.firstTrainedAt) state.firstTrainedAt = Date.now();  // for bench/first_point.py
  }

  // Steps per second over the trained points so far (the wall clock of the run, evaluations included),
  // and the time left at that pace: a real model on a CPU takes minutes, and the page says how many.
  function pace(step, total) {
    const secs = column(LIVE.clock), first = steps.indexOf(5) >= 0 ? steps.indexOf(5) : 1;
    const i = secs.length - 1;
    if (i <= first || secs[i] == null || secs[first] == null || step >= total) return "";
    const rate = (steps[i] - steps[first]) / (secs[i] - secs[first]);
    if (!(rate > 0)) return "";
    const left = (total - step) / rate;
    const eta = left < 90 ? Math.round(left) + " s" : Math.round(left / 60) + " min";
    return " · " + (rate >= 1 ? rate.toFixed(1) : rate.toFixed(2)) + " steps/s · about " + eta + " left";
  }

  function addPoint(p) {
    if (p.step <= state.lastStep) return;  // already have it (never happens if the server is right)
    steps.push(p.step);
    Object.keys(values).forEach(function (k) { values[k].push(null); });
    Object.keys(p.values).forEach(function (k) {
      const col = column(k);
      col[col.length - 1] = p.values[k];
      if (!(k in base)) base[k] = p.values[k];
    });
    state.points += 1;
    state.lastStep = p.step;
    if (p.step > 0 && !state.firstTrainedReceivedAt) state.firstTrainedReceivedAt = Date.now();
    if (!pending) { pending = true; requestAnimationFrame(draw); }
  }

  FC.onMeasure(setView);

  const source = new EventSource("/api/runs/" + runId + "/events");
  source.addEventListener("point", function (e) { addPoint(JSON.parse(e.data)); });
  source.addEventListener("samples", function () { htmx.trigger(document.body, "samples-changed"); });
  source.addEventListener("status", function (e) {
    const s = JSON.parse(e.data);
    const header = document.getElementById("run-header");
    const shown = header ? header.dataset.status : null;  // what the server rendered, maybe a moment ago
    const changed = shown !== s.status;
    state.status = s.status;
    if (changed) htmx.trigger(document.body, "run-status");
    if (LIVE.terminal.indexOf(s.status) >= 0) {
      source.close();
      if (changed || !document.getElementById("summary-headline")) {
        htmx.trigger(document.body, "run-ended");
        // Once per status: a second refresh of the header while the first is in flight would abort it.
        if (!changed) htmx.trigger(document.body, "run-status");
      }
    }
  });
  source.addEventListener("end", function () { source.close(); });
  source.addEventListener("error", function () { state.reconnects += 1; });
})();
