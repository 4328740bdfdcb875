/** `/pipeline`: status of the whole pipeline for a date, help, and later audit and self-heal. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parsePipelineCommand, usage } from '../domain/command-args.js';
import type { StatusReport } from '../domain/status.js';
import { channelAllowed, type Deps, refusalText } from '../flows/deps.js';
import { postFailureText, slackErrorCode } from '../flows/slack-failure.js';
import { getStatus } from '../flows/status.js';
import { auditMessage } from '../views/audit.js';
import { statusFallback, statusMessage } from '../views/status.js';
import { selfHealCommand } from './self-heal.js';

export const makePipelineCommand =
  (deps: Deps) =>
  async ({
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
    if (cmd.kind === 'self-heal') return selfHealCommand(deps, { ack, command, client, respond }, cmd);
    if (cmd.post && !channelAllowed(deps.config, command.channel_id)) {
      await ack({
        response_type: 'ephemeral',
        text: 'Status posts are not allowed in this channel. Run it without `--post` to see it yourself.',
      });
      return;
    }
    // Slack wants the ack within 3 s; the report may take up to the report deadline.
    await ack();
    const started = Date.now();
    const report = await getStatus(deps, cmd.date, cmd.fresh);
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
        await client.chat.postMessage({
          channel: command.channel_id,
          text: statusFallback(report),
          blocks: statusMessage(report, { withActions: true, postedBy: command.user_id }),
        });
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
    await respond({
      response_type: 'ephemeral',
      text: statusFallback(report),
      blocks: ageSeconds > 2 ? statusMessage(report, { withActions: true, ageSeconds }) : freshBlocks(report),
    });
  };

/** Concurrent requests share one report: render its usual message once, not once per request. */
const rendered = new WeakMap<StatusReport, ReturnType<typeof statusMessage>>();
function freshBlocks(report: StatusReport) {
  let blocks = rendered.get(report);
  if (!blocks) {
    blocks = statusMessage(report, { withActions: true });
    rendered.set(report, blocks);
  }
  return blocks;
}
