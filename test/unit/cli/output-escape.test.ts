import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { escapeControls, Output } from '../../../backend/src/cli/output.js';

describe('CLI output never passes a control character to the terminal', () => {
  it('shows escape sequences, carriage returns and C1 controls as visible \\xHH, keeping newlines and tabs', () => {
    expect(escapeControls('a\x1b[2J\x1b]0;owned\x07b')).to.equal('a\\x1b[2J\\x1b]0;owned\\x07b');
    expect(escapeControls('PassengerMaxInstances 9\rPassengerStickySessions on')).to.equal(
      'PassengerMaxInstances 9\\x0dPassengerStickySessions on',
    );
    expect(escapeControls('\x9b31m\x7f')).to.equal('\\x9b31m\\x7f');
    expect(escapeControls('line one\n\tline two\r\n')).to.equal('line one\n\tline two\r\n');
  });

  it('applies to text, notes and events alike (a hostile .htaccess in a diff, an error message)', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = new Output({ json: false, stdout, stderr });
    out.text('+# \x1b[8mhidden\n');
    out.note('refused: \x1b[31mred');
    out.event({ at: '2026-12-06T16:00:00.000Z', step: 'write', status: 'ok', message: 'done \x1b[1A' });
    const written = `${stdout.read()?.toString() ?? ''}${stderr.read()?.toString() ?? ''}`;
    expect(written).to.not.include('\x1b');
    expect(written).to.include('\\x1b[8mhidden').and.include('\\x1b[31mred').and.include('\\x1b[1A');
  });
});
