// Charts shared by the run page and the comparison page: uPlot line charts with the lab's look, and a
// PNG / SVG download for any chart. The SVG is written from the chart's own data and scales (not a
// screenshot of the canvas), and the PNG is that same SVG rasterised, so the two files always agree.
(function () {
  "use strict";
  const AXIS = {stroke: "#6b7280", grid: {stroke: "#eef0f3"}, ticks: {show: false}};
  const charts = [];

  // One rounding rule with the server's pages (app/views/percent.py): v * 100 rounded half away from zero, by
  // the same expression over the same doubles, so 0.125 is 13% in a chart and in the summary beside it.
  function percent(v) { const whole = Math.floor(Math.abs(v) * 100 + 0.5); return v < 0 ? -whole : whole; }
  function pct(v) { return v == null ? "–" : percent(v) + "%"; }
  function pctAxis(u, vals) { return vals.map(function (v) { return percent(v) + "%"; }); }
  function stepAxis(u, vals) { return vals.map(function (v) { return String(Math.round(v)); }); }
  const STEP_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000];
  // One point at step 0 still gets an axis: at least steps 0 to 1, never fractional ends.
  function stepRange(u, min, max) { return [Math.floor(min || 0), Math.max(Math.ceil(max || 0), Math.floor(min || 0) + 1)]; }
  // The plot's own width: the chart follows its box (grid cell, phone screen), never the other way round.
  function width(plot) { return Math.max(120, Math.floor(plot.clientWidth || plot.parentNode.clientWidth || 300)); }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }

  // Measures drawn on their own scale (no 0-100% axis): loss, and answer NLL in nats per token.
  function unscaled(kind) { return kind === "loss" || kind === "nll"; }
  function numAxis(u, vals) { return vals.map(function (v) { return String(+v.toFixed(3)); }); }
  // NLL: the data's own span with a margin, never below zero; an axis before any point.
  function nllRange(u, min, max) {
    if (min == null || max == null) return [0, 1];
    const pad = (max - min) * 0.15 || Math.abs(max) * 0.1 || 0.1;
    return [Math.max(0, min - pad), max + pad];
  }

  // spec: {kind: "accuracy" | "nll" | "rates" | "loss" | "alpha", height, legend, yLabel, ariaLabel,
  //        lines: [{label, color, width, dash, fill, legend}],  (legend: false keeps a line out of the legend)
  //        bands: [{upper, lower, color}]}  (the area between two lines, by index: a spread around a mean)
  function make(plot, spec) {
    const scaled = !unscaled(spec.kind);
    // A line needs two points: until a series has them (the base model's step 0 alone), draw its points.
    function sparse(u, i) { return !!spec.lines[i - 1].points || (u.data[0] || []).length < 3; }
    const series = [{label: spec.kind === "alpha" ? "share" : "step"}].concat(spec.lines.map(function (l) {
      return {label: l.label, stroke: l.color, width: l.width || 2, dash: l.dash, fill: l.fill,
              points: {show: sparse, size: 6}, spanGaps: true};
    }));
    const steps = spec.kind !== "alpha";
    const yAxis = Object.assign({size: 44, values: scaled ? pctAxis : spec.kind === "nll" ? numAxis : undefined}, AXIS);
    if (spec.yLabel) Object.assign(yAxis, {label: spec.yLabel, labelSize: 16, labelFont: "11px system-ui, sans-serif"});
    if (spec.kind === "nll") yAxis.space = 18;  // small charts: more than one tick to read the level by
    const opts = {
      width: width(plot), height: spec.height || 130,
      legend: {show: !!spec.legend, live: false}, cursor: {show: true, points: {show: false}},
      scales: {x: {time: false, range: steps ? stepRange : [0, 1]},
               y: scaled ? {range: [0, 1]} : spec.kind === "nll" ? {range: nllRange} : {}},
      // Steps are whole numbers: ticks only at integers, labelled without decimals.
      axes: [Object.assign({size: 24, label: steps ? "step" : "share of fine-tuned weights", labelSize: 14,
                            labelFont: "11px system-ui, sans-serif",
                            incrs: steps ? STEP_INCRS : undefined, values: steps ? stepAxis : pctAxis}, AXIS), yAxis],
      series: series,
      bands: (spec.bands || []).map(function (b) { return {series: [b.upper + 1, b.lower + 1], fill: b.color + "33"}; }),
    };
    // The canvas says nothing to a screen reader: the plot's box names what it shows.
    if (spec.ariaLabel) {
      plot.setAttribute("role", "img");
      plot.setAttribute("aria-label", spec.ariaLabel);
    }
    return new uPlot(opts, [[]].concat(spec.lines.map(function () { return []; })), plot);
  }

  // The base model's level, drawn the same on every chart of every page: one dashed grey line.
  function baseLine() { return {label: "base model", color: "#8a8f98", width: 1.5, dash: [6, 4]}; }

  function line(plot, spec) {
    const chart = {u: make(plot, spec), spec: spec, plot: plot};
    charts.push(chart);
    resized.observe(plot);
    return chart;
  }

  // The same chart redrawn for another measure (accuracy <-> answer NLL): a new uPlot in the same box,
  // empty until the caller sets its data. The chart object stays, so resizing and downloads follow it.
  function respec(chart, spec) {
    chart.u.destroy();
    chart.spec = spec;
    chart.u = make(chart.plot, spec);
    return chart;
  }

  // Each chart follows its own box: a rotated phone, a narrowed window or a grid that reflows.
  const resized = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      const c = charts.find(function (x) { return x.plot === entry.target; });
      if (c && width(c.plot) !== c.u.width) c.u.setSize({width: width(c.plot), height: c.u.height});
    });
  });

  function niceTicks(min, max, count) {
    if (!(max > min)) return [min];
    const raw = (max - min) / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(function (m) { return m * mag; }).find(function (s) { return s >= raw; });
    const out = [];
    for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) out.push(+v.toFixed(10));
    return out;
  }

  // Text widths as the SVG will draw them (same font), so a legend can be laid out before it is drawn.
  const measure = document.createElement("canvas").getContext("2d");
  function textWidth(text, font) { measure.font = font; return measure.measureText(text).width; }
  // The text cut (with an ellipsis) to at most `room` pixels wide.
  function fit(text, room, font) {
    if (textWidth(text, font) <= room) return text;
    let cut = text;
    while (cut && textWidth(cut + "…", font) > room) cut = cut.slice(0, -1);
    return cut + "…";
  }
  const LEGEND_FONT = "11px system-ui, sans-serif", TITLE_FONT = "600 14px system-ui, sans-serif";

  // The legend's entries placed left to right, a new row when the next would not fit the width: each
  // {x, row, text} (an entry wider than a whole row is cut, its full label kept as the entry's <title>).
  function legendLayout(labels, W) {
    const SWATCH = 22, GAP = 16, room = W - 16;
    let x = 8, row = 0;
    return labels.map(function (label) {
      const text = fit(label, room - SWATCH, LEGEND_FONT), w = SWATCH + textWidth(text, LEGEND_FONT);
      if (x > 8 && x + w > W - 8) { x = 8; row += 1; }
      const at = {x: x, row: row, text: text, full: label};
      x += w + GAP;
      return at;
    });
  }

  // The chart as standalone SVG: title, grid, axes, every visible line, and a legend that wraps to the
  // width: no entry overlaps another or runs off the image (the PNG is this same SVG).
  function toSVG(chart, title) {
    const u = chart.u, spec = chart.spec, r = uPlot.pxRatio;
    const L = u.bbox.left / r, T = 30 + u.bbox.top / r, PW = u.bbox.width / r, PH = u.bbox.height / r, W = u.width;
    const shown = spec.lines.filter(function (l) { return l.legend !== false; });
    const legend = legendLayout(shown.map(function (l) { return l.label; }), W);
    const legendRows = legend.length ? legend[legend.length - 1].row + 1 : 0, H = Math.ceil(T + PH + 34 + legendRows * 18);
    const font = 'font-family="system-ui, sans-serif" font-size="11" fill="#4b5563"';
    title = fit(title, W - 16, TITLE_FONT);
    const x = function (v) { return (L + u.valToPos(v, "x")).toFixed(1); };
    const y = function (v) { return (T + u.valToPos(v, "y")).toFixed(1); };
    const ys = unscaled(spec.kind) ? niceTicks(u.scales.y.min, u.scales.y.max, 4) : [0, 0.25, 0.5, 0.75, 1];
    const xs = spec.kind === "alpha" ? [0, 0.25, 0.5, 0.75, 1] : niceTicks(u.scales.x.min, u.scales.x.max, 5);
    const out = ['<svg xmlns="http://www.w3.org/2000/svg" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H + '">',
                 '<rect width="100%" height="100%" fill="#ffffff"/>',
                 '<text x="8" y="18" font-family="system-ui, sans-serif" font-size="14" font-weight="600" fill="#1f2430">' + esc(title) + "</text>"];
    ys.forEach(function (v) {
      out.push('<line x1="' + L + '" x2="' + (L + PW) + '" y1="' + y(v) + '" y2="' + y(v) + '" stroke="#eef0f3"/>' +
               '<text x="' + (L - 6) + '" y="' + (+y(v) + 4) + '" text-anchor="end" ' + font + ">" +
               (unscaled(spec.kind) ? v : percent(v) + "%") + "</text>");
    });
    if (spec.yLabel) {
      out.push('<text transform="rotate(-90)" x="' + (-(T + PH / 2)).toFixed(1) + '" y="12" text-anchor="middle" ' + font + ">" +
               esc(spec.yLabel) + "</text>");
    }
    xs.forEach(function (v) {
      out.push('<text x="' + x(v) + '" y="' + (T + PH + 16) + '" text-anchor="middle" ' + font + ">" +
               (spec.kind === "alpha" ? percent(v) + "%" : v) + "</text>");
    });
    out.push('<rect x="' + L + '" y="' + T + '" width="' + PW + '" height="' + PH + '" fill="none" stroke="#cfd4dc"/>');
    // Curves stay inside the plot, as on the canvas: an interval may reach past 0% or 100%.
    out.push('<defs><clipPath id="plot-area"><rect x="' + L + '" y="' + T + '" width="' + PW + '" height="' + PH + '"/></clipPath></defs>');
    // Bands first, under the lines: the upper line's points forward, the lower's back.
    (spec.bands || []).forEach(function (b) {
      const xs_ = u.data[0], up = u.data[b.upper + 1] || [], low = u.data[b.lower + 1] || [], pts = [];
      for (let j = 0; j < xs_.length; j++) if (up[j] != null && low[j] != null) pts.push(x(xs_[j]) + "," + y(up[j]));
      for (let j = xs_.length - 1; j >= 0; j--) if (up[j] != null && low[j] != null) pts.push(x(xs_[j]) + "," + y(low[j]));
      if (pts.length) {
        out.push('<polygon class="band" clip-path="url(#plot-area)" points="' + pts.join(" ") + '" fill="' + b.color +
                 '" fill-opacity="0.2" stroke="none"/>');
      }
    });
    let entry = 0;
    spec.lines.forEach(function (l, i) {
      const xs_ = u.data[0], vs = u.data[i + 1] || [];
      const pts = [];
      for (let j = 0; j < xs_.length; j++) if (vs[j] != null) pts.push(x(xs_[j]) + "," + y(vs[j]));
      if (pts.length) {
        out.push('<polyline clip-path="url(#plot-area)" fill="none" stroke="' + l.color + '" stroke-width="' + (l.width || 2) + '" points="' + pts.join(" ") + '"' +
                 (l.dash ? ' stroke-dasharray="' + l.dash.join(" ") + '"' : "") + "/>");
      }
      if (l.legend === false) return;
      const at = legend[entry++], lx = at.x, ly = T + PH + 34 + at.row * 18;
      out.push('<g class="legend-entry">' + (at.text !== at.full ? "<title>" + esc(at.full) + "</title>" : "") +
               '<line x1="' + lx + '" x2="' + (lx + 16) + '" y1="' + (ly - 4) + '" y2="' + (ly - 4) + '" stroke="' + l.color +
               '" stroke-width="3"' + (l.dash ? ' stroke-dasharray="4 2"' : "") + "/>" +
               '<text x="' + (lx + 22) + '" y="' + ly + '" ' + font + ">" + esc(at.text) + "</text></g>");
    });
    out.push("</svg>");
    return out.join("");
  }

  function save(name, blob) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function savePNG(name, svg) {
    const img = new Image(), scale = 2;
    img.onload = function () {
      const canvas = document.createElement("canvas");
      canvas.width = img.width * scale;
      canvas.height = img.height * scale;
      const ctx = canvas.getContext("2d");
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0);
      canvas.toBlob(function (blob) { save(name, blob); }, "image/png");
    };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
  }

  // Two small buttons in the figure's caption; getSVG() returns the chart's SVG text when clicked.
  function addDownloads(figure, base, getSVG) {
    const box = document.createElement("span");
    box.className = "dl";
    [["PNG", function () { savePNG(base + ".png", getSVG()); }],
     ["SVG", function () { save(base + ".svg", new Blob([getSVG()], {type: "image/svg+xml"})); }]].forEach(function (b) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = b[0];
      button.title = "download this chart as " + b[0];
      button.dataset.format = b[0].toLowerCase();
      button.addEventListener("click", b[1]);
      box.appendChild(button);
    });
    figure.querySelector("figcaption").prepend(box);
  }

  // The capability curves show one measure at a time (templates/measure_switch.html): accuracy, or the answer
  // NLL (mean negative log-likelihood of the reference answers, nats per token), which rises before accuracy falls.
  const MEASURES = {
    accuracy: {kind: "accuracy", yLabel: "accuracy", says: "accuracy"},
    nll: {kind: "nll", yLabel: "NLL, nats/token", says: "answer NLL (nats per token; lower is better)"},
  };
  // Calls show(measure) when the switch changes, and at once for a choice the browser restored (back/forward);
  // shows the page's captions of that measure (data-view) and hides the others.
  function onMeasure(show) {
    function choose(measure) {
      document.querySelectorAll("[data-view]").forEach(function (el) { el.hidden = el.dataset.view !== measure; });
      show(measure);
    }
    document.querySelectorAll("input[name=chart-measure]").forEach(function (input) {
      input.addEventListener("change", function () { if (input.checked) choose(input.value); });
      if (input.checked && input.value !== "accuracy") choose(input.value);
    });
  }

  window.forgetlabCharts = {percent: percent, pct: pct, line: line, baseLine: baseLine, respec: respec, toSVG: toSVG,
                            addDownloads: addDownloads, esc: esc, MEASURES: MEASURES, onMeasure: onMeasure};
})();
