/**
 * dependency-cruiser reporter for `npm run deps`: each breach with the rule's advice, then one line that
 * counts circles and layer violations (a circle is counted once, not once per module on it).
 */

/** The rule-name prefix in .dependency-cruiser.cjs says which count a breach goes to. */
function kindOf(ruleName) {
  if (ruleName.startsWith('circle:')) return 'circle';
  if (ruleName.startsWith('layer:') || ruleName.startsWith('foundation:') || ruleName.startsWith('root:')) return 'layer';
  return 'other';
}

/** The same cycle is found from each of its modules: start it at its smallest module to compare. */
function cycleKey(violation) {
  const names = [violation.from, ...(violation.cycle ?? []).map((step) => step.name)];
  const ring = names.slice(0, -1);
  const start = ring.indexOf([...ring].sort()[0]);
  return [...ring.slice(start), ...ring.slice(0, start)].join(' -> ');
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

export default function summaryReporter(result) {
  const { summary } = result;
  const comments = new Map((summary.ruleSetUsed?.forbidden ?? []).map((rule) => [rule.name, rule.comment]));
  const lines = [];
  const circles = new Set();
  let layer = 0;
  let other = 0;
  const explained = new Set();
  for (const violation of summary.violations) {
    const rule = violation.rule.name;
    const kind = kindOf(rule);
    if (kind === 'circle') {
      const key = cycleKey(violation);
      if (circles.has(key)) continue;
      circles.add(key);
      lines.push(`  circle  ${key} -> ${key.split(' -> ')[0]}`);
    } else {
      if (kind === 'layer') layer += 1;
      else other += 1;
      lines.push(`  ${kind.padEnd(6)}  ${violation.from} -> ${violation.to}  (${rule})`);
    }
    if (!explained.has(rule) && comments.get(rule)) {
      explained.add(rule);
      lines.push(`          fix: ${comments.get(rule)}`);
    }
  }
  const total = circles.size + layer + other;
  lines.push(
    `deps: ${summary.totalCruised} modules, ${summary.totalDependenciesCruised} imports checked: ` +
      `${plural(circles.size, 'circle', 'circles')}, ${plural(layer, 'layer violation', 'layer violations')}, ` +
      `${plural(other, 'other violation', 'other violations')}`,
  );
  return { output: `${lines.join('\n')}\n`, exitCode: total === 0 ? 0 : 1 };
}
