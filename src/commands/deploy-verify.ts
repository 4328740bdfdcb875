/** `/deploy-verify [service|function|all]`: read-only verification of the latest deploys. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseDeployVerify, usage } from '../domain/command-args.js';
import { verifyDeploys } from '../domain/deploy-verify.js';
import { functionNames, serviceNames } from '../domain/status.js';
import { type Deps, refusalText } from '../flows/deps.js';
import { openRollbackModal, rollbackPlan } from '../flows/rollback.js';
import { esc } from '../views/common.js';
import { deployVerifyFallback, deployVerifyMessage } from '../views/deploy-verify.js';
import { planMessage } from '../views/guarded.js';

export const makeDeployVerifyCommand =
  (deps: Deps) =>
  async ({
    ack,
    command,
    respond,
    client,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const services = serviceNames(deps.config);
    const known = [...services, ...functionNames(deps.config)];
    const parsed = parseDeployVerify(command.text, known, services);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: refusalText(parsed.reason.message, usage.deployVerify) });
      return;
    }
    const cmd = parsed.value;
    if (cmd.target === 'rollback') {
      await ack();
      if (cmd.dryRun) {
        const plan = await rollbackPlan(deps, cmd.service);
        await respond(
          plan.ok
            ? { response_type: 'ephemeral', text: plan.value.title, blocks: planMessage(plan.value) }
            : // The refusal may quote Google's error text: escaped like every other rendering of it.
              { response_type: 'ephemeral', text: `:warning: ${esc(plan.reason.message)}` },
        );
        return;
      }
      await openRollbackModal(deps, client, {
        triggerId: command.trigger_id,
        user: command.user_id,
        channel: command.channel_id,
        service: cmd.service,
        respond: (text) => respond({ response_type: 'ephemeral', text }),
      });
      return;
    }
    await ack();
    const report = await verifyDeploys(deps.ports, deps.config, cmd, deps.clock.now());
    deps.log.info('deploy verify', { verdict: report.verdict, target: cmd, user: command.user_id });
    await respond({
      response_type: 'ephemeral',
      text: deployVerifyFallback(report),
      blocks: deployVerifyMessage(report),
    });
  };
