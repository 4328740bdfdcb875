/**
 * The parts of Bolt the bot runs on (the App, its HTTP and Socket Mode receivers, the HTTP
 * helpers), loaded from their own modules rather than from Bolt's index: the index also loads the
 * ExpressReceiver, and with it Express and its dependencies, which this bot never uses. That was
 * 13 MB of resident memory and 0.16 s of every start (measured with Bolt 5.1 on Node 22).
 *
 * Types come from the index as usual (type imports load nothing). Bolt's package has no
 * `exports` map, so these paths are reachable; a Bolt release that moved them would stop the bot
 * at its start, and with it every test that starts one (tests/e2e/build.test.ts among them).
 */
import { createRequire } from 'node:module';
import type * as Bolt from '@slack/bolt';

const require = createRequire(import.meta.url);

/** Bolt's modules are CommonJS with `exports.default`; required here so every loader agrees. */
const defaultOf = <T>(path: string): T => (require(path) as { default: T }).default;

export const App = defaultOf<typeof Bolt.App>('@slack/bolt/dist/App.js');
export type App = Bolt.App;
export const HTTPReceiver = defaultOf<typeof Bolt.HTTPReceiver>('@slack/bolt/dist/receivers/HTTPReceiver.js');
export type HTTPReceiver = Bolt.HTTPReceiver;
export const SocketModeReceiver = defaultOf<typeof Bolt.SocketModeReceiver>(
  '@slack/bolt/dist/receivers/SocketModeReceiver.js',
);
export type SocketModeReceiver = Bolt.SocketModeReceiver;
export const HTTPModuleFunctions =
  require('@slack/bolt/dist/receivers/HTTPModuleFunctions.js') as typeof Bolt.HTTPModuleFunctions;
export const LogLevel = (require('@slack/bolt/dist/App.js') as { LogLevel: typeof Bolt.LogLevel }).LogLevel;
export type LogLevel = Bolt.LogLevel;
