import { hostname } from 'node:os';
import { type StepEvent, stepEvent } from '../events.js';
import type { JobsRepository } from '../store/jobs.js';
import type { JournalRepository } from '../store/journal.js';
import type { DomainState, RunnerMark, ServerCounters } from './bulk-model.js';
import type { JobEventBus } from './event-bus.js';

const FAIL_STATES = new Set<DomainState>(['failed', 'rollback-failed', 'conflict', 'refused']);

export function domainKey(server: string, domain: string): string {
  return `${server}\u0000${domain}`;
}

export function runnerMark(): RunnerMark {
  return { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
}

export function newCounters(server: string): ServerCounters {
  return { server, configTests: 0, reloads: 0, regenerations: 0, batches: 0, verified: 0, failed: 0, wallMs: 0, verifyMs: 0 };
}

/**
 * The durable record of one job while it runs: each domain's state in the store, every event journaled
 * under the job and published live. Every part of a job writes through here, so what a page, the CLI or
 * a later resume reads is what happened.
 */
export class JobBook {
  constructor(
    readonly jobId: string,
    private readonly deps: { jobs: JobsRepository; journal: JournalRepository; bus: JobEventBus },
  ) {}

  emit(event: StepEvent): void {
    this.deps.journal.addEvent({ jobId: this.jobId }, event);
    this.deps.bus.publish({ ...event, jobId: this.jobId });
  }

  setState(server: string, domain: string, state: DomainState, message?: string, changeId?: string): void {
    this.deps.jobs.setDomainState(this.jobId, server, domain, state, {
      ...(message ? { message } : {}),
      ...(changeId ? { changeId } : {}),
    });
    const status = FAIL_STATES.has(state) ? 'fail' : state === 'verified' || state === 'applied' ? 'ok' : 'info';
    this.emit(stepEvent('domain', status, `${domain}: ${state}${message ? ` (${message})` : ''}`, { server, domain, data: { state } }));
  }

  states(): Map<string, string> {
    return new Map(this.deps.jobs.domainStates(this.jobId).map((s) => [domainKey(s.server, s.domain), s.state]));
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const s of this.deps.jobs.domainStates(this.jobId)) counts[s.state] = (counts[s.state] ?? 0) + 1;
    return counts;
  }
}
