import type { Command } from './command.js';

/** `passenger-panel hash-password < file`: prints the scrypt hash for `serve --password-hash-file`. */
export const hashPasswordCommand: Command = {
  name: 'hash-password',
  summary: 'read an admin password on stdin and print its scrypt hash for serve --password-hash-file',
  usage: 'hash-password < password-file',

  async run({ out, web }) {
    if (process.stdin.isTTY) out.note('Type the password (at least 12 characters), then Enter and Ctrl-D:');
    out.text(await web.hashPassword(process.stdin));
  },
};
