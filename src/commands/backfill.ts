/**
 * `/backfill <target> <dates> [--force] [--dry-run]`: check each date, skip the complete ones,
 * show the plan (dates to run, skipped and why, expected duration) in a modal, then the
 * generic approval and execution path; the executor watches the execution and its stalls.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { BackfillTarget } from '../config.js';
import { type BackfillPlanResult, parseBackfillArgs, planBackfill } from '../domain/backfill-plan.js';
import { usage } from '../domain/command-args.js';
import type { ExecutionState, IsoDate } from '../domain/ports.js';
import { type Outcome, type Probe, refuse } from '../domain/result.js';
import { runCheck } from '../domain/status.js';
import { type Deps, refusalText } from '../flows/deps.js';
import { openPlanFlow } from '../flows/plan-flow.js';
import { views } from '../ids.js';
import { context, esc, fitLines, section } from '../views/common.js';
import { planMessage } from '../views/guarded.js';

/** Checks run at once while planning (a 31-day range is 62 queries). */
const AT_ONCE = 6;

async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function planFor(
  deps: Deps,
  target: BackfillTarget,
  dates: IsoDate[],
  force: boolean,
): Promise<Outcome<BackfillPlanResult>> {
  const check = deps.config.dataChecks.find((c) => c.id === target.check);
  if (!check) return refuse('bad_config', `Target ${target.id} names an unknown data check.`);
  const identity = <T>(p: Promise<Probe<T>>) => p;
  const results = await mapLimited(
    dates,
    AT_ONCE,
    async (d) => [d, await runCheck(deps.ports.dataChecks, check, d, identity)] as const,
  );
  let history: ExecutionState[] = [];
  if (target.run.type === 'job') {
    const h = await deps.guarded.jobs.listExecutions(target.run.job, 10);
    if (h.ok) history = h.value;
  }
  return planBackfill(deps.config, target, dates, new Map(results), history, force);
}

function skippedLines(result: BackfillPlanResult): string[] {
  return result.skipped.map((s) => `${s.date}: ${s.why}`);
}

export const makeBackfillCommand =
  (deps: Deps) =>
  async ({
    ack,
    command,
    client,
    respond,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const { config } = deps;
    const parsed = parseBackfillArgs(command.text, config, config.timeZone, deps.clock.now());
    if (!parsed.ok) {
      await ack({ response_type: 'ephemeral', text: refusalText(parsed.reason.message, usage.backfill) });
      return;
    }
    const { target, dates, force, dryRun } = parsed.value;
    await ack();
    if (dryRun) {
      const result = await planFor(deps, target, dates, force);
      if (!result.ok) {
        await respond({ response_type: 'ephemeral', text: `:warning: ${esc(result.reason.message)}` });
        return;
      }
      const r = result.value;
      await respond({
        response_type: 'ephemeral',
        text: `Backfill ${target.id}: dry run`,
        blocks: r.plan
          ? planMessage(r.plan)
          : [
              section(
                `:white_check_mark: Nothing to backfill: every date is complete.\n${fitLines(skippedLines(r).map(esc))}`,
              ),
              context('Dry run: nothing was changed or stored. `--force` runs complete dates too.'),
            ],
      });
      return;
    }
    await openPlanFlow(
      deps,
      client,
      {
        triggerId: command.trigger_id,
        user: command.user_id,
        channel: command.channel_id,
        respond: (text) => respond({ response_type: 'ephemeral', text }),
      },
      {
        kind: 'backfill',
        subject: target.id,
        title: 'Backfill',
        callbackId: views.backfillPlan,
        loadingText: `Checking ${dates.length} date(s) of ${target.id}…`,
        async compute() {
          const result = await planFor(deps, target, dates, force);
          if (!result.ok) return { blocks: [section(`:warning: ${esc(result.reason.message)}`)] };
          const r = result.value;
          if (!r.plan) {
            return {
              blocks: [
                section(
                  `:white_check_mark: *Nothing to backfill*: every date is complete.\n${fitLines(skippedLines(r).map(esc))}`,
                ),
                context('Use `--force` to run complete dates again.'),
              ],
            };
          }
          return {
            plan: r.plan,
            warnings: r.skipped.length
              ? [`Skipped, already complete: ${r.skipped.map((x) => x.date).join(', ')}`]
              : [],
          };
        },
      },
    );
  };
