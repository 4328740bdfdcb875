/** Publishes the App Home tab when a user opens it. */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { usage } from '../domain/command-args.js';
import { clockIn } from '../domain/dates.js';
import { effectiveState } from '../domain/requests.js';
import type { Deps } from '../flows/deps.js';
import { openAlerts } from '../flows/watch.js';
import { homeView } from '../views/home.js';

export const makeHomeOpened =
  (deps: Deps) =>
  async ({
    event,
    client,
  }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    const now = deps.clock.now();
    const [recent, open] = await Promise.all([deps.guarded.store.list({ limit: 10 }), openAlerts(deps)]);
    const timeZone = deps.config.timeZone;
    await client.views.publish({
      user_id: event.user,
      view: homeView({
        project: deps.config.project,
        requests: recent.map((request) => ({
          request,
          state: effectiveState(request, now, deps.guarded.staleAfterMs),
        })),
        usage: [usage.pipeline, usage.heal, usage.backfill, usage.deployVerify].join('\n'),
        ...(deps.alerts ? { alerts: { open, time: (d: Date) => clockIn(timeZone, d) } } : {}),
      }),
    });
  };
