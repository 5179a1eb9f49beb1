import { expect } from 'chai';
import fc from 'fast-check';
import { ValidationError } from '../../../backend/src/errors.js';
import { parseApacheConfig } from '../../../backend/src/passenger/apache-parser.js';
import { CATALOG, type DirectiveSpec, type DirectiveType, directiveName } from '../../../backend/src/passenger/catalog.js';
import { parseNginxConfig } from '../../../backend/src/passenger/nginx-parser.js';
import { checkValue, parseValue, type Placement, renderDirective } from '../../../backend/src/passenger/value-check.js';
import { tally } from './tally.js';

const RUNS_PER_TYPE = 2000;

/** Pieces hostile values are built from: valid words, syntax of both servers, control and look-alike characters. */
const FRAGMENTS = [
  ...['on', 'off', 'yes', 'No', '1', '0', '-1', '+7', '42', '256', '99999999999999999', '1e3', '0x10', '１'],
  ...['production', 'node', 'rack', 'NODE', '/var/www/app', 'app.js', '..', '/', './', 'pp_route', 'a b'],
  ...['SameSite=Lax', 'SameSite=None', 'samesite=strict', 'Secure', 'HttpOnly', 'Partitioned', 'Max-Age=60', 'Domain=example.com'],
  ...[';', '; ', ' ', '\t', '\n', '\r', '\r\n', '"', "'", '\\', '`', '<', '>', '{', '}', '$', '$\u007bx}', '#', '=', '%', '@', ':', ','],
  ...['</IfModule>', '<Directory />', '} server {', 'include /etc/passwd;', '# comment', '\\\n'],
  ...['\u0000', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u00a0', '\u2028', '\u202e', 'é', 'ｏｎ', 'Ꮪecure', '\ud83d\ude00'],
];

const hostileString = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 6 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...'aZ09._-/=;: "\'<>{}#\\$\n'), maxLength: 30 }),
  fc.integer().map(String),
  fc.string({ minLength: 1000, maxLength: 1100, unit: fc.constantFrom('a', 'b', '.') }),
);

/** Values close to valid ones for each type, so the accepting branch of the property is exercised as well. */
const NEAR_VALID: Record<DirectiveType, fc.Arbitrary<string>> = {
  boolean: fc.constantFrom('on', 'OFF', 'true', 'No', 'yes', '1', '0'),
  integer: fc.integer({ min: -5, max: 100_000 }).map(String),
  string: fc.constantFrom('node', 'Rack', 'production', 'staging-2', 'pp_route', 'a.b-c', 'with space', 'x,y=z'),
  path: fc.constantFrom('/var/www/vhosts/a.test/httpdocs', 'app.js', '/opt/plesk/node/20/bin/node', 'node', 'tmp/restart', '/a b/c'),
  cookieAttributes: fc
    .subarray(['SameSite=Lax', 'Secure', 'HttpOnly', 'Partitioned', 'Max-Age=3600', 'Domain=.example.com'], { minLength: 1 })
    .map((parts) => parts.join('; ')),
};

function valuesFor(type: DirectiveType): fc.Arbitrary<string> {
  const padded = fc
    .tuple(fc.constantFrom('', ' ', '  '), NEAR_VALID[type], fc.constantFrom('', ' ', ';', ' #x', '\n', '"'))
    .map(([before, value, after]) => `${before}${value}${after}`);
  return fc.oneof({ arbitrary: hostileString, weight: 3 }, { arbitrary: padded, weight: 1 });
}

interface Target {
  spec: DirectiveSpec;
  placement: Placement;
}

/** Each usable directive of a type, once under Apache (its vhost when allowed) and once under nginx. */
function targetsOf(type: DirectiveType): Target[] {
  const out: Target[] = [];
  for (const spec of CATALOG.filter((s) => s.type === type && !s.enterpriseOnly)) {
    const apache = spec.contexts.apache.includes('vhost') ? 'vhost' : spec.contexts.apache[0];
    if (apache) out.push({ spec, placement: { server: 'apache', context: apache } });
    const nginx = spec.contexts.nginx.includes('server') ? 'server' : spec.contexts.nginx[0];
    if (nginx) out.push({ spec, placement: { server: 'nginx', context: nginx } });
  }
  return out;
}

/** Parses the rendered line inside a block and returns the one directive found, failing on any problem. */
function parseBack(line: string, server: 'apache' | 'nginx') {
  const text = server === 'apache' ? `<IfModule mod_passenger.c>\n    ${line}\n</IfModule>\n` : `location /app {\n    ${line}\n}\n`;
  const parsed = server === 'apache' ? parseApacheConfig(text) : parseNginxConfig(text);
  expect(parsed.problems, `problems parsing ${JSON.stringify(text)}`).to.deep.equal([]);
  expect(parsed.items.map((i) => i.kind)).to.deep.equal(['blockOpen', 'directive', 'blockClose']);
  expect(parsed.directives).to.have.length(1);
  const directive = parsed.directives[0]!;
  expect(directive.blocks.map((b) => b.name)).to.deep.equal([server === 'apache' ? 'IfModule' : 'location']);
  return directive;
}

function plainValue(value: boolean | number | string): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

describe('hostile input: the value renderer (property)', () => {
  const types: DirectiveType[] = ['boolean', 'integer', 'string', 'path', 'cookieAttributes'];
  for (const type of types) {
    it(`${type}: any string is refused with a ValidationError naming the directive, or renders one line that parses back to itself (${RUNS_PER_TYPE} cases)`, () => {
      const targets = targetsOf(type);
      expect(targets, `no usable ${type} directive`).to.not.be.empty;
      let accepted = 0;
      fc.assert(
        fc.property(fc.constantFrom(...targets), valuesFor(type), ({ spec, placement }, raw) => {
          let checked: ReturnType<typeof checkValue>;
          try {
            checked = checkValue(spec.key, raw, placement);
          } catch (err) {
            expect(err).to.be.instanceOf(ValidationError);
            const refusal = err as ValidationError;
            expect(refusal.field).to.equal(spec.key);
            expect(refusal.message).to.include(spec.key);
            expect(refusal.hint, 'a refusal says what to do').to.be.a('string').and.not.empty;
            return;
          }
          accepted += 1;
          const line = renderDirective(checked, placement.server);
          expect(line).to.match(/^[\x20-\x7e]+$/, 'one line of printable ASCII');
          expect(line).to.not.match(/[<>{}\\]/, 'nothing that opens or closes a block or escapes');
          const unquoted = line.replace(/"[^"]*"/g, '""');
          expect(unquoted.indexOf(';'), 'an unquoted ";" only ends an nginx line').to.equal(
            placement.server === 'nginx' ? unquoted.length - 1 : -1,
          );
          const directive = parseBack(line, placement.server);
          expect(directive.name).to.equal(directiveName(spec, placement.server));
          expect(directive.key).to.equal(spec.key);
          expect(directive.args).to.deep.equal([plainValue(checked.value)]);
          // What is read back from the file passes the same checks and means the same value.
          expect(parseValue(spec, directive.args[0]!).value).to.deep.equal(checked.value);
        }),
        { numRuns: RUNS_PER_TYPE },
      );
      tally('renderer', RUNS_PER_TYPE);
      // The property must not hold only because everything was refused.
      expect(accepted, `accepted ${type} values`).to.be.greaterThan(RUNS_PER_TYPE / 20);
    });
  }
});
