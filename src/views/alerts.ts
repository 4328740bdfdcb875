/**
 * Alert messages: one per group, updated in place as its alerts change and when they resolve,
 * with buttons into the bot's existing flows (heal, deploy verification, rollback, full status)
 * and Acknowledge / Silence. Pure: data in, Block Kit out.
 */
import type { KnownBlock } from '@slack/types';
import {
  type AlertGroupView,
  type AlertRecord,
  describeDuration,
  type SilenceChoice,
} from '../domain/alerts.js';
import { actions as ids } from '../ids.js';
import {
  actions,
  button,
  context,
  escLine,
  fitMessage,
  header,
  lineSections,
  mention,
  section,
} from './common.js';

/** How long a silence lasts, as offered on the message; the handler computes the end. */
export const silenceChoices: readonly { id: SilenceChoice; label: string }[] = [
  { id: '1h', label: 'Silence 1 h' },
  { id: '4h', label: 'Silence 4 h' },
  { id: 'tomorrow', label: 'Until tomorrow' },
];

const emoji: Record<AlertRecord['severity'], string> = {
  fail: ':red_circle:',
  warn: ':large_yellow_circle:',
  unknown: ':white_circle:',
};

/** Components whose trouble a rollback or a deploy verification can answer. */
const deployed = new Set(['service', 'function']);
const active = (a: AlertRecord) => a.state !== 'pending' && a.state !== 'resolved';

function alertLine(a: AlertRecord, time: (d: Date) => string): string {
  const state =
    a.state === 'acknowledged'
      ? ` · acknowledged by ${mention(a.acknowledgedBy ?? '')}`
      : a.state === 'silenced' && a.silencedUntil
        ? ` · silenced until ${time(a.silencedUntil)} by ${mention(a.silencedBy ?? '')}`
        : '';
  return `${emoji[a.severity]} *${escLine(a.component, 100)}* · ${escLine(a.message, 300)} · since ${time(a.firstSeen)}${state}`;
}

/** The alert message of an open group. `time` formats a time in the pipeline's zone. */
export function alertMessage(view: AlertGroupView, time: (d: Date) => string): KnownBlock[] {
  const shown = view.alerts.filter(active).sort((a, b) => rank(a) - rank(b));
  const failing = shown.filter((a) => a.severity === 'fail').length;
  const blocks: KnownBlock[] = [
    header(`:rotating_light: Pipeline alert: ${view.group.id}`),
    section(
      `*${shown.length} problem${shown.length === 1 ? '' : 's'}*${failing ? `, ${failing} failing` : ''}: what the watch found on two checks in a row.`,
    ),
    ...lineSections(
      shown.map((a) => alertLine(a, time)),
      { more: (n) => `_…and ${n} more: *Full status* lists every one_` },
    ),
    context(`open since ${time(view.group.openedAt)}`),
  ];
  blocks.push(actions('alert_flows', flowButtons(view)));
  // One action_id per button: Slack refuses two equal ones in a block (the handler matches the prefix).
  const silences = silenceChoices.map((c) =>
    button(c.label, `${ids.alertSilence}_${c.id}`, JSON.stringify({ group: view.group.id, for: c.id })),
  );
  // Acknowledge while something fires unacknowledged; silences whatever is active.
  const firing = shown.some((a) => a.state === 'firing');
  const acknowledge = firing ? [button('Acknowledge', ids.alertAcknowledge, view.group.id)] : [];
  blocks.push(actions('alert_controls', [...acknowledge, ...silences]));
  return fitMessage(blocks, { more: (n) => `_…and ${n} more: *Full status* lists every one_` });
}

/** Heal this date, Verify deploys, Roll back the first failing service, Full status. */
function flowButtons(view: AlertGroupView): ReturnType<typeof button>[] {
  const shown = view.alerts.filter(active);
  const date = shown.find((a) => a.date)?.date;
  const buttons: ReturnType<typeof button>[] = [];
  if (date && shown.some((a) => !deployed.has(a.componentKind ?? ''))) {
    buttons.push(button(`Heal ${date}`, ids.openHeal, date, { style: 'primary' }));
  }
  const services = shown.filter((a) => deployed.has(a.componentKind ?? ''));
  if (services.length > 0) buttons.push(button('Verify deploys', ids.openDeployVerify, 'all'));
  const service = services.find((a) => a.componentKind === 'service' && a.severity === 'fail');
  if (service) {
    buttons.push(
      button(`Roll back ${service.component}`, ids.rollback, JSON.stringify({ service: service.component })),
    );
  }
  // The components' group is about now: today's report.
  buttons.push(button('Full status', ids.showFindings, date ?? 'today'));
  return buttons;
}

