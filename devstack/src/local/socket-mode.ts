/**
 * A fake Socket Mode endpoint: the WebSocket that `apps.connections.open` points the app at.
 * It shares the fake Slack's HTTP server (upgrade requests on `/link/`), greets each connection
 * with `hello` as Slack does (@slack/socket-mode 2.x/3.x only reports "connected" after it),
 * and delivers envelopes, resolving with the app's ack.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

/** What Slack sends over the socket for slash commands, interactivity and events. */
export interface SocketEnvelope {
  type: 'slash_commands' | 'interactive' | 'events_api';
  payload: Record<string, unknown>;
  /** True for commands and interactivity: the ack may carry a response body. */
  accepts_response_payload?: boolean;
  retry_attempt?: number;
  retry_reason?: string;
  /** Set to redeliver an envelope already sent (Slack reuses the id); otherwise a new one. */
  envelope_id?: string;
}

/** The app's acknowledgement: `{envelope_id, payload}`; `payload` is `{}` for a bare `ack()`. */
export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface SocketModeEvents {
  connection: [count: number];
  disconnection: [count: number];
  envelope: [envelope: SocketEnvelope & { envelope_id: string }];
  ack: [ack: SocketAck];
}

export interface FakeSocketModeOptions {
  appId: string;
  /** URL path the WebSocket is served on. */
  path?: string;
}

interface PendingAck {
  resolve: (ack: SocketAck) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  /** What was sent, and on which connection: redelivered elsewhere if that one closes first. */
  message: SocketEnvelope & { envelope_id: string };
  socket: WebSocket;
}

export class FakeSocketMode extends EventEmitter<SocketModeEvents> {
  readonly path: string;
  private readonly appId: string;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly tickets = new Set<string>();
  private readonly pending = new Map<string, PendingAck>();
  private ticketCount = 0;

  constructor(opts: FakeSocketModeOptions) {
    super();
    this.appId = opts.appId;
    this.path = opts.path ?? '/link/';
  }

  /** A one-use URL, as `apps.connections.open` returns; `baseUrl` is the server's `http://…`. */
  issueUrl(baseUrl: string): string {
    this.ticketCount += 1;
    const ticket = `ticket-${this.ticketCount}-${randomUUID()}`;
    this.tickets.add(ticket);
    const ws = baseUrl.replace(/^http/, 'ws');
    return `${ws}${this.path}?ticket=${encodeURIComponent(ticket)}&app_id=${this.appId}`;
  }

  /** Handles an HTTP upgrade if it is for this endpoint; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== this.path) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Resolves once at least one app connection has been greeted. */
  waitForConnection(timeoutMs = 5000): Promise<void> {
    if (this.sockets.size > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connection', onConnection);
        reject(
          new Error(
            `no Socket Mode connection after ${timeoutMs} ms: is the app started with socketMode and an appToken, and its slackApiUrl pointed at the fake?`,
          ),
        );
      }, timeoutMs);
      const onConnection = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('connection', onConnection);
    });
  }

  /**
   * Delivers an envelope to the most recent connection and resolves with the app's ack.
   * Rejects after `timeoutMs` (Slack gives an app 3 s) or if no app is connected.
   */
  send(envelope: SocketEnvelope, opts: { timeoutMs?: number } = {}): Promise<SocketAck> {
    const socket = [...this.sockets].at(-1);
    if (!socket) {
      return Promise.reject(new Error('no Socket Mode connection: start the app (socketMode: true) first'));
    }
    const envelopeId = envelope.envelope_id ?? randomUUID();
    const timeoutMs = opts.timeoutMs ?? 3000;
    const message = { ...envelope, envelope_id: envelopeId };
    return new Promise<SocketAck>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`no ack for ${envelope.type} envelope ${envelopeId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(envelopeId, { resolve, reject, timer, message, socket });
      this.emit('envelope', message);
      socket.send(JSON.stringify(message));
    });
  }

  /** Asks every connection to reconnect, as Slack does when it recycles a server. */
  requestReconnect(reason: 'refresh_requested' | 'warning' | 'link_disabled' = 'refresh_requested'): void {
    const message = JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } });
    for (const socket of this.sockets) socket.send(message);
  }

  /** Closes every connection and fails pending envelopes. */
  async close(): Promise<void> {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`Socket Mode server closed before envelope ${id} was acked`));
    }
    this.pending.clear();
    this.tickets.clear();
    // Complete the close handshake when we can: Bolt's stop() returns before its client's close
    // frame is answered, and a socket cut mid-handshake makes the client log a WebSocket error.
    await Promise.all(
      [...this.sockets].map(
        (socket) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              socket.terminate();
              resolve();
            }, 1000);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            if (socket.readyState === socket.OPEN) socket.close(1001, 'server shutting down');
          }),
      ),
    );
    this.sockets.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.emit('disconnection', this.sockets.size);
      this.redeliverFrom(ws);
    });
    ws.on('error', () => ws.terminate());
    // Same shape as Slack's greeting; the client only looks at `type`.
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    this.emit('connection', this.sockets.size);
    for (const pending of this.pending.values())
      if (!this.sockets.has(pending.socket)) this.redeliver(pending);
  }

  /**
   * Slack redelivers an envelope that was not acked on a connection that went away (a refresh,
   * a crash) to another connection of the app, with the same envelope_id and `retry_attempt`
   * counting up (docs.slack.dev/apis/events-api/using-socket-mode). Waits for one if none is open.
   */
  private redeliverFrom(ws: WebSocket): void {
    for (const pending of this.pending.values()) if (pending.socket === ws) this.redeliver(pending);
  }

  private redeliver(pending: PendingAck): void {
    const socket = [...this.sockets].at(-1);
    if (!socket) return;
    pending.message = {
      ...pending.message,
      retry_attempt: (pending.message.retry_attempt ?? 0) + 1,
      retry_reason: 'timeout',
    };
    pending.socket = socket;
    this.emit('envelope', pending.message);
    socket.send(JSON.stringify(pending.message));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawToString(data));
    } catch {
      return;
    }
    if (!parsed || typeof parsed !== 'object') return;
    const { envelope_id: id, payload } = parsed as { envelope_id?: unknown; payload?: unknown };
    if (typeof id !== 'string') return;
    const ack: SocketAck = { envelope_id: id };
    if (payload && typeof payload === 'object') ack.payload = payload as Record<string, unknown>;
    this.emit('ack', ack);
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(ack);
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
