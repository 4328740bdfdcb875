/** `/pipeline`: status of the whole pipeline for a date, help, and later audit and self-heal. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parsePipelineCommand, usage } from '../domain/command-args.js';
import { clockIn } from '../domain/dates.js';
import { createLane } from '../domain/lane.js';
import type { StatusReport } from '../domain/status.js';
import { channelAllowed, type Deps, refusalText } from '../flows/deps.js';
import { postFailureText, slackErrorCode } from '../flows/slack-failure.js';
import { getStatus } from '../flows/status.js';
import { openAlerts } from '../flows/watch.js';
import { openAlertsMessage } from '../views/alerts.js';
import { auditMessage } from '../views/audit.js';
import { statusFallback, statusMessage } from '../views/status.js';
import { logsCommand } from './logs.js';
import { selfHealCommand } from './self-heal.js';
import { traceCommand } from './trace.js';

/** Posts of reports in flight at once: Slack answers a response_url in about 100 ms. */
const POSTS_IN_FLIGHT = 16;

export const makePipelineCommand = (deps: Deps) => {
  // After the ack, a burst of commands must not starve the acks still waiting: reports are
  // rendered and their posts started one per turn of the event loop, and at most
  // POSTS_IN_FLIGHT posts wait for Slack at a time (domain/lane.ts).
  const renders = createLane(1);
  const posts = createLane(POSTS_IN_FLIGHT);
  return async ({
    ack,
    command,
    respond,
    client,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const parsed = parsePipelineCommand(command.text, deps.config.timeZone, deps.clock.now());
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: refusalText(parsed.reason.message, usage.pipeline) });
      return;
    }
    const cmd = parsed.value;
    if (cmd.kind === 'help') {
      await ack({ response_type: 'ephemeral', text: usage.pipeline });
      return;
    }
    if (cmd.kind === 'audit') {
      await ack();
      const entries = await deps.guarded.audit.list({
        ...(cmd.date ? { subject: cmd.date } : {}),
        limit: 40,
      });
      await respond({
        response_type: 'ephemeral',
        text: 'Audit log',
        blocks: auditMessage(entries, cmd.date),
      });
      return;
    }
    if (cmd.kind === 'alerts') {
      await ack();
      const open = await openAlerts(deps);
      await respond({
        response_type: 'ephemeral',
        text: open ? `Open alerts: ${open.length}` : 'Open alerts: not read',
        blocks: openAlertsMessage(open, (d) => clockIn(deps.config.timeZone, d), deps.alerts?.channel),
      });
      return;
    }
    if (cmd.kind === 'self-heal') return selfHealCommand(deps, { ack, command, client, respond }, cmd);
    if (cmd.kind === 'trace') return traceCommand(deps, { ack, respond }, cmd);
    if (cmd.kind === 'logs') return logsCommand(deps, { ack, respond }, cmd);
    if (cmd.post && !channelAllowed(deps.config, command.channel_id)) {
      await ack({
        response_type: 'ephemeral',
        text: 'Status posts are not allowed in this channel. Run it without `--post` to see it yourself.',
      });
      return;
    }
    // Slack wants the ack within 3 s; the report may take up to the report deadline.
    const askedAt = deps.clock.now();
    await ack();
    const started = Date.now();
    const report = await getStatus(deps, cmd.date, cmd.fresh, askedAt);
    const ageSeconds = Math.max(
      0,
      Math.round((deps.clock.now().getTime() - report.generatedAt.getTime()) / 1000),
    );
    deps.log.info('status report', {
      command: 'pipeline status',
      date: cmd.date,
      verdict: report.verdict,
      problems: report.problems.length,
      ms: Date.now() - started,
      user: command.user_id,
    });
    if (cmd.post) {
      try {
        const blocks = await renders.run(() =>
          statusMessage(report, { withActions: true, postedBy: command.user_id }),
        );
        await posts.run(() =>
          client.chat.postMessage({ channel: command.channel_id, text: statusFallback(report), blocks }),
        );
      } catch (error) {
        // The ack is long gone: only the response_url can still reach the person.
        const code = slackErrorCode(error);
        deps.log.warn('status post refused', { channel: command.channel_id, code });
        await respond({
          response_type: 'ephemeral',
          text: `:x: ${postFailureText(code, command.channel_id, 'the status report')} Run it without \`--post\` to see it yourself.`,
        });
      }
      return;
    }
    await posts.run(async () => {
      // Rendered (or taken from the report's last rendering) and serialized in the render lane;
      // the answer is awaited outside it.
      const { sent } = await renders.run(() => {
        const message = messageFor(report, ageSeconds);
        const sent = respond({ response_type: 'ephemeral', text: message.text, blocks: message.blocks });
        // Awaited just below; until then a quick refusal is not an unhandled rejection.
        sent.catch(() => undefined);
        return { sent };
      });
      await sent;
    });
  };
};

/**
 * Concurrent requests share one report: its message is rendered once per age it shows (none
 * within 2 s, then whole seconds), not once per request.
 */
const rendered = new WeakMap<
  StatusReport,
  { age: number; text: string; blocks: ReturnType<typeof statusMessage> }
>();
function messageFor(report: StatusReport, ageSeconds: number) {
  const age = ageSeconds > 2 ? ageSeconds : 0;
  const last = rendered.get(report);
  if (last?.age === age) return last;
  const message = {
    age,
    text: statusFallback(report),
    blocks: statusMessage(report, age > 0 ? { withActions: true, ageSeconds: age } : { withActions: true }),
  };
  rendered.set(report, message);
  return message;
}
