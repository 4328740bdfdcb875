import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertProductionPipeline,
  ConfigError,
  loadEnv,
  loadPipeline,
  parsePipeline,
} from '../../src/config.js';

const example = readFileSync('config/pipeline.example.yml', 'utf8');

describe('pipeline configuration', () => {
  it('parses the shipped example with the seed names', () => {
    const c = loadPipeline('config/pipeline.example.yml');
    expect(c.region).toBe('us-west2');
    expect(c.phases.map((p) => p.service)).toEqual([
      'nba-phase2-raw-processors',
      'nba-phase3-analytics-processors',
      'nba-phase4-precompute-processors',
      'prediction-coordinator',
    ]);
    expect(c.orchestrators.map((o) => o.topic)).toContain('nba-phase5-predictions-complete');
    expect(c.selfHeal).toMatchObject({
      schedulerJob: 'self-heal-predictions',
      schedule: '45 12 * * *',
      timeZone: 'America/New_York',
    });
    expect(c.phases.at(-1)?.trigger).toEqual({
      type: 'http',
      method: 'POST',
      path: '/start',
      body: { game_date: '{date}' },
    });
    expect(c.dataChecks.find((d) => d.id === 'boxscore_games')?.sql).toContain(
      'nba_raw.bdl_player_boxscores',
    );
    expect(c.crashSignatures.map((s) => s.match)).toEqual(
      expect.arrayContaining(['HealthChecker', 'ModuleNotFoundError']),
    );
  });

  it('names the file, the key path and what was expected', () => {
    const broken = example.replace('region: us-west2', 'region: "US West"');
    expect(() => parsePipeline(broken, 'pipeline.yml')).toThrowError(ConfigError);
    expect(() => parsePipeline(broken, 'pipeline.yml')).toThrowError(
      /pipeline\.yml is invalid:\n {2}- region: a region such as us-west2/,
    );
  });

  it('names nested keys', () => {
    const broken = example.replace('stuckAfterMinutes: 60', 'stuckAfterMinutes: soon');
    expect(() => parsePipeline(broken, 'p.yml')).toThrowError(/runHistory\.stuckAfterMinutes/);
  });

  it('refuses an unknown key with its path and the key that was meant', () => {
    const top = `${example}\nschedulerJobs: [nightly]\n`;
    expect(() => parsePipeline(top, 'p.yml')).toThrowError(
      /- schedulerJobs: unknown key; known keys here: project,/,
    );
    const typo = example.replace('stuckAfterMinutes: 60', 'stuckAfterMinutse: 60');
    expect(() => parsePipeline(typo, 'p.yml')).toThrowError(
      /- runHistory\.stuckAfterMinutse: unknown key \(did you mean `stuckAfterMinutes`\?\)/,
    );
    const inArray = example.replace('label: Missing module,', 'lable: Missing module,');
    expect(() => parsePipeline(inArray, 'p.yml')).toThrowError(
      /- crashSignatures\.1\.lable: unknown key \(did you mean `label`\?\)/,
    );
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parsePipeline('project: [unclosed', 'bad.yml')).toThrowError(/bad\.yml is not valid YAML/);
  });

  it('checks references between sections', () => {
    const broken = example.replace('check: boxscore_games', 'check: nope');
    expect(() => parsePipeline(broken, 'p.yml')).toThrowError(
      /backfill\.targets\.0\.check: one of the data check ids/,
    );
  });

  it('lets GOOGLE_CLOUD_PROJECT override the project', () => {
    expect(parsePipeline(example, 'p.yml', 'other-project-1').project).toBe('other-project-1');
  });

  it('refuses a missing file with its name', () => {
    expect(() => loadPipeline('no/such.yml')).toThrowError(
      /cannot read PIPELINE_CONFIG no\/such\.yml: ENOENT/,
    );
  });
});

describe('environment', () => {
  it('starts the demo when no Slack credential is set', () => {
    const env = loadEnv({});
    expect(env.demo).toBe(true);
    expect(env.PORT).toBe(3000);
  });

  it('requires the signing secret once a bot token is set', () => {
    expect(() => loadEnv({ SLACK_BOT_TOKEN: 'xoxb-1-2' })).toThrowError(/SLACK_SIGNING_SECRET: required/);
  });

  it('names a malformed variable', () => {
    expect(() => loadEnv({ SLACK_BOT_TOKEN: 'nope', SLACK_SIGNING_SECRET: 'abcdefghij' })).toThrowError(
      /SLACK_BOT_TOKEN: a bot token starting with xoxb-/,
    );
    expect(() => loadEnv({ PORT: 'eighty' })).toThrowError(/PORT/);
  });

  it('never starts the demo in production: missing credentials and the sandbox are errors there', () => {
    expect(() => loadEnv({ K_SERVICE: 'bot' })).toThrowError(/on Cloud Run.*\n.*SLACK_BOT_TOKEN: required/);
    expect(() => loadEnv({ NODE_ENV: 'production', SLACK_BOT_TOKEN: 'xoxb-1' })).toThrowError(
      /SLACK_SIGNING_SECRET: required with NODE_ENV=production/,
    );
    const full = { K_SERVICE: 'bot', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret-123' };
    expect(() => loadEnv({ ...full, SANDBOX: '1' })).toThrowError(/SANDBOX: the sandbox never runs/);
    expect(loadEnv(full)).toMatchObject({ production: true, demo: false });
    expect(loadEnv({ NODE_ENV: 'development' })).toMatchObject({ production: false, demo: true });
  });

  it('refuses plain http:// endpoints in production only', () => {
    const config = parsePipeline(`${example}\nendpoints:\n  bigquery: http://127.0.0.1:8080\n`, 'p.yml');
    expect(() => assertProductionPipeline(config, 'p.yml')).toThrowError(
      /p\.yml is invalid in production:\n {2}- endpoints\.bigquery: http:\/\/127\.0\.0\.1:8080 is plain http/,
    );
    const tls = parsePipeline(`${example}\nendpoints:\n  bigquery: https://bigquery.example.com\n`, 'p.yml');
    expect(() => assertProductionPipeline(tls, 'p.yml')).not.toThrow();
  });

  it('selects Socket Mode when an app token is set', () => {
    const env = loadEnv({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'abcdefghij',
      SLACK_APP_TOKEN: 'xapp-1',
    });
    expect(env.socketMode).toBe(true);
    expect(env.demo).toBe(false);
  });
});
