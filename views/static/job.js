// Live job progress (job page and the domain page's progress box). The server checks that the user may
// see the job before it sends anything; history arrives first, then events as they happen.
(function () {
  'use strict';
  var root = document.querySelector('.job-live[data-job-id]');
  if (!root) return;
  var basePath = document.querySelector('meta[name="base-path"]').getAttribute('content') || '';
  var jobId = root.getAttribute('data-job-id');
  var state = root.querySelector('.job-state');
  var result = root.querySelector('.job-result');
  var steps = root.querySelector('.job-steps');
  var bar = root.querySelector('.job-progress');
  var pageDomain = root.getAttribute('data-domain');
  var seen = {};
  var stepNames = {};
  var ended = false;
  // While this domain's change runs, starting another from the same page would only queue behind it.
  var actions = pageDomain ? document.querySelectorAll('#make-safe, #rollback, #plan-edits') : [];
  function setActionsDisabled(disabled) {
    for (var i = 0; i < actions.length; i++) actions[i].disabled = disabled;
  }
  setActionsDisabled(true);
  // A single change runs about this many distinct steps (plan, checkpoint, write, config test, reload,
  // restart, probe, websocket, watch, verdict...); the bar follows them until the job says it ended.
  var EXPECTED_STEPS = 12;
  var OK = ['verified', 'applied', 'nothing-to-do', 'succeeded', 'skipped', 'unchanged', 'ok', 'done'];
  var BAD = ['failed', 'rolled-back', 'rollback-failed', 'refused', 'error', 'interrupted', 'cancelled', 'unreachable', 'conflict'];

  function classOf(value) {
    if (OK.indexOf(value) >= 0) return 'ok';
    if (BAD.indexOf(value) >= 0) return 'fail';
    return 'running';
  }

  function rows() {
    return root.querySelectorAll('tr[data-domain-row]');
  }

  function setProgress(percent) {
    if (!bar) return;
    var value = Math.max(Number(bar.value) || 0, Math.min(100, Math.round(percent)));
    bar.value = value;
    bar.textContent = value + '%';
  }

  function recount() {
    var list = rows();
    var counts = { ok: 0, fail: 0, running: 0 };
    for (var i = 0; i < list.length; i++) counts[list[i].getAttribute('data-state-class')] += 1;
    var set = function (name, value) {
      var el = root.querySelector('[data-count="' + name + '"]');
      if (el) el.textContent = String(value);
    };
    set('ok', counts.ok);
    set('failed', counts.fail);
    set('running', counts.running);
    if (list.length > 1) setProgress(((counts.ok + counts.fail) / list.length) * 100);
  }

  // A bulk job names its domains while it plans: rows appear as their first state arrives.
  function addRow(event) {
    var body = root.querySelector('.job-domains tbody');
    if (!body || !event.data || typeof event.data.state !== 'string') return null;
    var row = document.createElement('tr');
    row.setAttribute('data-domain-row', event.domain);
    row.setAttribute('data-state-class', 'running');
    var cells = [event.domain, event.server || '', '', ''];
    for (var i = 0; i < cells.length; i++) {
      var td = document.createElement('td');
      if (i === 0) {
        var link = document.createElement('a');
        link.href = basePath + '/domains/' + encodeURIComponent(event.domain);
        link.textContent = event.domain;
        td.appendChild(link);
      } else if (i === 2) {
        var span = document.createElement('span');
        span.className = 'state state-running domain-state';
        td.appendChild(span);
      } else {
        td.textContent = cells[i];
        if (i === 3) td.className = 'domain-last muted';
      }
      row.appendChild(td);
    }
    body.appendChild(row);
    var total = root.querySelector('[data-count="total"]');
    if (total) total.textContent = String(rows().length);
    return row;
  }

  function updateRow(event) {
    if (!event.domain) return;
    var row = root.querySelector('tr[data-domain-row="' + CSS.escape(event.domain) + '"]');
    if (!row) row = addRow(event);
    if (!row) return;
    var last = row.querySelector('.domain-last');
    if (last)
      last.textContent = event.message.indexOf(event.domain + ': ') === 0 ? event.message.slice(event.domain.length + 2) : event.message;
    var data = event.data || {};
    var value = null;
    if (event.step === 'job' && (event.status === 'ok' || event.status === 'fail'))
      value = data.result || (event.status === 'ok' ? 'done' : 'failed');
    else if (typeof data.state === 'string') value = data.state;
    if (value === null) return;
    var cls = classOf(value);
    row.setAttribute('data-state-class', cls);
    var cell = row.querySelector('.domain-state');
    if (cell) {
      cell.textContent = value;
      cell.className = 'state state-' + cls + ' domain-state';
    }
    recount();
  }

  function finish(event) {
    ended = true;
    setActionsDisabled(false);
    setProgress(100);
    state.textContent = 'Finished.';
    result.hidden = false;
    result.textContent = event.message;
    result.className = 'job-result msg ' + (event.status === 'ok' ? 'msg-ok' : 'msg-error');
    var status = root.querySelector('.job-status');
    if (status) status.textContent = event.status === 'ok' ? 'succeeded' : 'failed';
    if (pageDomain) {
      refreshVerdict();
      refreshDetails();
    }
  }

  // Findings, settings and history below the progress box were read before the change: load them again.
  function refreshDetails() {
    var details = document.getElementById('domain-details');
    if (!details || typeof DOMParser !== 'function') return;
    fetch(window.location.pathname + window.location.search, { credentials: 'same-origin' })
      .then(function (res) {
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('domain-details');
        if (fresh)
          details.replaceChildren.apply(
            details,
            Array.prototype.slice.call(fresh.childNodes).map(function (n) {
              return document.importNode(n, true);
            }),
          );
        var subtitle = new DOMParser().parseFromString(html, 'text/html').querySelector('.page-subtitle');
        var current = document.querySelector('.page-subtitle');
        if (subtitle && current) current.replaceWith(document.importNode(subtitle, true));
      })
      .catch(function () {
        /* the old details stay; a reload shows the new ones */
      });
  }

  // The domain page's badge follows the new inventory read the job made before it ended.
  function refreshVerdict() {
    var badge = document.getElementById('verdict-badge');
    if (!badge) return;
    fetch(basePath + '/api/domains/' + encodeURIComponent(pageDomain), {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (body) {
        if (!body) return;
        badge.textContent = body.verdictLabel;
        badge.className = 'badge badge-' + body.verdict + ' badge-large';
        badge.setAttribute('title', 'Verdict: ' + body.verdictLabel);
        badge.setAttribute('data-verdict', body.verdict);
      })
      .catch(function () {
        /* the badge keeps its old value; a reload shows the new one */
      });
  }

  function show(event) {
    // Same step, outcome and text twice (a step reported by two layers, or history and live overlapping) is one line.
    var key = event.step + '|' + (event.domain || '') + '|' + event.status + '|' + event.message;
    if (seen[key]) return;
    seen[key] = true;
    var item = document.createElement('li');
    item.className = 'step step-' + event.status;
    item.setAttribute('data-step', event.step);
    var time = document.createElement('time');
    time.className = 'step-time';
    time.setAttribute('datetime', event.at);
    time.textContent = event.at.slice(11, 19);
    var badge = document.createElement('span');
    badge.className = 'step-mark step-mark-' + event.status;
    badge.textContent = event.status === 'ok' ? 'ok' : event.status === 'fail' ? 'failed' : event.status === 'start' ? '…' : 'info';
    var name = document.createElement('span');
    name.className = 'step-name';
    name.textContent = event.step;
    var text = document.createElement('span');
    text.className = 'step-text';
    var named = !event.domain || event.message.indexOf(event.domain) === 0;
    text.textContent = (!named && !pageDomain && rows().length > 1 ? event.domain + ': ' : '') + event.message;
    item.appendChild(time);
    item.appendChild(badge);
    item.appendChild(name);
    item.appendChild(text);
    steps.appendChild(item);
    stepNames[event.step] = true;
    updateRow(event);
    if (event.step === 'job' && (event.status === 'ok' || event.status === 'fail') && (!event.domain || rows().length <= 1)) finish(event);
    else if (!ended && rows().length <= 1) setProgress((Object.keys(stepNames).length / EXPECTED_STEPS) * 95);
  }

  if (typeof io !== 'function') {
    state.textContent = 'Live updates unavailable (the Socket.IO client did not load).';
    return;
  }
  var socket = io({ path: basePath + '/socket.io' });
  socket.on('connect', function () {
    socket.emit('job:watch', jobId, function (reply) {
      if (!reply.ok) {
        state.textContent = 'This job cannot be shown: ' + reply.error + '.';
        return;
      }
      if (!ended) state.textContent = 'Watching live.';
      reply.history.forEach(show);
    });
  });
  socket.on('job:event', function (event) {
    if (event.jobId === jobId) show(event);
  });
  socket.on('connect_error', function (err) {
    state.textContent = 'Live updates unavailable: ' + err.message;
  });
  socket.on('disconnect', function () {
    if (!ended) state.textContent = 'Connection lost; reconnecting…';
  });
})();
