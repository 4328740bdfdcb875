/**
 * The least privilege the bot needs for one pipeline, as gcloud commands: read-only roles for the
 * status report, and each guarded action's permissions only on the resources it touches (Cloud
 * Run services and jobs, Pub/Sub topics and BigQuery datasets accept resource-level bindings;
 * Cloud Functions, Cloud Scheduler, Logging, Monitoring and Firestore are bound on the project).
 * Pure: config in, lines out (scripts/iam.ts prints them).
 */
import type { PipelineConfig } from '../src/config.js';
import { componentsOf } from '../src/domain/components.js';

export interface IamPlan {
  serviceAccount: string;
  /** Each feature the config enables, with its commands. */
  sections: { title: string; commands: string[] }[];
}

/** Custom roles: the exact permissions of one guarded action (cloud.google.com/iam/docs/permissions-reference). */
export const customRoles = {
  rollback: {
    id: 'pipelineBotRollback',
    title: 'Pipeline bot: roll back a Cloud Run service',
    permissions: ['run.services.get', 'run.services.update', 'run.revisions.list', 'run.revisions.get'],
  },
  backfill: {
    id: 'pipelineBotBackfill',
    title: 'Pipeline bot: run and cancel a backfill job',
    permissions: [
      'run.jobs.get',
      'run.jobs.runWithOverrides',
      'run.executions.get',
      'run.executions.list',
      'run.executions.cancel',
      'run.operations.get',
    ],
  },
  selfHeal: {
    id: 'pipelineBotSelfHeal',
    title: 'Pipeline bot: pause, resume and run the self-heal job',
    permissions: [
      'cloudscheduler.jobs.get',
      'cloudscheduler.jobs.pause',
      'cloudscheduler.jobs.enable',
      'cloudscheduler.jobs.run',
    ],
  },
} as const;

/** `dataset` of every `dataset.table` or `project.dataset.table` the checks read, and of table components. */
export function checkedDatasets(config: PipelineConfig): string[] {
  const sqls = config.dataChecks.flatMap((c) => [
    c.sql,
    ...('equalsQuery' in c.expect ? [c.expect.equalsQuery] : []),
    ...('minQuery' in c.expect ? [c.expect.minQuery] : []),
  ]);
  const datasets = new Set<string>();
  const ref =
    /\b(?:FROM|JOIN)\s+`?(?:([a-z][-a-z0-9]*[a-z0-9])\.)?([A-Za-z_][A-Za-z0-9_]*)\.[A-Za-z0-9_$-]+`?/gi;
  for (const sql of sqls) {
    for (const m of sql.matchAll(ref)) {
      if (!m[1] || m[1] === config.project) datasets.add(m[2]!);
    }
  }
  for (const t of componentsOf(config, 'table')) datasets.add(t.name.split('.')[0]!);
  return [...datasets].sort();
}

/**
 * @param accountId the bot's service account id (`--account`)
 * @param service the bot's own Cloud Run service (`--service`), the watch's target
 */
