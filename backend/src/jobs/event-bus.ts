import { EventEmitter } from 'node:events';
import type { StepEvent } from '../events.js';

/** One step of a job, tagged with the job it belongs to, as seen by subscribers (web sockets, CLI progress). */
export interface JobEvent extends StepEvent {
  jobId: string;
}

export type JobEventListener = (event: JobEvent) => void;

/**
 * In-process fan-out of job events. The runner publishes every step here (and to the store);
 * the web helper subscribes per job or to all jobs. A listener that throws must not break the job,
 * so errors from listeners are swallowed and counted.
 */
export class JobEventBus {
  private readonly emitter = new EventEmitter();
  private listenerErrors = 0;

  constructor() {
    // Many browser tabs may watch one job; the default warning at 10 would be noise, not a leak signal.
    this.emitter.setMaxListeners(0);
  }

  publish(event: JobEvent): void {
    for (const channel of [`job:${event.jobId}`, 'job:*']) {
      for (const listener of this.emitter.listeners(channel) as JobEventListener[]) {
        try {
          listener(event);
        } catch {
          this.listenerErrors += 1;
        }
      }
    }
  }

  /** Subscribe to one job's events; returns the function that unsubscribes. */
  subscribe(jobId: string, listener: JobEventListener): () => void {
    const channel = `job:${jobId}`;
    this.emitter.on(channel, listener);
    return () => this.emitter.off(channel, listener);
  }

  /** Subscribe to every job's events (job list pages, metrics). */
  subscribeAll(listener: JobEventListener): () => void {
    this.emitter.on('job:*', listener);
    return () => this.emitter.off('job:*', listener);
  }

  get failedListenerCalls(): number {
    return this.listenerErrors;
  }
}
