/**
 * `npm run iam -- --config <file> [--account <id>] [--service <name>]`: print, for the configured
 * pipeline and the features it enables, the bot's service account and every role binding as
 * gcloud commands. `--service` is the bot's own Cloud Run service (the watch's target).
 */
import { ConfigError, loadPipeline } from '../src/config.js';
import { iamPlan, iamScript } from './iam-policy.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const file = arg('config') ?? process.env.PIPELINE_CONFIG ?? 'config/pipeline.example.yml';
try {
  process.stdout.write(iamScript(iamPlan(loadPipeline(file), arg('account'), arg('service'))));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`Configuration error: ${error.message}\n`);
  process.exit(78);
}
