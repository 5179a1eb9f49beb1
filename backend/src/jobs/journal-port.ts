import type { CheckpointRows } from '../apply/checkpoints.js';
import type { EventSink, StepEvent } from '../events.js';
import type { DomainState } from '../store/states.js';

/**
 * The journal calls the change flow makes (store/journal.ts implements them). Kept as a port so
 * jobs/ states exactly what it needs from the store.
 */
export interface JournalPort extends CheckpointRows {
  createChange(entry: {
    server: string;
    domain: string;
    actor: string;
    kind: string;
    request: unknown;
    jobId?: string;
    plan?: unknown;
    diff?: string;
    status?: DomainState;
  }): { id: string };
  updateChange(
    id: string,
    patch: { plan?: unknown; diff?: string; status?: DomainState; verdict?: string | null; checkpointId?: string; endedAt?: string },
  ): unknown;
  sinkFor(owner: { changeId: string }, forward?: EventSink): EventSink;
  addEvent(owner: { changeId: string } | { jobId: string }, event: StepEvent): unknown;
  events(owner: { changeId: string }): StepEvent[];
  listChanges(filter: { server?: string; domain?: string; limit?: number }): Array<{
    id: string;
    kind: string;
    actor: string;
    status: DomainState;
    verdict?: string | null;
    createdAt: string;
    checkpointId?: string | null;
    diff?: string | null;
  }>;
}
