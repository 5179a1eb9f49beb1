'use strict';
// Demo Socket.IO v4 app for the Passenger Panel test host. Passenger starts it
// (PassengerStartupFile app.js) and takes over listen(); run alone it uses PORT.
//
// The Socket.IO path comes from SOCKETIO_PATH or, because Passenger under Apache
// gives no easy per-domain env, from the file `socketio-path` beside this file.
const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const { Server } = require('socket.io');

function readSocketPath() {
  if (process.env.SOCKETIO_PATH) return process.env.SOCKETIO_PATH;
  try {
    const fromFile = fs.readFileSync(path.join(__dirname, 'socketio-path'), 'utf8').trim();
    if (fromFile) return fromFile;
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  return '/socket.io/';
}

const socketPath = readSocketPath();
const startedAt = new Date().toISOString();

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://placeholder');
  if (url.pathname === '/whoami') {
    sendJson(res, 200, {
      pid: process.pid,
      host: req.headers.host ?? null,
      appRoot: __dirname,
      socketPath,
      startedAt,
      node: process.version,
    });
    return;
  }
  if (url.pathname === '/' || url.pathname === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>socketio-demo</title><p>socketio-demo pid ${process.pid}, Socket.IO at ${socketPath}</p>`);
    return;
  }
  // Engine.IO handles its own path before this listener; everything else is unknown.
  sendJson(res, 404, { error: 'not found', path: url.pathname });
});

const io = new Server(server, { path: socketPath });
io.on('connection', (socket) => {
  socket.emit('hello', { pid: process.pid });
  socket.on('echo', (payload, ack) => {
    if (typeof ack === 'function') ack({ pid: process.pid, payload });
  });
});

server.listen(Number(process.env.PORT) || 3000);
