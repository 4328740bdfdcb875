/**
 * `/pipeline logs` and its buttons: one page of a component's entries, and one entry whole in a
 * modal. The query arrives typed (logs-args.ts); this runs it and renders the answer.
 */
import type { AllMiddlewareArgs } from '@slack/bolt';
import { type EntryRef, entryFilter, type LogsQuery, logsFilter } from '../domain/logs-args.js';
import { explorerLink, type LogSearchPort, type LogSource } from '../domain/logs-query.js';
import { fail, ok } from '../domain/result.js';
import { logEntryLoading, logEntryModal, logsFallback, logsMessage } from '../views/logs.js';
import type { Deps } from './deps.js';
import { slackErrorCode } from './slack-failure.js';

const unwired: LogSearchPort = {
  list: async () => fail('unavailable', 'reading logs is not wired into this bot (ports.logSearch)'),
};

/** The log search port, or one that says it is missing. */
export const logSearchOf = (deps: Deps): LogSearchPort => deps.ports.logSearch ?? unwired;

const where = (deps: Deps) => ({ project: deps.config.project, region: deps.config.region });

/** One page of entries, newest first, as a message. */
export async function logsReply(
  deps: Deps,
  query: LogsQuery,
): Promise<{ text: string; blocks: ReturnType<typeof logsMessage> }> {
  const filter = logsFilter(query);
  const page = await logSearchOf(deps).list({
    filter,
    order: 'newest',
    pageSize: query.limit,
    ...(query.pageToken ? { pageToken: query.pageToken } : {}),
  });
  const explorerUrl = explorerLink(where(deps), filter, { since: query.since, until: deps.clock.now() });
  const view = { query, page, timeZone: deps.config.timeZone, explorerUrl };
  deps.log.info('logs page', {
    source: `${query.source.kind}/${query.source.name}`,
    entries: page.ok ? page.value.entries.length : undefined,
    failure: page.ok ? undefined : page.error.kind,
    more: page.ok && page.value.nextPageToken !== undefined,
  });
  return { text: logsFallback(view), blocks: logsMessage(view) };
}

/**
 * One entry, whole: a modal opened at once (the trigger lasts 3 s), filled once Logging answers.
 * Slack refusing either call is told to the person (`say`), with Slack's code.
 */
export async function openLogEntry(
  deps: Deps,
  client: AllMiddlewareArgs['client'],
  input: { triggerId: string; source: LogSource; ref: EntryRef; say: (text: string) => Promise<unknown> },
): Promise<void> {
  try {
    const opened = await client.views.open({ trigger_id: input.triggerId, view: logEntryLoading() });
    const viewId = opened.view?.id;
    if (!viewId) return;
    const filter = entryFilter(input.source, input.ref);
    const page = await logSearchOf(deps).list({ filter, order: 'newest', pageSize: 1 });
    const entry = page.ok ? ok(page.value.entries[0]) : page;
    const until = new Date(input.ref.at.getTime() + 1000);
    const explorerUrl = explorerLink(where(deps), filter, { since: input.ref.at, until });
    const view = logEntryModal({ source: input.source, entry, timeZone: deps.config.timeZone, explorerUrl });
    await client.views.update({ view_id: viewId, view });
  } catch (error) {
    const code = slackErrorCode(error);
    deps.log.warn('log entry modal failed', { source: input.source.name, code });
    await input.say(`:x: Slack did not show the entry (\`${code}\`): pick it again.`);
  }
}