/** The same message once everything in the group resolved: green, how long it lasted, what it was. */
export function resolvedAlertMessage(
  view: AlertGroupView,
  afterMs: number,
  time: (d: Date) => string,
): KnownBlock[] {
  const what = view.alerts.map((a) => `~${escLine(a.component, 100)} · ${escLine(a.message, 300)}~`);
  return fitMessage([
    header(`:white_check_mark: Resolved: ${view.group.id}`),
    section(`Resolved after ${describeDuration(afterMs)}: every check that fired passes again.`),
    ...lineSections(what, { more: (n) => `_…and ${n} more_` }),
    context(`open ${time(view.group.openedAt)} – ${time(new Date(view.group.openedAt.getTime() + afterMs))}`),
  ]);
}

/** The one line the thread gets when the group resolves. */
export const resolvedThreadText = (afterMs: number): string =>
  `:white_check_mark: Resolved after ${describeDuration(afterMs)}.`;

/** The thread line when alerts start firing in a message already posted (an edit notifies nobody). */
export function newlyFiringText(alerts: readonly AlertRecord[]): string {
  const names = alerts.slice(0, 10).map((a) => `*${escLine(a.component, 100)}* (${escLine(a.message, 150)})`);
  const more = alerts.length > 10 ? ` …and ${alerts.length - 10} more` : '';
  return `:rotating_light: Now failing too: ${names.join(', ')}${more}.`;
}

/** The thread reminder while something fires and nobody acknowledged it. */
export function reminderText(view: AlertGroupView, sinceMs: number): string {
  const firing = view.alerts.filter((a) => a.state === 'firing').map((a) => escLine(a.component, 100));
  return `:bell: Still firing after ${describeDuration(sinceMs)}, not acknowledged: ${firing.join(', ')}. *Acknowledge* stops these reminders.`;
}

/** Plain-text fallback for notifications. */
export function alertFallback(view: AlertGroupView): string {
  const n = view.alerts.filter(active).length;
  return `Pipeline alert ${view.group.id}: ${n} problem${n === 1 ? '' : 's'}`;
}

const rank = (a: AlertRecord) => ({ fail: 0, unknown: 1, warn: 2 })[a.severity];

/** One open group as `/pipeline alerts` and App Home list it: its alerts, who acknowledged, silences and their end. */
function openGroupLines(view: AlertGroupView, time: (d: Date) => string): string[] {
  const shown = view.alerts.filter(active).sort((a, b) => rank(a) - rank(b));
  return [
    `*${escLine(view.group.id, 100)}* · open since ${time(view.group.openedAt)}`,
    ...shown.map((a) => `    ${alertLine(a, time)}`),
  ];
}

/** The open alert groups (newest first), for `/pipeline alerts` and App Home's "Open alerts". */
export function openAlertsText(
  views: readonly AlertGroupView[] | undefined,
  time: (d: Date) => string,
): string[] {
  if (!views) return ['_The alert store did not answer: try again in a moment._'];
  const open = views.filter((v) => v.alerts.some(active));
  if (open.length === 0) return ['_No open alerts._'];
  return open.flatMap((v) => openGroupLines(v, time));
}

/** `/pipeline alerts`: what is open now, acknowledged by whom, silenced until when. */
export function openAlertsMessage(
  views: readonly AlertGroupView[] | undefined,
  time: (d: Date) => string,
  channel: string | undefined,
): KnownBlock[] {
  return fitMessage([
    header('Open alerts'),
    ...lineSections(openAlertsText(views, time), { more: (n) => `_…and ${n} more lines_` }),
    context(
      channel
        ? `Alerts are posted in ${channelMention(channel)}; Acknowledge and Silence are on each alert.`
        : 'The watch is not configured: add `alerts:` to the pipeline YAML.',
    ),
  ]);
}

const channelMention = (id: string) => `<#${id.replace(/[^A-Z0-9]/g, '')}>`;
