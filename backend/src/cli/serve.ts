import { booleanOption, stringOption } from './args.js';
import type { Command } from './command.js';

/** `passenger-panel serve`: the web panel, standalone (login link / password) or behind Plesk (tokens only). */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'start the web panel on 127.0.0.1 and print how to log in',
  usage:
    'serve [--mode standalone|plesk] [--host 127.0.0.1] [--port 8737] [--base-path /prefix] [--token-secret-file FILE] [--password-hash-file FILE]',
  keepsRunning: true,
  options: {
    mode: {
      type: 'string',
      valueName: 'MODE',
      description: 'standalone (own admin login, default) or plesk (accepts only tokens minted by the extension)',
    },
    host: { type: 'string', valueName: 'HOST', description: 'address to listen on (default 127.0.0.1)' },
    port: { type: 'string', valueName: 'N', description: 'port (default 8737; 0 picks a free one)' },
    'base-path': {
      type: 'string',
      valueName: 'PATH',
      description: 'URL prefix a reverse proxy strips, e.g. /modules/passenger-panel/panel',
    },
    'token-secret-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'plesk mode: HMAC secret created by the extension at install (mode 0600)',
    },
    'password-hash-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'standalone mode: scrypt hash from `hash-password`, enables password login',
    },
    demo: { type: 'boolean', description: 'include the demo test host (npm run demo)' },
  },

  async run({ args, out, services, web }) {
    const demo = booleanOption(args, 'demo');
    const panel = await web.start(
      {
        mode: stringOption(args, 'mode'),
        host: stringOption(args, 'host'),
        port: stringOption(args, 'port'),
        basePath: stringOption(args, 'base-path'),
        tokenSecretFile: stringOption(args, 'token-secret-file'),
        passwordHashFile: stringOption(args, 'password-hash-file'),
      },
      () => services({ demo }),
      (line) => out.text(line),
    );
    // Opened by start() already; this returns the same services.
    const opened = await services();
    if (demo && panel.loginUrl) {
      const demoDomains = opened.servers.find('demo') ? 'healthy, multi, idle, custompath and plainhttp .demo.test' : null;
      if (demoDomains) out.text(`Demo host: ${demoDomains}, real Socket.IO apps under Apache + Passenger on this machine.`);
      out.text(
        'Next: open the link, click multi.demo.test, press "Make Socket.IO safe", confirm, and watch it verify. Ctrl+C stops the panel.',
      );
    }
    const stop = (): void => {
      void panel
        .close()
        .then(() => opened.close())
        .then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
};
