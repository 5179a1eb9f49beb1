import { expect } from 'chai';
import { parseNginxConfig } from '../../../backend/src/passenger/nginx-parser.js';
import { readFixture } from './fixture-path.js';

describe('nginx directive parser', () => {
  it('reads locations, if blocks, quoting, variables, comments and the managed block', () => {
    const parsed = parseNginxConfig(readFixture('config/nested-nginx.conf'), { file: 'vhost_nginx.conf' });
    expect(parsed.problems).to.deep.equal([]);
    const find = (n: string) => parsed.directives.find((d) => d.name === n)!;

    const enabled = find('passenger_enabled');
    expect(enabled.args).to.deep.equal(['on']);
    expect(enabled.blocks).to.deep.equal([{ name: 'location', args: ['/app/'], line: 3 }]);
    expect(enabled.key).to.equal('passenger_enabled');
    expect(find('passenger_sticky_sessions_cookie_attributes').args).to.deep.equal(['SameSite=Lax; Secure;']);
    expect(find('add_header').blocks.map((b) => b.name)).to.deep.equal(['location', 'if']);
    expect(find('add_header').blocks[1]!.args).to.deep.equal(['($http_x_debug)']);
    expect(find('expires').blocks[1]!.args).to.deep.equal(['~', '\\.(css|js)$']);
    expect(find('set').args).to.deep.equal(['$greeting', 'a;b{c}']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an nginx variable, kept literally by the parser
    expect(find('proxy_set_header').args).to.deep.equal(['X-Greet', '${greeting}x']);

    const min = find('passenger_min_instances');
    expect([min.line, min.endLine]).to.deep.equal([17, 18]);
    expect(min.args).to.deep.equal(['2']);
    expect(min.raw).to.equal('passenger_min_instances\n    2;');
    expect(parsed.directives.filter((d) => d.inManagedBlock).map((d) => d.name)).to.deep.equal([
      'passenger_sticky_sessions',
      'passenger_min_instances',
    ]);
    expect(find('passenger_pool_idle_time').inManagedBlock).to.equal(false);
    expect(find('passenger_pool_idle_time').file).to.equal('vhost_nginx.conf');
    expect(parsed.items.filter((i) => i.kind === 'comment').map((i) => i.raw)).to.include('# trailing comment');
  });

  it('treats names case-sensitively and resolves escapes in quoted strings', () => {
    const parsed = parseNginxConfig('Passenger_Enabled on;\nadd_header X "a\\"b\\\\c";\r\nadd_header Y \'d;e\';\r\n');
    expect(parsed.directives[0]!.key).to.equal(undefined);
    expect(parsed.directives[1]!.args).to.deep.equal(['X', 'a"b\\c']);
    expect(parsed.directives[2]!.args).to.deep.equal(['Y', 'd;e']);
    expect(parsed.directives[2]!.line).to.equal(3);
  });

  it('reports stray braces, unclosed blocks and missing semicolons but keeps the text', () => {
    const parsed = parseNginxConfig('}\nlocation / {\n  passenger_enabled on\n');
    expect(parsed.problems.map((p) => p.message)).to.deep.equal([
      '"}" has no matching "{"',
      '"passenger_enabled" is not ended by ";" or "{"',
      'block "location" is never closed',
    ]);
    expect(parsed.items.filter((i) => i.kind === 'unknown').map((i) => i.raw)).to.deep.equal(['}', 'passenger_enabled on']);
    expect(parseNginxConfig('add_header X "open;\n').problems[0]!.message).to.contain('not closed');
  });

  it('handles empty input and no final newline', () => {
    expect(parseNginxConfig('').directives).to.deep.equal([]);
    expect(parseNginxConfig('passenger_sticky_sessions on;').directives[0]!.args).to.deep.equal(['on']);
  });
});
