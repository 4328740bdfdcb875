/** Cloud Console links, built from configured names only (never from text typed in Slack). */

const console = 'https://console.cloud.google.com';
const q = (project: string) => `?project=${encodeURIComponent(project)}`;
const seg = encodeURIComponent;

export interface Where {
  project: string;
  region: string;
}

export const links = {
  service: (w: Where, service: string) =>
    `${console}/run/detail/${seg(w.region)}/${seg(service)}/revisions${q(w.project)}`,
  function: (w: Where, fn: string) =>
    `${console}/functions/details/${seg(w.region)}/${seg(fn)}${q(w.project)}&env=gen2`,
  schedulerJob: (w: Where) => `${console}/cloudscheduler${q(w.project)}`,
  bigquery: (w: Where) => `${console}/bigquery${q(w.project)}`,
  firestoreCollection: (w: Where, collection: string) =>
    `${console}/firestore/databases/-default-/data/panel/${seg(collection)}${q(w.project)}`,
  logs: (w: Where, source?: string) => {
    const query = source
      ? `severity>=ERROR\n(resource.labels.service_name="${source}" OR resource.labels.function_name="${source}")`
      : 'severity>=ERROR';
    return `${console}/logs/query;query=${seg(query)}${q(w.project)}`;
  },
  subscription: (w: Where, sub: string) =>
    `${console}/cloudpubsub/subscription/detail/${seg(sub)}${q(w.project)}`,
  job: (w: Where, job: string) =>
    `${console}/run/jobs/details/${seg(w.region)}/${seg(job)}/executions${q(w.project)}`,
};
