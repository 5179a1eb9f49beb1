import type { EventSink, StepEvent } from '../events.js';

/**
 * The journal calls the change flow makes (store/journal.ts implements them). Kept as a port so
 * jobs/ states exactly what it needs from the store.
 */
export interface JournalPort {
  createChange(entry: { server: string; domain: string; actor: string; kind: string; request: unknown; jobId?: string }): { id: string };
  updateChange(
    id: string,
    patch: { plan?: unknown; diff?: string; status?: string; verdict?: string | null; checkpointId?: string; endedAt?: string },
  ): unknown;
  saveCheckpoint(cp: {
    server: string;
    domain: string;
    reason?: string;
    files: Array<{
      path: string;
      existed: boolean;
      content: string | null;
      sha256: string | null;
      encoding?: 'utf8' | 'latin1';
      mode?: string;
    }>;
  }): { id: string };
  getCheckpoint(
    id: string,
  ):
    | {
        id: string;
        server: string;
        domain: string | null;
        createdAt: string;
        files: Array<{ path: string; existed: boolean; content: string | null; sha256: string | null; encoding?: 'utf8' | 'latin1' }>;
      }
    | undefined;
  listCheckpoints(server: string, domain: string): Array<{ id: string; createdAt: string }>;
  sinkFor(owner: { changeId: string }, forward?: EventSink): EventSink;
  events(owner: { changeId: string }): StepEvent[];
  listChanges(filter: {
    server?: string;
    domain?: string;
    limit?: number;
  }): Array<{
    id: string;
    kind: string;
    actor: string;
    status: string;
    verdict?: string | null;
    createdAt: string;
    checkpointId?: string | null;
    diff?: string | null;
  }>;
}
