// taskfarm jobs page: reads the job API (GET /jobs, GET /jobs/{id}/results?status=error) and
// redraws the table every second. Plain DOM, no framework, no build step. Every value from the
// API is written with textContent, never as HTML.
(function () {
  'use strict';

  var REFRESH_MS = 1000;
  var MAX_FAILURES = 200;
  var selected = null;
  var timer = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function duration(s) {
    if (s === null || s === undefined) { return '?'; }
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    var mm = (h > 0 && m < 10 ? '0' : '') + m;
    return (h > 0 ? h + ':' : '') + mm + ':' + (sec < 10 ? '0' : '') + sec;
  }

  function time(iso) {
    return iso ? new Date(iso).toLocaleTimeString() : '';
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

  function row(job) {
    var tr = el('tr');
    tr.setAttribute('data-job-id', job.id);
    tr.setAttribute('data-status', job.status);
    if (job.id === selected) { tr.className = 'selected'; }
    tr.appendChild(el('td', 'id', job.id));
    var st = el('td');
    st.appendChild(el('span', 'status ' + job.status, job.status.replace('_', ' ')));
    tr.appendChild(st);
    var p = el('td', 'progress');
    p.appendChild(progressBar(job));
    tr.appendChild(p);
    tr.appendChild(el('td', 'failed', job.failed));
    tr.appendChild(el('td', 'rate', job.rate.toFixed(1) + '/s'));
    tr.appendChild(el('td', 'eta', job.status === 'running' ? duration(job.etaSeconds) : ''));
    tr.appendChild(el('td', 'started', time(job.startedAt)));
    tr.appendChild(el('td', 'finished', time(job.finishedAt)));
    tr.addEventListener('click', function () { select(job.id); });
    return tr;
  }

  function render(jobs) {
    var body = document.querySelector('#jobs tbody');
    var rows = document.createDocumentFragment();
    var running = 0;
    jobs.forEach(function (job) {
      rows.appendChild(row(job));
      if (job.status === 'running') { running++; }
    });
    body.replaceChildren(rows);
    $('empty').hidden = jobs.length > 0;
    $('summary').textContent = jobs.length + ' recent jobs, ' + running + ' running · updated '
      + new Date().toLocaleTimeString();
    var job = jobs.find(function (j) { return j.id === selected; });
    if (job) { showDetail(job); }
  }

  function refresh() {
    return fetch('/jobs?limit=100', { headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) { throw new Error('GET /jobs answered ' + r.status); }
        return r.json();
      })
      .then(function (data) { $('error').hidden = true; render(data.jobs); })
      .catch(function (e) { $('error').textContent = 'Cannot reach taskfarm: ' + e.message; $('error').hidden = false; });
  }

  var shownFailures = null;

  function showDetail(job) {
    $('detail').hidden = false;
    $('detail-id').textContent = job.id;
    $('detail-line').textContent = job.status + ': ' + job.succeeded + ' succeeded, ' + job.failed + ' failed, '
      + (job.status === 'running' ? job.pending + ' pending' : job.missing + ' missing') + ' of ' + job.total
      + ' · compute ' + job.compute;
    $('detail-results').href = job.links.results;
    // failures are read again only when their count changed
    var key = job.id + '/' + job.failed;
    if (shownFailures !== key) {
      shownFailures = key;
      loadFailures(job);
    }
  }

  function loadFailures(job) {
    var body = document.querySelector('#failures tbody');
    if (job.failed === 0) {
      body.replaceChildren();
      $('no-failures').hidden = false;
      return;
    }
    fetch(job.links.results + '?status=error&format=ndjson')
      .then(function (r) { return r.text(); })
      .then(function (text) {
        var rows = document.createDocumentFragment();
        text.split('\n').filter(Boolean).slice(0, MAX_FAILURES).forEach(function (line) {
          var r = JSON.parse(line);
          var tr = el('tr');
          tr.appendChild(el('td', null, r.index));
          tr.appendChild(el('td', null, r.status));
          tr.appendChild(el('td', null, r.error));
          rows.appendChild(tr);
        });
        body.replaceChildren(rows);
        $('no-failures').hidden = true;
      });
  }

  function select(id) {
    selected = id;
    shownFailures = null;
    history.replaceState(null, '', '#' + encodeURIComponent(id));
    refresh();
  }

  function schedule() {
    clearInterval(timer);
    if ($('auto-refresh').checked) { timer = setInterval(refresh, REFRESH_MS); }
  }

  $('detail-close').addEventListener('click', function () {
    selected = null;
    $('detail').hidden = true;
    history.replaceState(null, '', location.pathname);
    refresh();
  });
  $('auto-refresh').addEventListener('change', schedule);
  if (location.hash.length > 1) { selected = decodeURIComponent(location.hash.substring(1)); }
  refresh();
  schedule();
}());
