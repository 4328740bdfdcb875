/**
 * Checks at the Slack boundary that Bolt 5.1 does not make: a request timestamped in the future,
 * and payloads missing the fields every listener relies on (`user`, the view, the action).
 * Both run in front of Bolt, which still verifies every signature itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, HTTPReceiver, ReceiverEvent, ReceiverProcessEventErrorHandlerArgs } from '@slack/bolt';
import type { Logger } from './log.js';
import { HTTPModuleFunctions } from './slack-bolt.js';

/** Slack's replay window: docs.slack.dev/authentication/verifying-requests-from-slack (5 minutes either way). */
const WINDOW_SECONDS = 5 * 60;

/** A payload refused before any listener sees it; the HTTP receiver answers it with a 400. */
export class MalformedPayload extends Error {
  override readonly name = 'MalformedPayload';
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/**
 * What is missing from a command or interactive payload that Bolt or the listeners would
 * dereference (`body.user.id` throws a TypeError inside Bolt otherwise); undefined when it is
 * well formed or of a kind this bot does not read. Names fields, never values.
 */
export function payloadProblem(body: unknown): string | undefined {
  if (!isRecord(body)) return 'the body is not an object';
  if (typeof body.command === 'string') {
    const missing = ['user_id', 'channel_id', 'trigger_id', 'response_url'].filter((k) => !isId(body[k]));
    return missing.length ? `a slash command without ${missing.join(', ')}` : undefined;
  }
  const type = body.type;
  if (type !== 'block_actions' && type !== 'view_submission' && type !== 'view_closed') return undefined;
  const missing: string[] = [];
  if (!isRecord(body.user) || !isId(body.user.id)) missing.push('user.id');
  if (type === 'block_actions') {
    const actions = body.actions;
    if (!Array.isArray(actions) || actions.length === 0) missing.push('actions');
    else if (!actions.every((a) => isRecord(a) && isId(a.action_id))) missing.push('actions[].action_id');
    if (!isRecord(body.container)) missing.push('container');
  } else {
    const view = body.view;
    if (!isRecord(view)) missing.push('view');
    else {
      if (!isId(view.id)) missing.push('view.id');
      if (typeof view.callback_id !== 'string') missing.push('view.callback_id');
      if (typeof view.private_metadata !== 'string') missing.push('view.private_metadata');
      if (type === 'view_submission' && !(isRecord(view.state) && isRecord(view.state.values)))
        missing.push('view.state.values');
    }
  }
  return missing.length ? `a ${type} payload without ${missing.join(', ')}` : undefined;
}

/**
 * Refuse a payload with missing fields before Bolt builds its context from it. Over HTTP it
 * becomes a 400 (see `guardReceiver`); over Socket Mode there is no status to send, so the
 * envelope is acked (Slack would redeliver it otherwise) and nothing else happens.
 */
export function guardPayloads(app: App, log: Logger, mode: 'http' | 'socket'): void {
  const inner = app.processEvent.bind(app);
  app.processEvent = async (event: ReceiverEvent) => {
    const problem = payloadProblem(event.body);
    if (!problem) return inner(event);
    log.warn('refused a malformed Slack payload', { problem, mode });
    if (mode === 'http') throw new MalformedPayload(problem);
    await event.ack();
  };
}

/**
 * Put the future half of the timestamp window in front of the receiver (Bolt checks only the past).
 */
export function guardReceiver(receiver: HTTPReceiver, log: Logger, nowMs: () => number = Date.now): void {
  const inner = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers['x-slack-request-timestamp'];
    const ts = Number(Array.isArray(header) ? header[0] : header);
    if (req.method === 'POST' && Number.isFinite(ts) && ts > nowMs() / 1000 + WINDOW_SECONDS) {
      // Answered as Bolt answers a stale one: 401, no body.
      log.warn('refused a Slack request timestamped in the future', {
        aheadSeconds: Math.round(ts - nowMs() / 1000),
      });
      res.writeHead(401);
      res.end();
      return;
    }
    inner(req, res);
  };
}

/** The HTTP receiver's `processEventErrorHandler`: a `MalformedPayload` is a 400, anything else Bolt's default. */
export async function processEventErrorHandler(args: ReceiverProcessEventErrorHandlerArgs): Promise<boolean> {
  if (!(args.error instanceof MalformedPayload))
    return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
  if (!args.response.headersSent) HTTPModuleFunctions.buildNoBodyResponse(args.response, 400);
  // Nothing left to ack: the response is written.
  return false;
}
