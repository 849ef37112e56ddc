// report.js draws a throng report, or the live dashboard, from the data in
// window.THRONG_REPORT (see outputs/report/data.go for its shape). The
// report is this page with the final data; the dashboard is the same page
// with live set, kept current by server-sent events. Everything is built
// with textContent, never innerHTML: names, URLs and error texts come
// from the script under test.
(function () {
  'use strict';

  var data = window.THRONG_REPORT;
  // For tests and for people poking at a report in the console.
  var status = (window.throngStatus = { ready: false, updates: 0, done: false, charts: {} });
  var charts = (window.throngCharts = {});

  // ---- formatting ----

  function num(v, digits) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    return Number(v).toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 2 : digits });
  }
  function ms(v) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    if (v >= 1000) return num(v / 1000, 2) + ' s';
    if (v >= 1) return num(v, 2) + ' ms';
    return num(v * 1000, 0) + ' µs';
  }
  function bytes(v) {
    if (v === null || v === undefined || isNaN(v)) return '–';
    var units = ['B', 'kB', 'MB', 'GB', 'TB'];
    var i = 0;
    while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return num(v, i ? 1 : 0) + ' ' + units[i];
  }
  function pct(v) { return isNaN(v) ? '–' : num(v * 100, 2) + '%'; }
  function duration(msTotal) {
    var s = Math.round(msTotal / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    s = s % 60;
    return (h ? h + 'h' : '') + (h || m ? m + 'm' : '') + s + 's';
  }
  function byContains(contains) {
    if (contains === 'time') return ms;
    if (contains === 'data') return bytes;
    return function (v) { return num(v); };
  }

  // ---- DOM ----

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') e.textContent = attrs[k];
        else if (k === 'class') e.className = attrs[k];
        else e.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }
  function section(id, title, children) {
    return el('section', { id: id }, [el('h2', { text: title })].concat(children));
  }
  function table(headers, rows, numeric) {
    var head = el('tr', null, headers.map(function (h, i) {
      return el('th', { text: h, class: numeric && numeric[i] ? 'num' : '' });
    }));
    var body = rows.map(function (r) {
      return el('tr', r.cls ? { class: r.cls } : null, r.cells.map(function (c, i) {
        return el('td', { text: c, class: numeric && numeric[i] ? 'num' : '' });
      }));
    });
    return el('table', null, [el('thead', null, [head]), el('tbody', null, body)]);
  }
  function note(text) { return el('p', { class: 'note', text: text }); }

  // ---- the verdict ----

  function thresholds() {
    var out = [];
    var s = data.summary && data.summary.data;
    if (!s) return out;
    Object.keys(s.metrics).sort().forEach(function (name) {
      var m = s.metrics[name];
      Object.keys(m.thresholds || {}).sort().forEach(function (expr) {
        var t = m.thresholds[expr];
        out.push({ metric: name, expr: expr, ok: t.ok, value: t.value, contains: m.contains, type: m.type, agg: expr.split(/[<>=!]/)[0].trim() });
      });
    });
    return out;
  }

  function thresholdValue(t) {
    if (t.value === null || t.value === undefined) return '(no data)';
    if (t.type === 'rate' || (t.agg === 'rate' && t.type !== 'counter')) return pct(t.value);
    if (t.agg === 'count' || t.agg === 'rate') return num(t.value);
    return byContains(t.contains)(t.value);
  }

  function verdict() {
    if (data.live && !data.done) return { cls: 'running', text: 'running' };
    var ts = thresholds();
    if (!data.summary) return { cls: 'none', text: 'no summary' };
    if (!ts.length) return { cls: 'none', text: 'no thresholds' };
    var failed = ts.filter(function (t) { return !t.ok; }).length;
    return failed ? { cls: 'failed', text: '✗ ' + failed + ' of ' + ts.length + ' thresholds failed' }
      : { cls: 'passed', text: '✓ all ' + ts.length + ' thresholds passed' };
  }

  function header() {
    var v = verdict();
    var t = data.totals;
    var bits = [data.meta.generator];
    if (t.start) bits.push(new Date(t.start).toLocaleString() + ' → ' + new Date(t.end).toLocaleString());
    var runMs = data.summary ? data.summary.data.state.testRunDurationMs : t.end - t.start;
    if (runMs > 0) bits.push(duration(runMs));
    var links = [];
    if (data.live) {
      links.push(el('a', { id: 'report-link', href: status.reportURL || 'report', download: 'throng-report.html', text: data.done ? 'Download the report' : 'Report so far' }));
    }
    return el('header', null, [
      el('div', null, [el('h1', { text: data.meta.title || 'throng' }), el('p', { class: 'sub', text: bits.join(' · ') })].concat(links)),
      el('div', { id: 'verdict', class: 'verdict ' + v.cls, text: v.text }),
    ]);
  }

  function thresholdSection() {
    var ts = thresholds();
    if (!data.summary) return section('thresholds', 'Thresholds', [note('The verdict comes with the summary at the end of the run.')]);
    if (!ts.length) return section('thresholds', 'Thresholds', [note('The script sets no thresholds.')]);
    return section('thresholds', 'Thresholds', [table(['', 'metric', 'threshold', 'value'], ts.map(function (t) {
      return { cls: t.ok ? 'ok' : 'ko', cells: [t.ok ? '✓' : '✗', t.metric, t.expr, thresholdValue(t)] };
    }))]);
  }

  function numbers() {
    var t = data.totals;
    var runS = (data.summary ? data.summary.data.state.testRunDurationMs : t.end - t.start) / 1000;
    var cards = [
      ['requests', num(t.reqs, 0), runS > 0 ? num(t.reqs / runS, 1) + '/s' : ''],
      ['failed', pct(t.reqs ? t.failed / t.reqs : 0), num(t.failed, 0) + ' requests'],
      ['p95 response time', ms(t.duration.count ? t.duration.p95 : NaN), 'p99 ' + ms(t.duration.count ? t.duration.p99 : NaN)],
      ['iterations', num(t.iters, 0), t.dropped ? num(t.dropped, 0) + ' dropped' : ''],
      ['VUs', num(t.vus, 0), 'max ' + num(t.vusMax, 0)],
      ['checks', pct(t.checksOK + t.checksKO ? t.checksOK / (t.checksOK + t.checksKO) : NaN), num(t.checksKO, 0) + ' failed'],
      ['data received', bytes(t.received), 'sent ' + bytes(t.sent)],
      ['throng RSS peak', t.rss ? bytes(t.rss) : '–', 'Go heap ' + (t.heap ? bytes(t.heap) : '–')],
    ];
    return el('section', { id: 'numbers' }, cards.map(function (c) {
      return el('div', { class: 'card' }, [el('div', { class: 'label', text: c[0] }), el('div', { class: 'value', text: c[1] }), el('div', { class: 'sub', text: c[2] })]);
    }));
  }

  // ---- charts ----

  var palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#9333ea', '#0d9488'];

  function perSecond(col) {
    var w = data.series.width;
    return col.map(function (v) { return v === null ? null : v / w; });
  }
  function statusColor(code, i) {
    if (/^2/.test(code)) return ['#16a34a', '#65a30d', '#0d9488'][i % 3];
    if (/^3/.test(code)) return ['#2563eb', '#0891b2'][i % 2];
    if (/^4/.test(code)) return ['#d97706', '#ca8a04', '#9333ea'][i % 3];
    return ['#dc2626', '#db2777', '#7c3aed'][i % 3];
  }

  // chartSpecs lists each chart's lines: [label, values, colour, scale].
  function chartSpecs() {
    var s = data.series;
    var codes = Object.keys(s.status).sort();
    return [
      { id: 'chart-requests', title: 'Request rate', fmt: function (v) { return num(v, 1) + '/s'; },
        lines: [['requests/s', perSecond(s.reqs), palette[0]], ['failed/s', perSecond(s.failed), palette[1]]] },
      { id: 'chart-latency', title: 'Response time (http_req_duration)', fmt: ms,
        lines: [['p50', s.p50, palette[2]], ['p90', s.p90, palette[0]], ['p95', s.p95, palette[3]], ['p99', s.p99, palette[1]]] },
      { id: 'chart-errors', title: 'Errors and status codes', fmt: function (v) { return num(v, 1) + '/s'; },
        lines: [['errors/s', perSecond(s.failed), '#b91c1c']].concat(codes.map(function (c, i) {
          return [c + '/s', perSecond(s.status[c]), statusColor(c, i)];
        })) },
      { id: 'chart-vus', title: 'VUs and iterations', fmt: function (v) { return num(v, 1); }, right: 'iterations/s',
        lines: [['VUs', s.vus, palette[4]], ['VUs max', s.vusMax, '#a78bfa'], ['iterations/s', perSecond(s.iters), palette[5], 'r'],
          ['dropped/s', perSecond(s.dropped), palette[6], 'r']] },
      { id: 'chart-checks', title: 'Checks', fmt: function (v) { return num(v, 1) + '/s'; },
        lines: [['passed/s', perSecond(s.checksOK), palette[2]], ['failed/s', perSecond(s.checksKO), palette[1]]] },
      { id: 'chart-data', title: 'Data sent and received', fmt: function (v) { return bytes(v) + '/s'; },
        lines: [['received/s', perSecond(s.received), palette[0]], ['sent/s', perSecond(s.sent), palette[3]]] },
      // throng's own memory, read once a second: the peak in each bucket.
      { id: 'chart-memory', title: 'throng memory (RSS, Go heap)', fmt: bytes,
        lines: [['RSS', s.rss || [], palette[4]], ['Go heap in use', s.heap || [], palette[5]]] },
    ];
  }

  function xs() {
    var s = data.series;
    return s.reqs.map(function (_, i) { return s.origin + i * s.width; });
  }

  function chartOptions(spec, width) {
    var axes = [{}, { size: 70, values: function (u, vals) { return vals.map(spec.fmt); } }];
    var scales = { x: { time: true } };
    if (spec.right) {
      axes.push({ scale: 'r', side: 1, size: 60, grid: { show: false }, values: function (u, vals) { return vals.map(function (v) { return num(v, 1); }); } });
      scales.r = { auto: true };
    }
    return {
      width: width, height: 240, scales: scales, axes: axes,
      cursor: { drag: { x: true, y: false } },
      series: [{}].concat(spec.lines.map(function (l) {
        return { label: l[0], stroke: l[2], width: 2, scale: l[3] || 'y', spanGaps: false,
          value: function (u, v) { return v === null || v === undefined ? '–' : spec.fmt(v); } };
      })),
    };
  }

  function chartData(spec) {
    return [xs()].concat(spec.lines.map(function (l) { return l[1]; }));
  }

  function drawCharts(container) {
    chartSpecs().forEach(function (spec) {
      var box = document.getElementById(spec.id);
      if (!box) {
        box = el('div', { id: spec.id, class: 'chart' }, [el('h3', { text: spec.title }), el('div', { class: 'plot' })]);
        container.appendChild(box);
      }
      var plot = box.querySelector('.plot');
      var d = chartData(spec);
      var labels = spec.lines.map(function (l) { return l[0]; }).join('|');
      var u = charts[spec.id];
      if (u && u.throngLabels === labels) {
        u.setData(d);
      } else {
        if (u) u.destroy();
        u = new uPlot(chartOptions(spec, plot.clientWidth || 600), d, plot);
        u.throngLabels = labels;
        charts[spec.id] = u;
      }
      var points = 0;
      spec.lines.forEach(function (l) { l[1].forEach(function (v) { if (v !== null && v !== undefined) points++; }); });
      status.charts[spec.id] = { series: spec.lines.length, points: points, buckets: d[0].length, strokes: spec.lines.map(function (l) { return l[2]; }) };
    });
  }

  function resizeCharts() {
    Object.keys(charts).forEach(function (id) {
      var plot = document.getElementById(id).querySelector('.plot');
      charts[id].setSize({ width: plot.clientWidth || 600, height: 240 });
    });
  }

  // ---- tables ----

  function endpointSection() {
    var rows = data.endpoints.map(function (e) {
      var d = e.duration;
      return { cls: e.failed ? 'ko' : '', cells: [e.method, e.name, num(d.count, 0), pct(d.count ? e.failed / d.count : 0),
        ms(d.avg), ms(d.min), ms(d.med), ms(d.p90), ms(d.p95), ms(d.p99), ms(d.max)] };
    });
    var numeric = [false, false, true, true, true, true, true, true, true, true, true];
    return section('endpoints', 'Requests by name', rows.length
      ? [table(['method', 'name', 'count', 'failed', 'avg', 'min', 'med', 'p90', 'p95', 'p99', 'max'], rows, numeric)]
      : [note('No HTTP requests.')]);
  }

  function statusSection() {
    var t = data.totals;
    var codes = Object.keys(t.status).sort();
    var parts = [];
    parts.push(codes.length ? table(['status', 'responses', 'share'], codes.map(function (c) {
      return { cls: /^[45]/.test(c) ? 'ko' : '', cells: [c, num(t.status[c], 0), pct(t.reqs ? t.status[c] / t.reqs : 0)] };
    }), [false, true, true]) : note('No HTTP responses.'));
    var errs = data.summary ? data.summary.data.throng.errors : [];
    if (errs && errs.length) {
      parts.push(el('h3', { text: 'Errors' }));
      parts.push(table(['reason', 'count'], errs.map(function (e) { return { cls: 'ko', cells: [e.reason, num(e.count, 0)] }; }), [false, true]));
    }
    var outs = data.summary ? data.summary.data.throng.outputs : null;
    if (outs && Object.keys(outs).length) {
      parts.push(el('h3', { text: 'Output losses' }));
      parts.push(table(['output', 'what was lost'], Object.keys(outs).sort().map(function (k) { return { cls: 'ko', cells: [k, outs[k]] }; })));
    }
    return section('statuses', 'Status codes and errors', parts);
  }

  function checkRows(g, depth, rows) {
    (g.checks || []).forEach(function (c) {
      var total = c.passes + c.fails;
      rows.push({ cls: c.fails ? 'ko' : 'ok', cells: [(c.fails ? '✗ ' : '✓ ') + '  '.repeat(depth) + c.name, num(c.passes, 0), num(c.fails, 0), pct(total ? c.passes / total : NaN)] });
    });
    (g.groups || []).forEach(function (sub) {
      rows.push({ cls: 'group', cells: ['  '.repeat(depth) + '█ ' + sub.name, '', '', ''] });
      checkRows(sub, depth + 1, rows);
    });
    return rows;
  }

  function checkSection() {
    if (!data.summary) return section('checks', 'Checks', [note('The checks tree comes with the summary at the end of the run.')]);
    var rows = checkRows(data.summary.data.root_group, 0, []);
    return section('checks', 'Checks', rows.length ? [table(['check', 'passed', 'failed', 'share'], rows, [false, true, true, true])] : [note('The script makes no checks.')]);
  }

  function metricValues(m) {
    var f = byContains(m.contains), v = m.values;
    switch (m.type) {
      case 'counter': return num(v.count) + '  (' + num(v.rate) + '/s)';
      case 'gauge': return num(v.value) + '  min ' + num(v.min) + '  max ' + num(v.max);
      case 'rate': return pct(v.rate) + '  ✓ ' + num(v.passes, 0) + '  ✗ ' + num(v.fails, 0);
    }
    // Trend stats in the order the summary was asked for (summaryTrendStats).
    var order = (data.summary.data.options.summaryTrendStats || []).filter(function (k) { return k in v; });
    Object.keys(v).sort().forEach(function (k) { if (order.indexOf(k) < 0) order.push(k); });
    return order.map(function (k) { return k + '=' + (k === 'count' ? num(v[k], 0) : f(v[k])); }).join('  ');
  }

  function metricSection() {
    if (!data.summary) return section('metrics', 'Metrics', [note('Every metric comes with the summary at the end of the run.')]);
    var ms_ = data.summary.data.metrics;
    var rows = Object.keys(ms_).sort().map(function (name) {
      var m = ms_[name];
      var ts = Object.keys(m.thresholds || {});
      var mark = ts.length ? (ts.every(function (k) { return m.thresholds[k].ok; }) ? '✓' : '✗') : '';
      return { cls: mark === '✗' ? 'ko' : '', cells: [mark, name, m.type, metricValues(m)] };
    });
    return section('metrics', 'Metrics', [table(['', 'metric', 'type', 'values'], rows)]);
  }

  function planSection() {
    var parts = [];
    if (data.meta.plan) parts.push(el('h3', { text: 'Execution plan' }), el('pre', { text: JSON.stringify(data.meta.plan, null, 2) }));
    if (data.meta.options) parts.push(el('h3', { text: 'Options' }), el('pre', { text: JSON.stringify(data.meta.options, null, 2) }));
    return section('plan', 'Options and execution plan', parts.length ? parts : [note('Not recorded.')]);
  }

  function summarySection() {
    if (!data.summary) return section('summary', 'Summary', [note('The summary comes at the end of the run.')]);
    return section('summary', 'Summary', [el('pre', { class: 'summary', text: data.summary.text })]);
  }

  // ---- the page ----

  var app = document.getElementById('app');
  var chartBox = el('section', { id: 'charts' });

  function render() {
    // Charts keep their element (uPlot owns its canvas); the rest is
    // rebuilt, which is cheap next to a second's worth of data.
    while (app.firstChild) app.removeChild(app.firstChild);
    [header(), thresholdSection(), numbers(), chartBox, endpointSection(), statusSection(), checkSection(),
      metricSection(), planSection(), summarySection()].forEach(function (s) { app.appendChild(s); });
    drawCharts(chartBox);
    status.done = !!data.done;
    status.verdict = verdict().cls;
    status.ready = true;
  }

  // ---- the dashboard ----

  // apply folds an update into data: the columns from series.from on are
  // replaced (the last buckets keep changing while a second fills), and
  // everything else is taken whole.
  function apply(u) {
    var cur = data.series, s = u.series;
    if (s.from > 0 && s.gen === cur.gen) {
      ['reqs', 'failed', 'p50', 'p90', 'p95', 'p99', 'vus', 'vusMax', 'iters', 'dropped', 'checksOK', 'checksKO', 'sent', 'received', 'rss', 'heap'].forEach(function (k) {
        s[k] = cur[k].slice(0, s.from).concat(s[k] || []);
      });
      Object.keys(s.status).forEach(function (c) {
        var old = cur.status[c] || cur.reqs.slice(0, s.from).map(function () { return 0; });
        s.status[c] = old.slice(0, s.from).concat(s.status[c]);
      });
      s.from = 0;
    }
    u.meta = data.meta;
    u.live = true;
    data = u;
  }

  function offerReport(html) {
    var a = document.getElementById('report-link');
    var url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    // The blob stays downloadable after throng exits and its server is gone.
    a.href = url;
    status.reportURL = url;
    status.reportSize = html.length;
  }

  function connect() {
    var es = new EventSource('events');
    es.addEventListener('update', function (e) {
      apply(JSON.parse(e.data));
      status.updates++;
      render();
    });
    es.addEventListener('done', function (e) {
      es.close();
      var msg = JSON.parse(e.data);
      apply(msg.data);
      data.done = true;
      status.updates++;
      render();
      offerReport(msg.report);
    });
    es.onerror = function () {
      if (!data.done) {
        status.disconnected = true;
        document.getElementById('verdict').textContent = 'disconnected';
      }
    };
  }

  render();
  window.addEventListener('resize', resizeCharts);
  if (data.live && !data.done) connect();
})();
