/** The shapes diagnosis produces: findings with their reasons, and a verdict per domain. */

export type Severity = 'info' | 'warning' | 'critical';
export type Verdict = 'safe' | 'at-risk' | 'broken';

export interface Finding {
  /** Stable id, e.g. `several-processes-no-sticky`; tests and the UI key on it. */
  id: string;
  severity: Severity;
  title: string;
  /** What was seen and where: the directive, its file and line, or the process list. */
  evidence: string;
  /** What to do about it, in one or two sentences. */
  fix: string;
}

const severityRank: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** critical -> broken (the web server or the app will fail), warning -> at risk, otherwise safe. */
export function verdictOf(findings: readonly Finding[]): Verdict {
  const worst = findings.reduce((max, f) => Math.max(max, severityRank[f.severity]), 0);
  return worst === 2 ? 'broken' : worst === 1 ? 'at-risk' : 'safe';
}

/** Most severe first; equal severities keep their order (rules run most important first). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => severityRank[b.severity] - severityRank[a.severity]);
}
