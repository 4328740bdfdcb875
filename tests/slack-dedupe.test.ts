/**
 * The delivery dedupe in front of the listeners, on a real Bolt App fed events directly: a slash
 * command is acked before its claim is known and acts only once it is known to be the first;
 * other payloads are still claimed before their listener runs.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { ACKS_FIRST_MS, createAcksFirst } from '../src/acks-first.js';
import { silentLogger } from '../src/log.js';
import { dedupeDeliveries } from '../src/slack-dedupe.js';
import type { DeliveryClaim, DeliveryLog } from '../src/store/slack-deliveries.js';

const receiver: Receiver = {
  init: () => undefined,
  start: async () => undefined,
  stop: async () => undefined,
};

/** A delivery log whose every claim waits until the test settles it. */
function heldLog() {
  const pending: { key: string; settle: (c: DeliveryClaim) => void }[] = [];
  const log: DeliveryLog = {
    claim: (key) => new Promise((settle) => pending.push({ key, settle })),
  };
  return { log, pending };
}

function app(deliveries: DeliveryLog, lines: string[]) {
  const bolt = new App({ receiver, token: 'xoxb-test', botId: 'B1', botUserId: 'U1' });
  const log = { ...silentLogger, info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
  dedupeDeliveries(bolt, deliveries, log);
  return bolt;
}

const command = (trigger: string) => ({
  command: '/pipeline',
  text: 'status',
  team_id: 'T1',
  user_id: 'U0ALICE',
  channel_id: 'C1',
  trigger_id: trigger,
  response_url: 'https://hooks.slack.test/r',
});

const tick = () => new Promise((r) => setImmediate(r));
/** Waits (a few ms at a time, 2 s at most) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('a slash command', () => {
  it('is acked before its claim is known, and acts once the claim says it is the first', async () => {
    const { log, pending } = heldLog();
    const steps: string[] = [];
    const bolt = app(log, []);
    bolt.command('/pipeline', async ({ ack }) => {
      await ack();
      steps.push('acted');
    });
    const event: ReceiverEvent = { body: command('tr1'), ack: async () => void steps.push('acked') };
    const done = bolt.processEvent(event);
    await until(() => pending.length > 0);
    expect(steps).toEqual(['acked']);
    expect(pending.map((p) => p.key)).toEqual(['command:T1:tr1']);
    pending[0]!.settle('first');
    await done;
    expect(steps).toEqual(['acked', 'acted']);
  });

  it('stops right after the ack when the claim finds a repeat, and says so', async () => {
    const lines: string[] = [];
    const { log, pending } = heldLog();
    const steps: string[] = [];
    const errors: unknown[] = [];
    const bolt = app(log, lines);
    bolt.error(async (error) => void errors.push(error));
    bolt.command('/pipeline', async ({ ack }) => {
      await ack();
      steps.push('acted');
    });
    const done = bolt.processEvent({ body: command('tr2'), ack: async () => void steps.push('acked') });
    await until(() => pending.length > 0);
    pending[0]!.settle('duplicate');
    await done;
    expect(steps).toEqual(['acked']);
    expect(errors).toEqual([]);
    expect(lines).toContain('ignored a repeated Slack delivery');
  });

  it('acts when the log does not answer in time (fail-open)', async () => {
    const lines: string[] = [];
    const steps: string[] = [];
    const bolt = app({ claim: async () => 'unknown' }, lines);
    bolt.command('/pipeline', async ({ ack }) => {
      await ack();
      steps.push('acted');
    });
    await bolt.processEvent({ body: command('tr3'), ack: async () => void steps.push('acked') });
    expect(steps).toEqual(['acked', 'acted']);
    expect(lines).toContain('delivery log did not answer in time: acting on it (fail-open)');
  });
});

describe('acks first', () => {
  it("holds a command's work after its ack while another command still waits for its ack", async () => {
    const steps: string[] = [];
    const bolt = app({ claim: async () => 'first' }, []);
    let releaseSecond!: () => void;
    const secondMayAck = new Promise<void>((r) => {
      releaseSecond = r;
    });
    bolt.command('/pipeline', async ({ ack, command }) => {
      if (command.trigger_id === 'slow') await secondMayAck;
      await ack();
      steps.push(`acted ${command.trigger_id}`);
    });
    const first = bolt.processEvent({
      body: command('fast'),
      ack: async () => void steps.push('acked fast'),
    });
    const second = bolt.processEvent({
      body: command('slow'),
      ack: async () => void steps.push('acked slow'),
    });
    for (let i = 0; i < 20; i++) await tick();
    expect(steps).toEqual(['acked fast']);
    releaseSecond();
    await Promise.all([first, second]);
    expect(steps.slice(0, 2)).toEqual(['acked fast', 'acked slow']);
    expect(steps.slice(2).sort()).toEqual(['acted fast', 'acted slow']);
  });

  it('waits at most ACKS_FIRST_MS for them', async () => {
    const steps: string[] = [];
    const bolt = app({ claim: async () => 'first' }, []);
    bolt.command('/pipeline', async ({ ack, command }) => {
      // Never acks: a listener stuck before its ack must not hold the others' work for ever.
      if (command.trigger_id === 'stuck') return new Promise<void>(() => undefined);
      await ack();
      steps.push('acted');
    });
    void bolt.processEvent({ body: command('stuck'), ack: async () => undefined });
    const started = Date.now();
    await bolt.processEvent({ body: command('ok'), ack: async () => undefined });
    expect(steps).toEqual(['acted']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(ACKS_FIRST_MS - 50);
  });
});

describe('createAcksFirst', () => {
  it("counts the HTTP receiver's Slack requests from their arrival to their response", async () => {
    const acks = createAcksFirst();
    const seen: string[] = [];
    const receiver = {
      requestListener: (req: IncomingMessage, _res: ServerResponse) => void seen.push(req.url ?? ''),
    };
    acks.watch(receiver);
    const request = (method: string, url: string) => {
      const res = new EventEmitter();
      receiver.requestListener({ method, url } as IncomingMessage, res as unknown as ServerResponse);
      return res;
    };
    const slack = request('POST', '/slack/events');
    request('GET', '/healthz');
    request('POST', '/tasks/watch');
    expect(seen).toEqual(['/slack/events', '/healthz', '/tasks/watch']);
    expect(acks.pending()).toBe(1);
    let drained = false;
    const waiting = acks.drained().then(() => {
      drained = true;
    });
    for (let i = 0; i < 5; i++) await tick();
    expect(drained).toBe(false);
    slack.emit('close');
    await waiting;
    expect(acks.pending()).toBe(0);
  });
});

describe('createAcksFirst, while a burst is still arriving', () => {
  it('stays closed until no request has arrived for its quiet period', async () => {
    const acks = createAcksFirst(5000, 60);
    acks.waiting()();
    const arrived = Date.now();
    let opened = 0;
    const gate = acks.drained().then(() => {
      opened = Date.now();
    });
    await new Promise((r) => setTimeout(r, 30));
    // Another arrives (and is answered) within the quiet period: the gate waits for quiet again.
    acks.waiting()();
    const second = Date.now();
    await gate;
    expect(opened - arrived).toBeGreaterThanOrEqual(60);
    expect(opened - second).toBeGreaterThanOrEqual(55);
  });
});

describe('a click', () => {
  it('is claimed before its listener runs', async () => {
    const { log, pending } = heldLog();
    const steps: string[] = [];
    const bolt = app(log, []);
    bolt.action('go', async ({ ack }) => {
      steps.push('listener');
      await ack();
    });
    const body = {
      type: 'block_actions',
      team: { id: 'T1' },
      user: { id: 'U0ALICE' },
      trigger_id: 'tr4',
      container: { type: 'message' },
      actions: [{ action_id: 'go', type: 'button', block_id: 'b', action_ts: '1' }],
    };
    const done = bolt.processEvent({ body, ack: async () => void steps.push('acked') });
    for (let i = 0; i < 5 && pending.length === 0; i++) await tick();
    expect(steps).toEqual([]);
    pending[0]!.settle('first');
    await done;
    expect(steps).toEqual(['listener', 'acked']);
  });
});
