import { expect } from 'chai';
import { ValidationError } from '../../../backend/src/errors.js';
import { editableDirectives, readEditForm, readRequest } from '../../../backend/src/web/domain-model.js';
import { buildJobModel, domainStateClass } from '../../../backend/src/web/job-model.js';

const apacheWithHtaccess = { mode: 'apache' as const, htaccessOverrides: true };
const nginxDomain = { mode: 'nginx' as const, htaccessOverrides: false };

describe('web: domain edit form', () => {
  it('offers only per-domain knobs: no identity, server-wide or Enterprise-only directive', () => {
    const keys = editableDirectives(apacheWithHtaccess).map((s) => s.key);
    expect(keys).to.include.members([
      'passenger_sticky_sessions',
      'passenger_min_instances',
      'passenger_max_requests',
      'passenger_sticky_sessions_cookie_attributes',
    ]);
    for (const never of [
      'passenger_app_root',
      'passenger_pool_idle_time',
      'passenger_max_pool_size',
      'passenger_max_instances',
      'passenger_memory_limit',
    ])
      expect(keys).not.to.include(never);
    // Apache's integration has no abort-websockets directive; nginx has.
    expect(keys).not.to.include('passenger_abort_websockets_on_process_shutdown');
    expect(editableDirectives(nginxDomain).map((s) => s.key)).to.include('passenger_abort_websockets_on_process_shutdown');
  });

  it('turns valid fields into typed settings and leaves empty fields out', () => {
    const { form, settings } = readEditForm(
      { 'set.passenger_min_instances': ' 1 ', 'set.passenger_sticky_sessions': 'on', 'set.passenger_max_requests': '' },
      apacheWithHtaccess,
    );
    expect(form.errors).to.deep.equal({});
    expect(settings).to.deep.equal([
      { key: 'passenger_sticky_sessions', value: true },
      { key: 'passenger_min_instances', value: 1 },
    ]);
  });

  it('puts each refusal beside its own field and keeps what was typed', () => {
    const { form, settings } = readEditForm(
      {
        'set.passenger_min_instances': 'lots',
        'set.passenger_max_requests': '-5',
        'set.passenger_sticky_sessions_cookie_attributes': 'SameSite=Lax"; evil',
        'set.passenger_sticky_sessions': 'on',
        'unset.passenger_sticky_sessions': '1',
      },
      apacheWithHtaccess,
    );
    expect(Object.keys(form.errors).sort()).to.deep.equal([
      'passenger_max_requests',
      'passenger_min_instances',
      'passenger_sticky_sessions',
      'passenger_sticky_sessions_cookie_attributes',
    ]);
    expect(form.errors.passenger_min_instances).to.match(/whole number/);
    expect(form.errors.passenger_max_requests).to.match(/range/);
    expect(form.errors.passenger_sticky_sessions).to.match(/not both/);
    expect(form.values.passenger_min_instances).to.equal('lots');
    expect(settings).to.deep.equal([]);
  });

  it('a ticked "remove" asks to take the panel line out (value null)', () => {
    const { settings } = readEditForm({ 'unset.passenger_min_instances': '1' }, apacheWithHtaccess);
    expect(settings).to.deep.equal([{ key: 'passenger_min_instances', value: null }]);
  });

  it('reads the action of the plan/confirm forms; an empty edit is refused with a form-level error', () => {
    expect(readRequest({ action: 'profile' }, apacheWithHtaccess).request).to.deep.equal({ kind: 'profile', profile: 'socketio-safe' });
    expect(readRequest({ action: 'rollback' }, apacheWithHtaccess).request).to.deep.equal({ kind: 'rollback' });
    const empty = readRequest({ action: 'set' }, apacheWithHtaccess);
    expect(empty.request).to.equal(null);
    expect(empty.form.errors._form).to.match(/at least one field/);
    expect(() => readRequest({ action: 'format-disk' }, apacheWithHtaccess)).to.throw(ValidationError);
  });
});

describe('web: job page model', () => {
  it('counts done, failed and running domains and derives the progress', () => {
    const model = buildJobModel(
      { id: 'job_1', kind: 'bulk', domains: ['a.test', 'b.test', 'c.test', 'd.test'] },
      {
        id: 'job_1',
        kind: 'bulk',
        status: 'running',
        actor: 'admin',
        createdAt: '2026-12-04T20:00:00.000Z',
        endedAt: null,
        domains: [
          { server: 's1', domain: 'a.test', state: 'verified', message: null },
          { server: 's1', domain: 'b.test', state: 'rolled-back', message: 'probe failed' },
          { server: 's2', domain: 'c.test', state: 'verifying', message: null },
          { server: 's2', domain: 'd.test', state: 'planned', message: null },
        ],
      },
      '/base',
    );
    expect(model.counts).to.deep.equal({ total: 4, ok: 1, failed: 1, running: 2 });
    expect(model.percent).to.equal(50);
    expect(model.job.ended).to.equal(false);
    expect(model.domains[0]?.href).to.equal('/base/domains/a.test');
  });

  it('classifies the states single and bulk jobs use', () => {
    expect(['verified', 'nothing-to-do', 'applied'].map(domainStateClass)).to.deep.equal(['ok', 'ok', 'ok']);
    expect(['rolled-back', 'rollback-failed', 'refused', 'conflict'].map(domainStateClass)).to.deep.equal(['fail', 'fail', 'fail', 'fail']);
    expect(['planned', 'writing', 'running'].map(domainStateClass)).to.deep.equal(['running', 'running', 'running']);
  });
});
