/**
 * The reference for ack latency: a bare node:http server, a process of its own like the bot,
 * that only verifies Slack's signature and 5-minute window and answers 200 (401 if wrong).
 * Forked by the bench and run by plain Node (type stripping); the secret comes in BENCH_SECRET,
 * the port it listens on goes back over IPC.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const secret = process.env.BENCH_SECRET ?? '';

function sign(timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const ts = String(req.headers['x-slack-request-timestamp'] ?? '');
    const given = Buffer.from(String(req.headers['x-slack-signature'] ?? ''));
    const body = Buffer.concat(chunks).toString('utf8');
    const fresh = Math.abs(Date.now() / 1000 - Number(ts)) < 300;
    const expected = Buffer.from(sign(Number(ts), body));
    const good = fresh && given.length === expected.length && timingSafeEqual(given, expected);
    res.writeHead(good ? 200 : 401);
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
