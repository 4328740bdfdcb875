/**
 * The load client, a process of its own (forked by the bench, run by plain Node with type
 * stripping: node's modules only). Asked over IPC to send a batch of bodies to a URL, it signs
 * each as Slack does, sends them all at once (a new connection each, as Slack's requests come),
 * and answers with each one's status and time from writing the request to the status line.
 */
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadRequest {
  id: number;
  url: string;
  secret: string;
  bodies: string[];
}

export interface Sent {
  status: number;
  ms: number;
}

function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function postSigned(url: URL, secret: string, body: string): Promise<Sent> {
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(Buffer.byteLength(body)),
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': sign(secret, timestamp, body),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request(
      { hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent: false },
      (res) => {
        const took = performance.now() - started;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: took }));
        res.on('error', () => resolve({ status: 0, ms: took }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

process.on('message', (m: LoadRequest) => {
  const url = new URL(m.url);
  Promise.all(m.bodies.map((b) => postSigned(url, m.secret, b))).then((sent) =>
    process.send?.({ id: m.id, sent }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
