/** Registers every slash command listener. */
import type { App } from '@slack/bolt';
import type { Deps } from '../flows/deps.js';
import { commands } from '../ids.js';
import { makeBackfillCommand } from './backfill.js';
import { makeDeployVerifyCommand } from './deploy-verify.js';
import { makeHealCommand } from './heal.js';
import { makePipelineCommand } from './pipeline.js';

export function register(app: App, deps: Deps): void {
  app.command(commands.pipeline, makePipelineCommand(deps));
  app.command(commands.deployVerify, makeDeployVerifyCommand(deps));
  app.command(commands.heal, makeHealCommand(deps));
  app.command(commands.backfill, makeBackfillCommand(deps));
}
