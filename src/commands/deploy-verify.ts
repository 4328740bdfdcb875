/** `/deploy-verify [service|function|all]`: read-only verification of the latest deploys. */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseDeployVerify, usage } from '../domain/command-args.js';
import { verifyDeploys } from '../domain/deploy-verify.js';
import { functionNames } from '../domain/status.js';
import { deployVerifyFallback, deployVerifyMessage } from '../views/deploy-verify.js';
import { type Deps, refusalText } from './deps.js';

export const makeDeployVerifyCommand =
  (deps: Deps) =>
  async ({ ack, command, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const known = [...deps.config.phases.map((p) => p.service), ...functionNames(deps.config)];
    const parsed = parseDeployVerify(command.text, known);
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: refusalText(parsed.reason.message, usage.deployVerify) });
      return;
    }
    await ack();
    const report = await verifyDeploys(deps.ports, deps.config, parsed.value, deps.clock.now());
    deps.log.info('deploy verify', { verdict: report.verdict, target: parsed.value, user: command.user_id });
    await respond({
      response_type: 'ephemeral',
      text: deployVerifyFallback(report),
      blocks: deployVerifyMessage(report),
    });
  };
