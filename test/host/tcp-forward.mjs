#!/usr/bin/env node
// TEST HOST: a plain TCP forwarder for extra servers (test/host/extra-server.sh). Usage:
//   node tcp-forward.mjs PIDFILE LISTEN_HOST:PORT=TARGET_HOST:PORT [...]
// Bytes pass through untouched (TLS included), so the Host header and certificates are the server's own.
// It only ever listens on the addresses given (loopback or an extra server's veth address).
import net from 'node:net';
import { writeFileSync } from 'node:fs';

const [pidFile, ...pairs] = process.argv.slice(2);
if (!pidFile || pairs.length === 0) {
  console.error('usage: tcp-forward.mjs PIDFILE LISTEN_HOST:PORT=TARGET_HOST:PORT ...');
  process.exit(2);
}

function split(hostPort) {
  const i = hostPort.lastIndexOf(':');
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port)) throw new Error(`bad address ${hostPort}`);
  return { host: hostPort.slice(0, i), port };
}

let listening = 0;
for (const pair of pairs) {
  const [from, to] = pair.split('=');
  const listen = split(from);
  const target = split(to);
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    client.pipe(upstream).pipe(client);
    // A target that is gone (stopped server) closes the client at once, like a refused connection.
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  server.on('error', (err) => {
    console.error(`tcp-forward ${from}: ${err.message}`);
    process.exit(1);
  });
  server.listen(listen.port, listen.host, () => {
    listening += 1;
    if (listening === pairs.length) writeFileSync(pidFile, `${process.pid}\n`);
  });
}
process.on('SIGTERM', () => process.exit(0));
