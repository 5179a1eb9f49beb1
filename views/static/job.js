// Live job progress (job page and the domain page's progress box). The server checks that the user may
// see the job before it sends anything; history arrives first, then events as they happen.
(() => {
  'use strict';
  const root = document.querySelector('.job-live[data-job-id]');
  if (!root) return;
  const basePath = document.querySelector('meta[name="base-path"]').getAttribute('content') || '';
  const jobId = root.getAttribute('data-job-id');
  const state = root.querySelector('.job-state');
  const result = root.querySelector('.job-result');
  const steps = root.querySelector('.job-steps');
  const bar = root.querySelector('.job-progress');
  const pageDomain = root.getAttribute('data-domain');
  const seen = {};
  const stepNames = {};
  let ended = false;
  // While this domain's change runs, starting another from the same page would only queue behind it.
  const actions = pageDomain ? document.querySelectorAll('#make-safe, #rollback, #plan-edits') : [];
  function setActionsDisabled(disabled) {
    for (let i = 0; i < actions.length; i++) actions[i].disabled = disabled;
  }
  setActionsDisabled(true);
  // A single change runs about this many distinct steps (plan, checkpoint, write, config test, reload,
  // restart, probe, websocket, watch, verdict...); the bar follows them until the job says it ended.
  const EXPECTED_STEPS = 12;
  const OK = ['verified', 'applied', 'nothing-to-do', 'succeeded', 'skipped', 'unchanged', 'ok', 'done'];
  const BAD = ['failed', 'rolled-back', 'rollback-failed', 'refused', 'error', 'interrupted', 'cancelled', 'unreachable', 'conflict'];

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
    const value = Math.max(Number(bar.value) || 0, Math.min(100, Math.round(percent)));
    bar.value = value;
    bar.textContent = `${value}%`;
  }

  function recount() {
    const list = rows();
    const counts = { ok: 0, fail: 0, running: 0 };
    for (let i = 0; i < list.length; i++) counts[list[i].getAttribute('data-state-class')] += 1;
    const set = (name, value) => {
      const el = root.querySelector(`[data-count="${name}"]`);
      if (el) el.textContent = String(value);
    };
    set('ok', counts.ok);
    set('failed', counts.fail);
    set('running', counts.running);
    if (list.length > 1) setProgress(((counts.ok + counts.fail) / list.length) * 100);
  }

  // A bulk job names its domains while it plans: rows appear as their first state arrives.
  function addRow(event) {
    const body = root.querySelector('.job-domains tbody');
    if (!body || !event.data || typeof event.data.state !== 'string') return null;
    const row = document.createElement('tr');
    row.setAttribute('data-domain-row', event.domain);
    row.setAttribute('data-state-class', 'running');
    const cells = [event.domain, event.server || '', '', ''];
    for (let i = 0; i < cells.length; i++) {
      const td = document.createElement('td');
      if (i === 0) {
        const link = document.createElement('a');
        link.href = `${basePath}/domains/${encodeURIComponent(event.domain)}`;
        link.textContent = event.domain;
        td.appendChild(link);
      } else if (i === 2) {
        const span = document.createElement('span');
        span.className = 'state state-running domain-state';
        td.appendChild(span);
      } else {
        td.textContent = cells[i];
        if (i === 3) td.className = 'domain-last muted';
      }
      row.appendChild(td);
    }
    body.appendChild(row);
    const total = root.querySelector('[data-count="total"]');
    if (total) total.textContent = String(rows().length);
    return row;
  }

  function updateRow(event) {
    if (!event.domain) return;
    let row = root.querySelector(`tr[data-domain-row="${CSS.escape(event.domain)}"]`);
    if (!row) row = addRow(event);
    if (!row) return;
    const last = row.querySelector('.domain-last');
    if (last)
      last.textContent = event.message.indexOf(`${event.domain}: `) === 0 ? event.message.slice(event.domain.length + 2) : event.message;
    const data = event.data || {};
    let value = null;
    if (event.step === 'job' && (event.status === 'ok' || event.status === 'fail'))
      value = data.result || (event.status === 'ok' ? 'done' : 'failed');
    else if (typeof data.state === 'string') value = data.state;
    if (value === null) return;
    const cls = classOf(value);
    row.setAttribute('data-state-class', cls);
    const cell = row.querySelector('.domain-state');
    if (cell) {
      cell.textContent = value;
      cell.className = `state state-${cls} domain-state`;
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
    result.className = `job-result msg ${event.status === 'ok' ? 'msg-ok' : 'msg-error'}`;
    const status = root.querySelector('.job-status');
    if (status) status.textContent = event.status === 'ok' ? 'succeeded' : 'failed';
    if (pageDomain) {
      refreshVerdict();
      refreshDetails();
    }
  }

  // Findings, settings and history below the progress box were read before the change: load them again.
  function refreshDetails() {
    const details = document.getElementById('domain-details');
    if (!details || typeof DOMParser !== 'function') return;
    fetch(window.location.pathname + window.location.search, { credentials: 'same-origin' })
      .then((res) => (res.ok ? res.text() : null))
      .then((html) => {
        if (!html) return;
        const fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('domain-details');
        if (fresh)
          details.replaceChildren.apply(
            details,
            Array.prototype.slice.call(fresh.childNodes).map((n) => document.importNode(n, true)),
          );
        const subtitle = new DOMParser().parseFromString(html, 'text/html').querySelector('.page-subtitle');
        const current = document.querySelector('.page-subtitle');
        if (subtitle && current) current.replaceWith(document.importNode(subtitle, true));
      })
      .catch(() => {
        /* the old details stay; a reload shows the new ones */
      });
  }

  // The domain page's badge follows the new inventory read the job made before it ended.
  function refreshVerdict() {
    const badge = document.getElementById('verdict-badge');
    if (!badge) return;
    fetch(`${basePath}/api/domains/${encodeURIComponent(pageDomain)}`, {
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    })
      .then((res) => (res.ok ? res.json() : null))
      .then((body) => {
        if (!body) return;
        badge.textContent = body.verdictLabel;
        badge.className = `badge badge-${body.verdict} badge-large`;
        badge.setAttribute('title', `Verdict: ${body.verdictLabel}`);
        badge.setAttribute('data-verdict', body.verdict);
      })
      .catch(() => {
        /* the badge keeps its old value; a reload shows the new one */
      });
  }

  function show(event) {
    // Same step, outcome and text twice (a step reported by two layers, or history and live overlapping) is one line.
    const key = `${event.step}|${event.domain || ''}|${event.status}|${event.message}`;
    if (seen[key]) return;
    seen[key] = true;
    const item = document.createElement('li');
    item.className = `step step-${event.status}`;
    item.setAttribute('data-step', event.step);
    const time = document.createElement('time');
    time.className = 'step-time';
    time.setAttribute('datetime', event.at);
    time.textContent = event.at.slice(11, 19);
    const badge = document.createElement('span');
    badge.className = `step-mark step-mark-${event.status}`;
    badge.textContent = event.status === 'ok' ? 'ok' : event.status === 'fail' ? 'failed' : event.status === 'start' ? '…' : 'info';
    const name = document.createElement('span');
    name.className = 'step-name';
    name.textContent = event.step;
    const text = document.createElement('span');
    text.className = 'step-text';
    const named = !event.domain || event.message.indexOf(event.domain) === 0;
    text.textContent = (!named && !pageDomain && rows().length > 1 ? `${event.domain}: ` : '') + event.message;
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
  const socket = io({ path: `${basePath}/socket.io` });
  socket.on('connect', () => {
    socket.emit('job:watch', jobId, (reply) => {
      if (!reply.ok) {
        state.textContent = `This job cannot be shown: ${reply.error}.`;
        return;
      }
      if (!ended) state.textContent = 'Watching live.';
      reply.history.forEach(show);
    });
  });
  socket.on('job:event', (event) => {
    if (event.jobId === jobId) show(event);
  });
  socket.on('connect_error', (err) => {
    state.textContent = `Live updates unavailable: ${err.message}`;
  });
  socket.on('disconnect', () => {
    if (!ended) state.textContent = 'Connection lost; reconnecting…';
  });
})();
