import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  alertChannel,
  assertProductionPipeline,
  assertWatchDriven,
  ConfigError,
  loadEnv,
  loadPipeline,
  parsePipeline,
  pipelineSchema,
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
    expect(() => parsePipeline(broken, 'p.yml')).toThrowError(
      /components\.\d+\.stuckAfterMinutes \(runHistory run_history\): Invalid input: expected number/,
    );
  });

  it('refuses an unknown key with its path and the key that was meant', () => {
    const top = `${example}\nschedulerJobs: [nightly]\n`;
    expect(() => parsePipeline(top, 'p.yml')).toThrowError(
      /- schedulerJobs: unknown key; known keys here: project,/,
    );
    // A section of the model before components says where its entries went.
    const old = `${example}\ndeadLetterSubscriptions: [nba-dlq-sub]\n`;
    expect(() => parsePipeline(old, 'p.yml')).toThrowError(
      /- deadLetterSubscriptions: no longer a section; each entry is now one of components: - \{ kind: deadLetter/,
    );
    const typo = example.replace('stuckAfterMinutes: 60', 'stuckAfterMinutse: 60');
    expect(() => parsePipeline(typo, 'p.yml')).toThrowError(
      /- components\.\d+\.stuckAfterMinutse \(runHistory run_history\): unknown key \(did you mean `stuckAfterMinutes`\?\); known keys here: kind, name, fields, runningStatus, stuckAfterMinutes, failedStatus$/m,
    );
    // In a list of components of every kind, the keys known are those of the entry's own kind.
    const inFunction = example.replace(
      'trigger: { type: http }',
      'trigger: { type: http }, serverErrorPrecent: {}',
    );
    expect(() => parsePipeline(inFunction, 'p.yml')).toThrowError(
      /- components\.\d+\.serverErrorPrecent \(function self-heal-predictions\): unknown key \(did you mean `serverErrorPercent`\?\); known keys here: kind, name, trigger, serverErrorPercent$/m,
    );
    const inArray = example.replace('label: Missing module,', 'lable: Missing module,');
    expect(() => parsePipeline(inArray, 'p.yml')).toThrowError(
      /- crashSignatures\.1\.lable: unknown key \(did you mean `label`\?\)/,
    );
  });

  it('is as strict in the sections added later: alerts, retention, limits, bigquery, endpoints', () => {
    const cases: [string, RegExp][] = [
      [
        example.replace('  groupBy: date', '  groupby: date'),
        /- alerts\.groupby: unknown key \(did you mean `groupBy`\?\); known keys here: channel, groupBy,/,
      ],
      [
        example.replace('    audience:', '    audiance:'),
        /- alerts\.scheduler\.audiance: unknown key \(did you mean `audience`\?\)/,
      ],
      [
        example.replace('requestsDays: 90', 'requestDays: 90'),
        /- retention\.requestDays: unknown key \(did you mean `requestsDays`\?\); known keys here: requestsDays, auditDays, alertsDays/,
      ],
      [
        `${example.replace(/\nretention:.*\n/, '\n')}\nretension: { auditDays: 400 }\n`,
        /- retension: unknown key \(did you mean `retention`\?\)/,
      ],
      [
        `${example}\nlimits: { callDeadlinMs: 5000 }\n`,
        /- limits\.callDeadlinMs: unknown key \(did you mean `callDeadlineMs`\?\)/,
      ],
      [
        example.replace('  location: US', '  locaton: US'),
        /- bigquery\.locaton: unknown key \(did you mean `location`\?\)/,
      ],
      [
        `${example}\nendpoints: { bigQuery: https://bigquery.example.com }\n`,
        /- endpoints\.bigQuery: unknown key \(did you mean `bigquery`\?\)/,
      ],
    ];
    for (const [text, message] of cases) expect(() => parsePipeline(text, 'p.yml')).toThrowError(message);
  });

  it("README's configuration examples use only keys the strict schema knows, and show every kind and section", () => {
    const readme = readFileSync('README.md', 'utf8');
    const docs = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map(
      (m) => parseYaml(m[1]!) as Record<string, unknown>,
    );
    expect(blocks.length).toBeGreaterThan(0);
    for (const b of blocks) {
      const r = pipelineSchema.partial().safeParse(b);
      expect(r.error?.issues ?? [], JSON.stringify(b).slice(0, 80)).toEqual([]);
    }
    const kinds = blocks
      .flatMap((b) => (b.components as { kind: string }[] | undefined) ?? [])
      .map((c) => c.kind);
    expect([...new Set(kinds)].sort()).toEqual(
      ['deadLetter', 'function', 'job', 'runHistory', 'schedulerJob', 'service', 'table'].sort(),
    );
    const sections = new Set(blocks.flatMap((b) => Object.keys(b)));
    for (const key of ['phases', 'crashSignatures', 'bigquery', 'alerts', 'retention', 'limits']) {
      expect(sections.has(key), key).toBe(true);
    }
  });

  it('names the key in a union of forms (a data check’s expect) and the kind that was meant', () => {
    const expect2 = (replacement: string) =>
      example.replace(
        /( {4}expect:\n {6})minQuery: [^\n]*(\n {2}- id: prediction_players)/,
        `$1${replacement}$2`,
      );
    expect(expect2('minQuery: x')).not.toBe(example);
    expect(() => parsePipeline(expect2('minQuerry: x'), 'p.yml')).toThrowError(
      /- dataChecks\.2\.expect\.minQuerry: unknown key \(did you mean `minQuery`\?\); known keys here: equals, equalsQuery, min, minQuery/,
    );
    // The keys name one form: that form's own error.
    expect(() => parsePipeline(expect2('equals: seven'), 'p.yml')).toThrowError(
      /- dataChecks\.2\.expect\.equals: Invalid input: expected number/,
    );
    expect(() => parsePipeline(expect2('equals: 1\n      min: 2'), 'p.yml')).toThrowError(
      /- dataChecks\.2\.expect: exactly one of equals, equalsQuery, min, minQuery/,
    );
    const kind = example.replace(
      '{ kind: job, name: nba-raw-backfill }',
      '{ kind: jobs, name: nba-raw-backfill }',
    );
    expect(() => parsePipeline(kind, 'p.yml')).toThrowError(
      /- components\.\d+\.kind \(jobs nba-raw-backfill\): Invalid discriminator value\..* \(did you mean `job`\?\)/,
    );
  });

  it('keeps the audit log at least as long as the requests', () => {
    expect(loadPipeline('config/pipeline.example.yml').retention).toEqual({
      requestsDays: 90,
      auditDays: 400,
      alertsDays: 30,
    });
    const shorter = example.replace('auditDays: 400', 'auditDays: 30');
    expect(() => parsePipeline(shorter, 'p.yml')).toThrowError(
      /retention\.auditDays: auditDays at least requestsDays: the audit log is kept longest/,
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

  it('builds every kind of component, with the defaults of its thresholds', () => {
    const c = parsePipeline(example, 'p.yml');
    const kinds = new Set(c.components.map((x) => x.kind));
    expect([...kinds].sort()).toEqual(
      ['deadLetter', 'function', 'job', 'runHistory', 'schedulerJob', 'service', 'table'].sort(),
    );
    const phase2 = c.components.find((x) => x.name === 'nba-phase2-raw-processors');
    expect(phase2).toMatchObject({ kind: 'service', serverErrorPercent: { fail: 5, warn: 1 } });
    const dlq = c.components.find((x) => x.name === 'nba-phase2-raw-complete-dlq-sub');
    expect(dlq).toMatchObject({ backlog: { warn: 1 }, growing: { windowMinutes: 30, severity: 'fail' } });
    expect(c.runHistory).toMatchObject({
      collection: 'run_history',
      failedStatus: 'failed',
      stuckAfterMinutes: 60,
    });
    expect(c.selfHeal).toMatchObject({ function: 'self-heal-predictions', guardMinutes: 30 });
    expect(c.deadLetterSubscriptions).toEqual([
      'nba-phase2-raw-complete-dlq-sub',
      'nba-phase3-analytics-complete-dlq-sub',
    ]);
    expect(c.bigquery.location).toBe('US');
    expect(c.crashSignatures.find((s) => s.id === 'healthchecker')?.kind).toBe('crash');
  });

  it('phases, self-heal and backfill refer to declared components', () => {
    const phase = example.replace('service: prediction-coordinator', 'service: prediction-coordinatr');
    expect(() => parsePipeline(phase, 'p.yml')).toThrowError(
      /- phases\.3\.service: a service component \([^)]*prediction-coordinator[^)]*\); add - \{ kind: service, name: prediction-coordinatr \}/,
    );
    const heal = example.replace(
      'selfHeal: { function: self-heal-predictions',
      'selfHeal: { function: self-heal',
    );
    expect(() => parsePipeline(heal, 'p.yml')).toThrowError(
      /components\.\d+\.selfHeal\.function: a function component/,
    );
    const job = example.replace('  - { kind: job, name: nba-raw-backfill }\n', '');
    expect(() => parsePipeline(job, 'p.yml')).toThrowError(/backfill\.targets\.0\.run\.job: a job component/);
    const twice = example.replace(
      '  - { kind: job, name: nba-raw-backfill }\n',
      '  - { kind: job, name: nba-raw-backfill }\n'.repeat(2),
    );
    expect(() => parsePipeline(twice, 'p.yml')).toThrowError(/job nba-raw-backfill is declared twice/);
    const noHistory = example.replace(/ {2}- kind: runHistory\n(?: {4}.*\n)+/, '');
    expect(() => parsePipeline(noHistory, 'p.yml')).toThrowError(/exactly one runHistory component/);
    const inverted = example.replace('backlog: { warn: 1, fail: 500 }', 'backlog: { warn: 600, fail: 500 }');
    expect(() => parsePipeline(inverted, 'p.yml')).toThrowError(/backlog\.warn: at most fail \(500\)/);
  });

  it('crash signatures say what they mean, and the import check has one to read', () => {
    const noKind = example.replace('match: HealthChecker, kind: crash', 'match: HealthChecker');
    expect(() => parsePipeline(noKind, 'p.yml')).toThrowError(/crashSignatures\.0\.kind: Invalid option/);
    // Renaming the signatures keeps the check: it reads the kind, not the id.
    const renamed = example
      .replace('id: module-not-found', 'id: no-module')
      .replace('id: import-error', 'id: cannot-import');
    expect(
      parsePipeline(renamed, 'p.yml').crashSignatures.filter((s) => s.kind === 'import-error'),
    ).toHaveLength(2);
    const none = example.replaceAll('kind: import-error', 'kind: other');
    expect(() => parsePipeline(none, 'p.yml')).toThrowError(
      /crashSignatures: deploy-verify checks functions for import errors: declare at least one signature of kind import-error/,
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

  it('needs no signing secret in Socket Mode (the app token authenticates), in production too', () => {
    const socket = { SLACK_BOT_TOKEN: 'xoxb-1-2', SLACK_APP_TOKEN: 'xapp-1-2' };
    expect(loadEnv(socket)).toMatchObject({ socketMode: true, demo: false });
    expect(loadEnv({ ...socket, K_SERVICE: 'bot', PIPELINE_CONFIG: 'p.yml' })).toMatchObject({
      socketMode: true,
      production: true,
    });
    // Without the app token the secret is still required there.
    expect(() => loadEnv({ K_SERVICE: 'bot', SLACK_BOT_TOKEN: 'xoxb-1' })).toThrowError(
      /SLACK_SIGNING_SECRET: required on Cloud Run/,
    );
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
    const full = {
      K_SERVICE: 'bot',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'secret-123',
      PIPELINE_CONFIG: '/etc/pipeline/pipeline.yml',
    };
    expect(() => loadEnv({ ...full, SANDBOX: '1' })).toThrowError(/SANDBOX: the sandbox never runs/);
    expect(loadEnv(full)).toMatchObject({ production: true, demo: false });
    expect(loadEnv({ NODE_ENV: 'development' })).toMatchObject({ production: false, demo: true });
  });

  it('in production never assumes the example pipeline, a fake Slack or an emulator', () => {
    const full = {
      NODE_ENV: 'production',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'secret-123',
      PIPELINE_CONFIG: '/etc/pipeline/pipeline.yml',
    };
    const { PIPELINE_CONFIG: _, ...unset } = full;
    expect(() => loadEnv(unset)).toThrowError(/PIPELINE_CONFIG: required with NODE_ENV=production/);
    expect(() => loadEnv({ ...full, SLACK_API_URL: 'http://127.0.0.1:9/api/' })).toThrowError(
      /SLACK_API_URL: http:\/\/127\.0\.0\.1:9\/api\/ is not https:\/\//,
    );
    expect(() => loadEnv({ ...full, FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080' })).toThrowError(
      /FIRESTORE_EMULATOR_HOST: an emulator never serves/,
    );
    expect(() => loadEnv({ ...full, PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' })).toThrowError(
      /PUBSUB_EMULATOR_HOST: an emulator never serves/,
    );
    expect(loadEnv({ ...full, SLACK_API_URL: 'https://slack.com/api/' })).toMatchObject({ production: true });
    // Outside production the stand-ins stay allowed: the tests and the bench run the build that way.
    const { NODE_ENV: __, ...dev } = { ...full, FIRESTORE_EMULATOR_HOST: 'h:1', SLACK_API_URL: 'http://h/' };
    expect(loadEnv(dev)).toMatchObject({ production: false });
  });

  it('refuses plain http:// endpoints in production only', () => {
    const config = parsePipeline(`${example}\nendpoints:\n  bigquery: http://127.0.0.1:8080\n`, 'p.yml');
    expect(() => assertProductionPipeline(config, 'p.yml')).toThrowError(
      /p\.yml is invalid in production:\n {2}- endpoints\.bigquery: http:\/\/127\.0\.0\.1:8080 is plain http/,
    );
    const tls = parsePipeline(`${example}\nendpoints:\n  bigquery: https://bigquery.example.com\n`, 'p.yml');
    expect(() => assertProductionPipeline(tls, 'p.yml')).not.toThrow();
  });

  it('the watch: a channel is required, and production needs the scheduler or the in-process timer', () => {
    const withAlerts = (alerts: string, head = example.replace(/\nalerts:[\s\S]*$/, '')) =>
      parsePipeline(`${head}\nalerts:\n${alerts}`, 'p.yml');
    const c = loadPipeline('config/pipeline.example.yml');
    expect(c.alerts).toMatchObject({
      groupBy: 'date',
      confirmations: 2,
      reminderHours: 4,
      digestAt: '09:00',
    });
    expect(alertChannel(c)).toBe('C0PIPELINE');
    // No channel of its own: the status channel.
    expect(alertChannel(withAlerts('  groupBy: pipeline\n'))).toBe('C0PIPELINE');
    const noChannel = example.replace(/\nalerts:[\s\S]*$/, '').replace(/\nstatusChannel: \S+/, '');
    expect(() => withAlerts('  groupBy: date\n', noChannel)).toThrowError(
      /alerts\.channel: a channel for the alerts/,
    );
    expect(() => withAlerts('  digestAt: "9am"\n')).toThrowError(
      /alerts\.digestAt.*a time of day such as 09:00/,
    );
    expect(() => withAlerts('  groupby: date\n')).toThrowError(/groupby/);
    const undriven = withAlerts('  groupBy: date\n');
    const env = loadEnv({
      K_SERVICE: 'bot',
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'secret-123',
      PIPELINE_CONFIG: 'p.yml',
    });
    expect(() => assertWatchDriven(undriven, env, 'p.yml')).toThrowError(
      /alerts\.scheduler: .*nothing would run the watch/,
    );
    expect(() => assertWatchDriven(undriven, { ...env, WATCH_INTERVAL_SECONDS: 60 }, 'p.yml')).not.toThrow();
    expect(() => assertWatchDriven(c, env, 'p.yml')).not.toThrow();
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
