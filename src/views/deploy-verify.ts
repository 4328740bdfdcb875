/** `/deploy-verify` answer: the verdict and its reasons first, then one section per target. */
import type { KnownBlock } from '@slack/types';
import type { TargetVerdict, VerifyReport } from '../domain/deploy-verify.js';
import { shortRevision } from '../domain/status.js';
import { actions as ids } from '../ids.js';
import {
  button,
  capBlocks,
  context,
  divider,
  esc,
  escLine,
  fitLines,
  fitMessage,
  header,
  healthEmoji,
  link,
  section,
} from './common.js';
import { logsButtons } from './logs.js';

const verdictEmoji = { PASS: ':white_check_mark:', FAIL: ':x:', UNKNOWN: ':grey_question:' } as const;

function targetText(t: TargetVerdict): string {
  const lines = t.checks.map(
    (c) => `${healthEmoji[c.health]} ${escLine(c.label, 100)}: ${escLine(c.detail, 300)}`,
  );
  return `${healthEmoji[t.health]} *${link(t.link, t.name)}* _(${t.kind})_\n${fitLines(lines, { maxLines: 8, maxChars: 2600 })}`;
}

export function deployVerifyMessage(
  report: VerifyReport,
  opts: { withRollback?: boolean } = {},
): KnownBlock[] {
  const blocks: KnownBlock[] = [header(`Deploy verification: ${report.verdict}`)];
  const reasons = report.reasons.length
    ? `\n${fitLines(
        report.reasons.map((r) => `• ${escLine(r, 300)}`),
        { maxLines: 10, maxChars: 2700 },
      )}`
    : '\nEvery revision is ready, serving all traffic, with no crash signatures since it went live.';
  blocks.push(section(`${verdictEmoji[report.verdict]} *${report.verdict}*${reasons}`));
  // Failing targets first; healthy ones summarized when there are many.
  const order = { fail: 0, unknown: 1, warn: 2, ok: 3 } as const;
  const targets = [...report.targets].sort((a, b) => order[a.health] - order[b.health]);
  const shown = targets.length > 20 ? targets.filter((t) => t.health !== 'ok').slice(0, 20) : targets;
  const sectionAt = new Map<number, string>();
  for (const t of shown) {
    blocks.push(divider());
    sectionAt.set(blocks.length, t.name);
    const block = section(targetText(t));
    if (opts.withRollback !== false && t.rollbackTo) {
      block.accessory = button(
        `Roll back to ${shortRevision(t.name, t.rollbackTo)}`,
        ids.rollback,
        JSON.stringify({ service: t.name, to: t.rollbackTo }),
        {
          style: 'danger',
        },
      );
    }
    blocks.push(block);
  }
  const hidden = targets.filter((t) => !shown.includes(t));
  const hiddenFailing = hidden.filter((t) => t.health !== 'ok').length;
  if (hidden.length > 0) {
    blocks.push(
      context(
        hiddenFailing > 0
          ? `:warning: _and ${hidden.length} more not shown, ${hiddenFailing} of them not passing: \`/deploy-verify &lt;name&gt;\` checks one_`
          : `${healthEmoji.ok} _and ${hidden.length} more passing_`,
      ),
    );
  }
  blocks.push(context(`checked ${report.generatedAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`));
  const logs = logsButtons(
    targets.filter((t) => t.health === 'fail').map((t) => ({ kind: t.kind, name: t.name })),
  );
  if (logs) blocks.push(logs);
  return fitMessage(capBlocks(blocks), {
    more: (n, i) =>
      `_…and ${n} more not shown here (message size limit)${sectionAt.has(i) ? `: \`/deploy-verify ${esc(sectionAt.get(i)!)}\` shows them` : ''}_`,
  });
}

export function deployVerifyFallback(report: VerifyReport): string {
  return `Deploy verification ${report.verdict}${report.reasons.length ? `: ${report.reasons.length} problems` : ''}`;
}
