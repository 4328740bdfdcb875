/** The App Home tab: what the bot does, and the guarded actions of late with their state. */
import type { HomeView, KnownBlock } from '@slack/types';
import type { AlertGroupView } from '../domain/alerts.js';
import type { GuardedRequest, RequestState } from '../domain/requests.js';
import { openAlertsText } from './alerts.js';
import { capBlocks, context, divider, esc, escLine, fitLines, header, mention, section } from './common.js';
import { slackLimits } from './slack-limits.js';

const emoji: Record<RequestState, string> = {
  pending_approval: ':hourglass:',
  approved: ':white_check_mark:',
  running: ':arrows_counterclockwise:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  interrupted: ':warning:',
  rejected: ':no_entry_sign:',
  expired: ':hourglass:',
  cancelled: ':stop_sign:',
  undone: ':leftwards_arrow_with_hook:',
};

export function homeView(input: {
  project: string;
  requests: { request: GuardedRequest; state: RequestState }[];
  usage: string;
  /** Open alert groups, when the watch is configured (undefined: it is not). */
  alerts?: { open: AlertGroupView[] | undefined; time: (d: Date) => string };
}): HomeView {
  const lines = input.requests.map(
    ({ request: r, state }) =>
      `${emoji[state]} *${escLine(r.plan.title, 200)}* · ${state.replace('_', ' ')} · asked by ${mention(r.requester)}${r.approver ? `, approved by ${mention(r.approver)}` : ''} · ${r.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  );
  const blocks: KnownBlock[] = [
    header('Pipeline Ops'),
    // The usage holds `<date>` and the like: escaped, or Slack would read them as links.
    section(`Operating \`${esc(input.project)}\` from Slack.\n${esc(input.usage)}`),
    divider(),
    ...(input.alerts
      ? [
          section(
            `*Open alerts*\n${fitLines(openAlertsText(input.alerts.open, input.alerts.time), { maxLines: 25, more: (n) => `_…and ${n} more: \`/pipeline alerts\` lists them_` })}`,
          ),
          divider(),
        ]
      : []),
    section(
      `*Recent guarded actions*\n${lines.length ? fitLines(lines, { maxLines: 15, more: (n) => `_…and ${n} more: \`/pipeline audit\` lists them_` }) : '_none yet_'}`,
    ),
    context('Approve, retry, resume and undo from the request threads in the channel.'),
  ];
  return { type: 'home', blocks: capBlocks(blocks, slackLimits.viewBlocks) };
}
