/** One timestamped step of a job, a change or a verification; the UI, the CLI and the journal all show these. */
export interface StepEvent {
  at: string;
  step: string;
  status: 'start' | 'ok' | 'fail' | 'info';
  message: string;
  domain?: string;
  server?: string;
  data?: unknown;
}

export type EventSink = (event: StepEvent) => void;

export function stepEvent(step: string, status: StepEvent['status'], message: string, extra: Partial<StepEvent> = {}): StepEvent {
  return { at: new Date().toISOString(), step, status, message, ...extra };
}

export const ignoreEvents: EventSink = () => {};
