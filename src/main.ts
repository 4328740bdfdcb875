/**
 * The production entry point: the bot on Slack and Google, nothing else. The offline demo and
 * the sandbox are the devstack's (`npm start` runs devstack/src/start.ts); this process never
 * starts them, and without Slack credentials it stops instead of answering no one.
 */
import { createLogger } from './log.js';
import {
  exitOnFatal,
  exitWithConfigError,
  installShutdown,
  loadConfigurationOrExit,
  startBot,
} from './run.js';

async function main(): Promise<void> {
  const { env, config } = loadConfigurationOrExit();
  if (env.demo) {
    exitWithConfigError(
      'no Slack credentials: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (and SLACK_APP_TOKEN for Socket Mode). ' +
        'The offline demo is `npm start`.',
    );
  }
  if (env.SANDBOX === '1') {
    exitWithConfigError(
      'SANDBOX=1 belongs to the offline stack: run it with `npm start`, not the production build.',
    );
  }
  const log = createLogger(env.LOG_LEVEL);
  const { bot, port } = await startBot({ env, config, log, port: env.PORT });
  log.info('bot started', { mode: env.socketMode ? 'socket' : 'http', port, project: config.project });
  installShutdown([() => bot.stop()], log);
}

main().catch(exitOnFatal);
