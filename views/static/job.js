// Job page: asks the server for this job's events (it checks the user may see the job) and lists them live.
(function () {
  'use strict';
  var root = document.getElementById('job');
  if (!root || typeof io !== 'function') return;
  var basePath = document.querySelector('meta[name="base-path"]').getAttribute('content') || '';
  var jobId = root.getAttribute('data-job-id');
  var state = root.querySelector('.job-state');
  var steps = root.querySelector('.job-steps');
  var seen = {};

  function show(event) {
    var key = event.at + '|' + event.step + '|' + (event.domain || '') + '|' + event.status;
    if (seen[key]) return;
    seen[key] = true;
    var item = document.createElement('li');
    item.className = 'step step-' + event.status;
    var badge = document.createElement('span');
    badge.className = 'badge ' + (event.status === 'ok' ? 'badge-safe' : event.status === 'fail' ? 'badge-broken' : '');
    badge.textContent = event.status;
    item.appendChild(badge);
    item.appendChild(document.createTextNode(' ' + (event.domain ? event.domain + ': ' : '') + event.message));
    steps.appendChild(item);
  }

  var socket = io({ path: basePath + '/socket.io' });
  socket.on('connect', function () {
    socket.emit('job:watch', jobId, function (reply) {
      if (!reply.ok) { state.textContent = 'This job cannot be shown: ' + reply.error + '.'; return; }
      state.textContent = 'Watching live.';
      reply.history.forEach(show);
    });
  });
  socket.on('job:event', function (event) { if (event.jobId === jobId) show(event); });
  socket.on('connect_error', function (err) { state.textContent = 'Live updates unavailable: ' + err.message; });
  socket.on('disconnect', function () { state.textContent = 'Connection lost; reconnecting…'; });
})();
