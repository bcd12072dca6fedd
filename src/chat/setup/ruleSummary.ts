import type { AlertRuleConfig } from '../../config/schema.js';
import { formatDuration, formatRate } from '../../report/format.js';

/** A rule in one line, as the settings list it: "drop · acme-retail · graph · min 200 sent · floor 90.0% · normal". */
export function describeRule(rule: AlertRuleConfig): string {
  if (rule.kind === 'health') return `health · ${rule.account} · reminds every ${formatDuration(rule.remindEvery)}`;
  const scope = [
    ...(rule.scope?.phoneNumbers?.length ? [`numbers ${rule.scope.phoneNumbers.join(', ')}`] : []),
    ...(rule.scope?.countries?.length ? [`countries ${rule.scope.countries.join(', ')}`] : []),
  ];
  return [
    `drop · ${rule.account}`,
    rule.source,
    ...scope,
    `min ${rule.minSent} sent`,
    ...(rule.rateFloor !== undefined ? [`floor ${formatRate(rule.rateFloor)}`] : []),
    `${rule.sensitivity} sensitivity`,
    rule.drillDown.length ? `by ${rule.drillDown.join(' and ')}` : 'no drill-down',
  ].join(' · ');
}
