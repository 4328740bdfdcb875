/** `npm run iam` against the example pipeline: exact roles, each scoped to what it touches. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkedDatasets, iamPlan, iamScript } from '../../scripts/iam-policy.js';
import { loadPipeline } from '../../src/config.js';

const config = loadPipeline('config/pipeline.example.yml');
const SA = '--member=serviceAccount:pipeline-bot@nba-props-platform.iam.gserviceaccount.com';
const commands = () => iamPlan(config).sections.flatMap((s) => s.commands);

describe('npm run iam', () => {
  it('grants status only viewers, BigQuery jobUser on the project and dataViewer on the checked datasets', () => {
    const status = iamPlan(config).sections.find((s) => s.title.startsWith('Status'))!.commands;
    const projectRoles = status
      .filter((c) => c.startsWith('gcloud projects'))
      .map((c) => /--role=(\S+)/.exec(c)?.[1]);
    expect(projectRoles).toEqual([
      'roles/run.viewer',
      'roles/cloudfunctions.viewer',
      'roles/cloudscheduler.viewer',
      'roles/logging.viewer',
      'roles/monitoring.viewer',
      'roles/bigquery.jobUser',
      'roles/datastore.user',
    ]);
    expect(checkedDatasets(config)).toEqual([
      'nba_analytics',
      'nba_precompute',
      'nba_predictions',
      'nba_raw',
    ]);
    expect(status).toContain(
      `bq add-iam-policy-binding ${SA.replace('--member=', '--member=')} --role=roles/bigquery.dataViewer nba-props-platform:nba_raw`,
    );
    // No project-wide data access, no editor or admin role anywhere.
    expect(commands().join('\n')).not.toMatch(
      /roles\/(editor|owner|[a-z]+\.admin|bigquery\.dataViewer --condition)/,
    );
  });

  it('adds each guarded action’s permissions on its own resources only', () => {
    const all = commands().join('\n');
    expect(all).toMatch(
      /gcloud iam roles create pipelineBotRollback [^\n]*--permissions=[^\n]*run\.services\.update/,
    );
    for (const s of [
      'nba-phase2-raw-processors',
      'nba-phase3-analytics-processors',
      'prediction-coordinator',
    ]) {
      expect(all).toContain(
        `gcloud run services add-iam-policy-binding ${s} --region=us-west2 --project=nba-props-platform ${SA} --role=projects/nba-props-platform/roles/pipelineBotRollback`,
      );
    }
    expect(all).toMatch(/--permissions=[^\n]*run\.jobs\.runWithOverrides[^\n]*run\.executions\.cancel/);
    expect(all).toContain(
      `gcloud run jobs add-iam-policy-binding nba-raw-backfill --region=us-west2 --project=nba-props-platform ${SA} --role=projects/nba-props-platform/roles/pipelineBotBackfill`,
    );
    expect(all).toMatch(
      /pipelineBotSelfHeal [^\n]*cloudscheduler\.jobs\.pause,cloudscheduler\.jobs\.enable,cloudscheduler\.jobs\.run/,
    );
    expect(all).toContain(
      `gcloud pubsub topics add-iam-policy-binding nba-phase2-reprocess --project=nba-props-platform ${SA} --role=roles/pubsub.publisher`,
    );
    const invokers = commands()
      .filter((c) => c.includes('roles/run.invoker') && c.includes(SA))
      .map((c) => c.split(' ')[4]);
    expect(invokers).toEqual([
      'nba-phase3-analytics-processors',
      'nba-phase4-precompute-processors',
      'prediction-coordinator',
    ]);
  });

  it('leaves out what the config does not enable', () => {
    const { selfHeal: _s, alerts: _a, ...noSelfHeal } = config;
    const bare = {
      ...noSelfHeal,
      backfill: { ...config.backfill, targets: [] },
      phases: config.phases.map(({ trigger: _t, ...p }) => p),
    };
    const titles = iamPlan(bare).sections.map((s) => s.title.split(/[ :(,]/)[0]);
    expect(titles).toEqual(['The', 'Status', 'Rollback']);
  });

  it('lets the watch’s Cloud Scheduler caller invoke the bot’s own service, and nothing else', () => {
    const watch = iamPlan(config, 'pipeline-bot', 'ops-bot').sections.find((s) =>
      s.title.startsWith('The watch'),
    )!.commands;
    const WATCH = 'pipeline-watch@nba-props-platform.iam.gserviceaccount.com';
    expect(watch.filter((c) => !c.startsWith('#'))).toEqual([
      'gcloud iam service-accounts create pipeline-watch --project=nba-props-platform --display-name="Pipeline bot watch (Cloud Scheduler)"',
      `gcloud run services add-iam-policy-binding ops-bot --region=us-west2 --project=nba-props-platform --member=serviceAccount:${WATCH} --role=roles/run.invoker`,
    ]);
    // The watch's account appears nowhere else; an account of another project is bound, not created.
    const sections = iamPlan(config).sections;
    const elsewhere = sections
      .filter((s) => !s.title.startsWith('The watch'))
      .flatMap((s) => s.commands)
      .filter((c) => c.includes(WATCH));
    expect(elsewhere).toEqual([]);
    const foreign = 'scheduler@other-project.iam.gserviceaccount.com';
    const other = {
      ...config,
      alerts: { ...config.alerts!, scheduler: { ...config.alerts!.scheduler!, serviceAccounts: [foreign] } },
    };
    const cmds = iamPlan(other).sections.find((s) => s.title.startsWith('The watch'))!.commands;
    expect(cmds.filter((c) => c.startsWith('gcloud'))).toEqual([
      `gcloud run services add-iam-policy-binding pipeline-bot --region=us-west2 --project=nba-props-platform --member=serviceAccount:${foreign} --role=roles/run.invoker`,
    ]);
  });

  it('prints the script from the command line', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/iam.ts', '--config', 'config/pipeline.example.yml'],
      { encoding: 'utf8' },
    );
    expect(out).toBe(iamScript(iamPlan(config)));
    const named = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/iam.ts',
        '--config',
        'config/pipeline.example.yml',
        '--service',
        'ops-bot',
      ],
      { encoding: 'utf8' },
    );
    expect(named).toBe(iamScript(iamPlan(config, 'pipeline-bot', 'ops-bot')));
    expect(out).toMatch(/^# Least privilege for pipeline-bot@nba-props-platform\.iam\.gserviceaccount\.com/);
  });
});
