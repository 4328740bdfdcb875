/** Backfill progress: a bar of dates done, elapsed time, the execution's console link; and the watchdog's alarm. */
import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../domain/backfill-plan.js';
import type { BackfillProgress } from '../domain/ports.js';
import type { GuardedRequest } from '../domain/requests.js';
import { actions as ids } from '../ids.js';
import { actions, button, context, esc, link, mention, section } from './common.js';

export function progressBar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `${'▓'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** One line for the progress message: `▓▓▓░░ 2/3 dates · 1 min elapsed · execution`. */
export function backfillProgressLine(p: BackfillProgress): string {
  const extra = [
    p.failed ? `${p.failed} failed` : '',
    p.cancelled ? `${p.cancelled} cancelled` : '',
    p.running ? `${p.running} running` : '',
  ].filter(Boolean);
  const elapsed = formatDuration(p.elapsedMs).replace(/^about /, '');
  return `\`${progressBar(p.done, p.total)}\` *${p.done}/${p.total}* dates · ${elapsed} elapsed${extra.length ? ` · ${extra.join(', ')}` : ''} · ${link(p.consoleUrl, `execution ${p.execution}`)}${p.outcome ? ` · ${esc(p.outcome)}` : ''}`;
}

/** The watchdog's message in the thread: no progress for a while; offers Cancel. */
export function stallMessage(r: GuardedRequest, p: BackfillProgress, stallMinutes: number): KnownBlock[] {
  return [
    section(
      `:rotating_light: ${mention(r.requester)} the backfill has made no progress for ${stallMinutes} min: ${p.done}/${p.total} dates done, ${p.running} still running, ${link(p.consoleUrl, `execution ${p.execution}`)}.`,
    ),
    actions('stall', [
      button('Cancel the backfill', ids.cancel, JSON.stringify({ id: r.id, hash: r.planHash }), {
        style: 'danger',
        confirm: {
          title: 'Cancel?',
          text: 'Cancel the Cloud Run execution and stop this backfill?',
          confirm: 'Cancel it',
          deny: 'Keep waiting',
        },
      }),
    ]),
    context('The watchdog keeps watching: this message comes once per stall.'),
  ];
}
