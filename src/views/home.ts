/** The App Home tab: what the bot does, and the guarded actions of late with their state. */
import type { HomeView, KnownBlock } from '@slack/types';
import type { GuardedRequest, RequestState } from '../domain/requests.js';
import { capBlocks, context, divider, esc, fitLines, header, section } from './common.js';

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
}): HomeView {
  const lines = input.requests.map(
    ({ request: r, state }) =>
      `${emoji[state]} *${esc(r.plan.title)}* · ${state.replace('_', ' ')} · asked by <@${r.requester}>${r.approver ? `, approved by <@${r.approver}>` : ''} · ${r.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  );
  const blocks: KnownBlock[] = [
    header('Pipeline Ops'),
    section(`Operating \`${esc(input.project)}\` from Slack.\n${input.usage}`),
    divider(),
    section(`*Recent guarded actions*\n${lines.length ? fitLines(lines, { maxLines: 15 }) : '_none yet_'}`),
    context('Approve, retry, resume and undo from the request threads in the channel.'),
  ];
  return { type: 'home', blocks: capBlocks(blocks, 100) };
}