export function iamPlan(
  config: PipelineConfig,
  accountId = 'pipeline-bot',
  service = 'pipeline-bot',
): IamPlan {
  const { project, region } = config;
  const sa = `${accountId}@${project}.iam.gserviceaccount.com`;
  const member = `--member=serviceAccount:${sa}`;
  const onProject = (role: string) =>
    `gcloud projects add-iam-policy-binding ${project} ${member} --role=${role} --condition=None`;
  const customRole = (r: (typeof customRoles)[keyof typeof customRoles]) =>
    `gcloud iam roles create ${r.id} --project=${project} --title="${r.title}" --permissions=${r.permissions.join(',')} --stage=GA`;
  const roleName = (r: (typeof customRoles)[keyof typeof customRoles]) => `projects/${project}/roles/${r.id}`;
  const services = componentsOf(config, 'service').map((s) => s.name);
  const sections: IamPlan['sections'] = [
    {
      title: 'The service account the bot runs as',
      commands: [
        `gcloud iam service-accounts create ${accountId} --project=${project} --display-name="Pipeline ops bot"`,
      ],
    },
    {
      title: 'Status, deploy verification, trace, logs and the watch (read-only)',
      commands: [
        onProject('roles/run.viewer'),
        onProject('roles/cloudfunctions.viewer'),
        onProject('roles/cloudscheduler.viewer'),
        onProject('roles/logging.viewer'),
        onProject('roles/monitoring.viewer'),
        onProject('roles/bigquery.jobUser'),
        ...checkedDatasets(config).map(
          (d) =>
            `bq add-iam-policy-binding --member=serviceAccount:${sa} --role=roles/bigquery.dataViewer ${project}:${d}`,
        ),
        // run_history, and the bot's own state (requests, audit, drafts, alerts, deliveries).
        onProject('roles/datastore.user'),
      ],
    },
  ];
  if (services.length > 0) {
    sections.push({
      title: 'Rollback (/deploy-verify rollback): run.services.update on the configured services only',
      commands: [
        customRole(customRoles.rollback),
        ...services.map(
          (s) =>
            `gcloud run services add-iam-policy-binding ${s} --region=${region} --project=${project} ${member} --role=${roleName(customRoles.rollback)}`,
        ),
        `# Updating a service acts as its runtime service account: grant roles/iam.serviceAccountUser on it to ${sa}.`,
      ],
    });
  }
  const jobs = [
    ...new Set(config.backfill.targets.flatMap((t) => (t.run.type === 'job' ? [t.run.job] : []))),
  ];
  if (jobs.length > 0) {
    sections.push({
      title: 'Backfill: run.jobs.runWithOverrides and run.executions.cancel on the backfill jobs only',
      commands: [
        customRole(customRoles.backfill),
        ...jobs.map(
          (j) =>
            `gcloud run jobs add-iam-policy-binding ${j} --region=${region} --project=${project} ${member} --role=${roleName(customRoles.backfill)}`,
        ),
      ],
    });
  }
  if (config.selfHeal) {
    sections.push({
      title: `Self-heal control: pause, enable and run (Cloud Scheduler has no per-job IAM: bound on the project)`,
      commands: [customRole(customRoles.selfHeal), onProject(roleName(customRoles.selfHeal))],
    });
  }
  const topics = [
    ...new Set(config.phases.flatMap((p) => (p.trigger?.type === 'pubsub' ? [p.trigger.topic] : []))),
  ];
  if (topics.length > 0) {
    sections.push({
      title: 'Heal, Pub/Sub triggers: pubsub.topics.publish on the trigger topics only',
      commands: topics.map(
        (t) =>
          `gcloud pubsub topics add-iam-policy-binding ${t} --project=${project} ${member} --role=roles/pubsub.publisher`,
      ),
    });
  }
  const invoked = [...new Set(config.phases.flatMap((p) => (p.trigger?.type === 'http' ? [p.service] : [])))];
  if (invoked.length > 0) {
    sections.push({
      title: 'Heal, HTTP triggers: run.invoker on the processors it calls only',
      commands: invoked.map(
        (s) =>
          `gcloud run services add-iam-policy-binding ${s} --region=${region} --project=${project} ${member} --role=roles/run.invoker`,
      ),
    });
  }
  const watch = config.alerts?.scheduler;
  if (watch) {
    const own = new RegExp(
      `^([a-z][a-z0-9-]{4,28}[a-z0-9])@${project.replace(/[.]/g, '\\.')}\\.iam\\.gserviceaccount\\.com$`,
    );
    sections.push({
      title: `The watch (alerts.scheduler): run.invoker on the bot's service ${service} only, for Cloud Scheduler's OIDC caller`,
      commands: [
        ...watch.serviceAccounts.flatMap((email) => {
          const id = own.exec(email)?.[1];
          return id
            ? [
                `gcloud iam service-accounts create ${id} --project=${project} --display-name="Pipeline bot watch (Cloud Scheduler)"`,
              ]
            : [];
        }),
        // cloud.google.com/run/docs/triggering/using-scheduler: the job's service account invokes the service.
        ...watch.serviceAccounts.map(
          (email) =>
            `gcloud run services add-iam-policy-binding ${service} --region=${region} --project=${project} --member=serviceAccount:${email} --role=roles/run.invoker`,
        ),
        `# Whoever creates the scheduler job needs roles/iam.serviceAccountUser on ${watch.serviceAccounts.join(', ')}; Cloud Scheduler's service agent needs roles/iam.serviceAccountTokenCreator there (granted in new projects). The bot needs nothing more: it checks the token against Google's public keys.`,
      ],
    });
  }
  return { serviceAccount: sa, sections };
}

/** The plan as a shell script a person reviews, then runs. */
export function iamScript(plan: IamPlan): string {
  const lines = [`# Least privilege for ${plan.serviceAccount} (npm run iam). Review, then run.`];
  for (const s of plan.sections) lines.push('', `# ${s.title}`, ...s.commands);
  return `${lines.join('\n')}\n`;
}
