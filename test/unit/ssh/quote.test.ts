import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { ValidationError } from '../../../backend/src/errors.js';
import { quoteArg, shellQuote, shScript } from '../../../backend/src/ssh/quote.js';

// Runs a command line through a real POSIX shell and returns the argv the shell handed to printf.
function argvAfterShell(commandLine: string): string[] {
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${commandLine}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  const nasty = [
    '',
    ' ',
    "it's",
    "''",
    '"double"',
    '$(touch /tmp/pp-quote-pwned)',
    '`id`',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion the quoting must neutralise
    '${HOME}',
    '$HOME',
    'a\nb',
    'line1\r\nline2\n',
    '; rm -rf /',
    '&& echo x',
    '| cat',
    '> /tmp/x',
    '*',
    '~',
    '-n',
    '--',
    '\\',
    "'\\''",
    'tab\there',
    'é ünïcode ✓',
    '#comment',
    '!bang',
    '{a,b}',
    '\x01\x1b[31m',
  ];

  it('round-trips every nasty argument through a real sh unchanged', () => {
    expect(argvAfterShell(shellQuote(nasty))).to.deep.equal(nasty);
  });

  it('never lets a command substitution run', () => {
    argvAfterShell(shellQuote(['$(touch /tmp/pp-quote-pwned)', '`touch /tmp/pp-quote-pwned`']));
    expect(() => execFileSync('test', ['-e', '/tmp/pp-quote-pwned'])).to.throw();
  });

  it('leaves harmless words bare and quotes the rest', () => {
    expect(shellQuote(['passenger-config', 'restart-app', '/var/www/vhosts/a.test/httpdocs'])).to.equal(
      'passenger-config restart-app /var/www/vhosts/a.test/httpdocs',
    );
    expect(quoteArg('')).to.equal("''");
    expect(quoteArg("it's")).to.equal(`'it'\\''s'`);
    expect(quoteArg('a b')).to.equal("'a b'");
  });

  it('refuses an empty argv and NUL bytes', () => {
    expect(() => shellQuote([])).to.throw(ValidationError, /at least one argument/);
    expect(() => shellQuote(['a\0b'])).to.throw(ValidationError, /NUL/);
  });

  it('shScript passes values as positional parameters, not as script text', () => {
    const argv = shScript('printf "%s|" "$@"', ['$(id)', "x'y", '']);
    expect(argv.slice(0, 2)).to.deep.equal(['sh', '-c']);
    const out = execFileSync('sh', ['-c', shellQuote(argv)], { encoding: 'utf8' });
    expect(out).to.equal("$(id)|x'y||");
  });
});
