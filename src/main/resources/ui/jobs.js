// taskfarm jobs page: reads the job API (GET /jobs, GET /jobs/{id}/results?status=error, GET /farm,
// DELETE /jobs/{id}) and redraws every second. Plain DOM and SVG, no framework, no build step.
// Every value from the API is written with textContent, never as HTML. The first job list comes
// with the page itself (a JSON script element), so the table is full before any request.
(function () {
  'use strict';

  var REFRESH_MS = 1000;
  var MAX_FAILURES = 200;
  var HISTORY = 120;          // samples of done per job kept for the charts (2 minutes at 1/s)
  var selected = null;
  var timer = null;
  var jobs = [];
  var samplesOf = {};         // job id -> [{t, done}]
  var farm = null;
  var confirmCancel = null;   // job id whose cancel button asks for confirmation

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function duration(s) {
    if (s === null || s === undefined || isNaN(s)) { return '?'; }
    s = Math.max(0, Math.round(s));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    var mm = (h > 0 && m < 10 ? '0' : '') + m;
    return (h > 0 ? h + ':' : '') + mm + ':' + (sec < 10 ? '0' : '') + sec;
  }

  function time(iso) { return iso ? new Date(iso).toLocaleTimeString() : ''; }

  function elapsed(job) {
    var end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
    return (end - Date.parse(job.startedAt)) / 1000;
  }

  function progressBar(job) {
    var bar = el('div', 'bar');
    bar.setAttribute('data-percent', job.percent);
    var ok = el('div', 'fill');
    ok.style.width = (job.total ? 100 * job.succeeded / job.total : 0) + '%';
    var failed = el('div', 'fill failed');
    failed.style.width = (job.total ? 100 * job.failed / job.total : 0) + '%';
    bar.appendChild(ok);
    bar.appendChild(failed);
    bar.appendChild(el('span', 'label', job.done + '/' + job.total + ' (' + job.percent + '%)'));
    return bar;
  }

  function cancelButton(job) {
    var b = el('button', 'cancel' + (confirmCancel === job.id ? ' confirm' : ''),
      confirmCancel === job.id ? 'really cancel?' : 'cancel');
    b.title = 'cancel job ' + job.id;
    b.addEventListener('click', function (ev) {
      ev.stopPropagation();
      if (confirmCancel !== job.id) { confirmCancel = job.id; render(); return; }
      confirmCancel = null;
      b.disabled = true;
      fetch('/jobs/' + encodeURIComponent(job.id), { method: 'DELETE', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.json().then(function (body) { if (!r.ok) { throw new Error(body.error); } }); })
        .catch(function (e) { showError('Cannot cancel ' + job.id + ': ' + e.message); })
        .then(refresh);
    });
    return b;
  }

  function row(job) {
    var tr = el('tr');
    tr.setAttribute('data-job-id', job.id);
    tr.setAttribute('data-status', job.status);
    if (job.id === selected) { tr.className = 'selected'; }
    var id = el('td', 'id', job.id);
    id.title = job.id;
    tr.appendChild(id);
    var st = el('td');
    st.appendChild(el('span', 'status ' + job.status, job.status.replace('_', ' ')));
    if (job.notice) {
      var notice = el('span', 'notice', ' no worker');
      notice.title = job.notice;
      st.appendChild(notice);
    }
    tr.appendChild(st);
    var p = el('td', 'progress');
    p.appendChild(progressBar(job));
    tr.appendChild(p);
    tr.appendChild(el('td', 'failed', job.failed));
    tr.appendChild(el('td', 'compute opt', job.compute));
    tr.appendChild(el('td', 'rate opt', job.rate.toFixed(1) + '/s'));
    tr.appendChild(el('td', 'eta opt', job.status === 'running' ? duration(job.etaSeconds) : ''));
    tr.appendChild(el('td', 'duration opt', duration(elapsed(job))));
    tr.appendChild(el('td', 'started opt', time(job.startedAt)));
    var actions = el('td', 'actions');
    if (job.status === 'running') { actions.appendChild(cancelButton(job)); }
    tr.appendChild(actions);
    tr.addEventListener('click', function () { select(job.id); });
    return tr;
  }

  function matches(job) {
    var q = $('search').value.trim().toLowerCase();
    var status = $('status-filter').value;
    return (!status || job.status === status)
      && (!q || job.id.toLowerCase().indexOf(q) >= 0 || job.compute.toLowerCase().indexOf(q) >= 0);
  }

  function render() {
    var body = document.querySelector('#jobs tbody');
    var rows = document.createDocumentFragment();
    var running = 0, shown = 0;
    jobs.forEach(function (job) {
      if (job.status === 'running') { running++; }
      if (matches(job)) { rows.appendChild(row(job)); shown++; }
    });
    body.replaceChildren(rows);
    $('empty').hidden = jobs.length > 0;
    $('no-match').hidden = jobs.length === 0 || shown > 0;
    $('summary').textContent = jobs.length + ' recent jobs, ' + running + ' running · updated '
      + new Date().toLocaleTimeString();
    renderFarm();
    var job = jobs.find(function (j) { return j.id === selected; });
    if (job) { showDetail(job); }
  }

  function remember(list) {
    var now = Date.now();
    list.forEach(function (job) {
      var h = samplesOf[job.id] || (samplesOf[job.id] = []);
      var last = h[h.length - 1];
      if (!last || last.done !== job.done || job.status === 'running') { h.push({ t: now, done: job.done }); }
      if (h.length > HISTORY) { h.shift(); }
    });
  }

  /** Tasks per second between consecutive samples: [{t, rate}]. */
  function rates(samples) {
    var out = [];
    for (var i = 1; i < samples.length; i++) {
      var dt = (samples[i].t - samples[i - 1].t) / 1000;
      if (dt > 0) { out.push({ t: samples[i].t, rate: (samples[i].done - samples[i - 1].done) / dt }); }
    }
    return out;
  }

  function chart(svg, points, width, height) {
    var max = points.reduce(function (m, p) { return Math.max(m, p.rate); }, 0);
    var line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    var t0 = points.length ? points[0].t : 0, t1 = points.length ? points[points.length - 1].t : 1;
    line.setAttribute('points', points.map(function (p) {
      var x = t1 > t0 ? (p.t - t0) / (t1 - t0) * width : 0;
      var y = height - (max > 0 ? p.rate / max * (height - 12) : 0) - 1;
      return x.toFixed(1) + ',' + y.toFixed(1);
    }).join(' '));
    $(svg.id + '-label').textContent = points.length ? 'tasks/s: now ' + points[points.length - 1].rate.toFixed(1)
      + ', max ' + max.toFixed(1) : 'tasks/s (waiting for samples)';
    svg.setAttribute('data-points', points.length);
    svg.replaceChildren(line);
  }

  /** The running jobs' rates summed per sample time (they are sampled together). */
  function farmRates() {
    var byTime = {};
    jobs.forEach(function (job) {
      rates(samplesOf[job.id] || []).forEach(function (p) { byTime[p.t] = (byTime[p.t] || 0) + p.rate; });
    });
    return Object.keys(byTime).sort().map(function (t) { return { t: Number(t), rate: byTime[t] }; });
  }

  function renderFarm() {
    if (farm) {
      // one requests queue per compute: what waits on all of them
      var requests = { ready: farm.queues.filter(function (q) { return q.role === 'requests'; })
        .reduce(function (n, q) { return n + q.ready; }, 0) };
      var replies = farm.queues.find(function (q) { return q.role === 'replies'; }) || { ready: 0 };
      var dead = farm.queues.find(function (q) { return q.role === 'deadLetters'; }) || { ready: 0 };
      // published but neither done nor waiting on the queue: being computed right now
      var inFlight = jobs.filter(function (j) { return j.status === 'running'; })
        .reduce(function (n, j) { return n + j.published - j.done; }, 0) - requests.ready;
      $('farm-workers').textContent = farm.workers;
      $('farm-slots').textContent = Math.max(0, Math.min(farm.slots, inFlight)) + '/' + farm.slots;
      $('farm-queued').textContent = requests.ready;
      $('farm-replies').textContent = replies.ready;
      $('farm-dead').textContent = dead.ready;
    }
    chart($('farm-chart'), farmRates().slice(-HISTORY), 300, 60);
  }

  function showError(text) { $('error').textContent = text; $('error').hidden = false; }

  function loaded(list) {
    jobs = list;
    remember(list);
    render();
  }

  function refresh() {
    fetch('/farm', { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (f) { if (f) { farm = f; renderFarm(); } })
      .catch(function () { /* the job list below says when taskfarm is away */ });
    return fetch('/jobs?limit=100', { headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) { throw new Error('GET /jobs answered ' + r.status); }
        return r.json();
      })
      .then(function (data) { $('error').hidden = true; loaded(data.jobs); })
      .catch(function (e) { showError('Cannot reach taskfarm: ' + e.message); });
  }

  var shownFailures = null;

  function showDetail(job) {
    $('detail').hidden = false;
    $('detail-id').textContent = job.id;
    $('detail-line').textContent = job.status + ': ' + job.succeeded + ' succeeded, ' + job.failed + ' failed, '
      + (job.status === 'running' ? job.pending + ' pending' : job.missing + ' missing') + ' of ' + job.total
      + ' · compute ' + job.compute + ' · ' + duration(elapsed(job)) + (job.notice ? ' · ' + job.notice : '');
    $('detail-results').href = job.links.results;
    chart($('detail-chart'), rates(samplesOf[job.id] || []), 300, 80);
    // failures are read again when their count changed, or when the last read showed fewer
    var key = job.id + '/' + job.failed;
    if (shownFailures !== key) {
      shownFailures = key;
      loadFailures(job, key);
    }
  }

  function loadFailures(job, key) {
    var body = document.querySelector('#failures tbody');
    if (job.failed === 0) {
      body.replaceChildren();
      $('no-failures').hidden = false;
      return;
    }
    fetch(job.links.results + '?status=error&format=ndjson', { headers: { Accept: 'application/x-ndjson' } })
      .then(function (r) {
        if (!r.ok) { throw new Error('GET ' + job.links.results + ' answered ' + r.status); }
        return r.text();
      })
      .then(function (text) {
        if (shownFailures !== key) { return; }  // another job (or count) is shown by now
        var lines = text.split('\n').filter(Boolean);
        var rows = document.createDocumentFragment();
        lines.slice(0, MAX_FAILURES).forEach(function (line) {
          var r = JSON.parse(line);
          var tr = el('tr');
          tr.appendChild(el('td', null, r.index));
          tr.appendChild(el('td', null, r.status));
          tr.appendChild(el('td', null, r.error));
          rows.appendChild(tr);
        });
        body.replaceChildren(rows);
        $('no-failures').hidden = true;
        // fewer than the count said: read again on the next refresh
        if (lines.length < Math.min(job.failed, MAX_FAILURES)) { shownFailures = null; }
      })
      .catch(function (e) { shownFailures = null; showError('Cannot read the failures: ' + e.message); });
  }

  function select(id) {
    selected = id;
    shownFailures = null;
    window.history.replaceState(null, '', '#' + encodeURIComponent(id));
    render();
  }

  function schedule() {
    clearInterval(timer);
    if ($('auto-refresh').checked) { timer = setInterval(refresh, REFRESH_MS); }
  }

  $('detail-close').addEventListener('click', function () {
    selected = null;
    $('detail').hidden = true;
    window.history.replaceState(null, '', location.pathname);
    render();
  });
  $('auto-refresh').addEventListener('change', schedule);
  $('search').addEventListener('input', render);
  $('status-filter').addEventListener('change', render);
  function fromHash() {
    if (location.hash.length > 1) { selected = decodeURIComponent(location.hash.substring(1)); shownFailures = null; }
  }
  window.addEventListener('hashchange', function () { fromHash(); render(); });
  fromHash();
  var initial = $('initial-jobs');
  if (initial) { loaded(JSON.parse(initial.textContent).jobs); }
  refresh();
  schedule();
}());
