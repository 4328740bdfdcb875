/**
 * The production image without Docker (no engine runs here): dist/ compiled as the Dockerfile's
 * first stage does, production dependencies installed as its second stage does into a folder of
 * their own, then `node <the image's flags> dist/main.js` there (no tsx, no devstack, no dev
 * dependencies on disk) answering /healthz and a signed /pipeline status, the same over Socket
 * Mode, and refusing to start in production without credentials. Every module of dist/ loads
 * there, the lazily loaded ones too.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDriver } from '../../devstack/src/local/driver.js';
import { startFakeSlack } from '../../devstack/src/local/fake-slack.js';
import { blockText } from '../helpers/e2e.js';
import { firestoreHost } from '../helpers/firestore.js';
import {
  botAgainstFakeSlack,
  cleanups,
  freePort,
  pipelineYaml,
  root,
  runNode,
  seededSandbox,
  waitForHealthz,
} from '../helpers/process.js';

/** The image's command (the Dockerfile's `CMD` in exec form). */
const imageCommand = (dockerfile: string): string[] =>
  JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];

/** Its node flags (V8 sizing): run here too, so a Node release that drops one fails this test. */
const imageNodeFlags = (dockerfile: string): string[] => {
  const command = imageCommand(dockerfile);
  return command.slice(1, command.indexOf('dist/main.js'));
};

/** The Dockerfile's install of production dependencies, word for word. */
const PRODUCTION_INSTALL = ['ci', '--omit=dev', '--workspaces=false', '--no-audit', '--no-fund'];

/** The production tree, built once for every test here and removed after them. */
let tree: string | undefined;
afterAll(() => {
  if (tree) rmSync(tree, { recursive: true, force: true });
});

/**
 * dist/ compiled as the Dockerfile's first stage does (`npm run build`: tsc -p
 * tsconfig.build.json), beside the package files and the production install of its second stage
 * (from npm's cache when it can): no tsx, no devstack, no dev dependencies on disk.
 */
function productionTree(): string {
  if (tree) return tree;
  const dir = mkdtempSync(join(tmpdir(), 'bot-image-'));
  tree = dir;
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      join(dir, 'dist'),
    ],
    { cwd: root, stdio: 'pipe' },
  );
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(dir, f));
  cpSync(join(root, 'config'), join(dir, 'config'), { recursive: true });
  execFileSync('npm', [...PRODUCTION_INSTALL, '--prefer-offline'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

const modules = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );

describe('the production build', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

  it('is what the Dockerfile builds and runs', () => {
    expect(dockerfile).toMatch(/^FROM node:22-slim AS build$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toContain(`RUN npm ${PRODUCTION_INSTALL.join(' ')}`);
    expect(dockerfile).toMatch(/^USER node$/m);
    // `node`, its flags, then the entry point: nothing else runs in between (no npm, no shell).
    const command = imageCommand(dockerfile);
    expect(command[0]).toBe('node');
    expect(command.at(-1)).toBe('dist/main.js');
    for (const flag of imageNodeFlags(dockerfile)) expect(flag).toMatch(/^--[a-z0-9-]+=\d+$/);
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<
      string,
      string
    >;
    expect(scripts.build).toBe('tsc -p tsconfig.build.json');
  });

  it('runs with plain node and production dependencies only: /healthz and a signed /pipeline status', async () => {
    const dir = productionTree();
    expect(existsSync(join(dir, 'node_modules/@slack/bolt/package.json'))).toBe(true);
    for (const standIn of ['sql.js', 'ws', 'tsx', 'vitest', 'playwright-core', 'pipeline-chatops-devstack']) {
      expect(existsSync(join(dir, 'node_modules', standIn)), `${standIn} installed`).toBe(false);
    }
    expect(existsSync(join(dir, 'devstack'))).toBe(false);

    const { project, sandbox } = await seededSandbox();
    const yaml = pipelineYaml({ project, sandboxUrl: sandbox.url });
    // Plain-http sandbox endpoints are refused in production mode: this run is development mode.
    const { fake, port, bot, driver } = await botAgainstFakeSlack(yaml, (env) =>
      runNode([...imageNodeFlags(dockerfile), 'dist/main.js'], { ...env, NODE_ENV: 'development' }, dir),
    );
    const mark = fake.mark();
    expect((await driver.command('/pipeline status 2026-01-20')).status).toBe(200);
    const reply = await fake.waitFor((c) => c.method === 'response_url' && c.seq > mark, {
      timeoutMs: 30_000,
    });
    const text = blockText(reply.body.blocks);
    expect(text).toMatch(/Games with box scores[^\n]*4 of 7 expected/);
    expect(text).toMatch(/nba-phase4-precompute-processors[^\n]*latest revision 00049-\w+ is not ready/);
    // A request that is not signed gets nothing.
    const forged = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'command=%2Fpipeline&text=status',
    });
    expect(forged.status).toBe(401);
    bot.child.kill('SIGTERM');
    expect(await bot.exited, bot.stderr()).toBe(0);
  }, 240_000);

  it('loads every module of dist/ with plain node and production dependencies only', () => {
    // The lazily loaded ones too (Google clients by deep path, Bolt's receivers, the OIDC
    // verifier, the alert store): a status run alone never reaches them. main.js starts the bot.
    const dir = productionTree();
    const files = modules(join(dir, 'dist'))
      .map((f) => `./${relative(dir, f)}`)
      .filter((f) => f !== './dist/main.js');
    expect(files.length).toBeGreaterThan(100);
    const script = `for (const f of ${JSON.stringify(files)}) await import(f);\nprocess.stdout.write('loaded ' + ${files.length});`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      encoding: 'utf8',
      stdio: 'pipe',
    });
    expect(out).toBe(`loaded ${files.length}`);
  }, 240_000);

  it('in Socket Mode: /healthz on PORT, no signing secret, a status over the socket', async () => {
    const dir = productionTree();
    const { project, sandbox } = await seededSandbox();
    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const port = await freePort();
    const bot = runNode(
      [...imageNodeFlags(dockerfile), 'dist/main.js'],
      {
        SLACK_BOT_TOKEN: 'xoxb-build-test',
        SLACK_APP_TOKEN: 'xapp-build-test',
        SLACK_API_URL: fake.apiUrl,
        PORT: String(port),
        PIPELINE_CONFIG: pipelineYaml({ project, sandboxUrl: sandbox.url }),
        FIRESTORE_EMULATOR_HOST: firestoreHost(),
        NODE_ENV: 'development',
      },
      dir,
    );
    await waitForHealthz(port, bot);
    await fake.socketMode.waitForConnection(20_000);
    const mark = fake.mark();
    const delivery = await createDriver({ via: 'socket', fakeSlack: fake }).socketCommand(
      '/pipeline status 2026-01-20',
    );
    expect(delivery.ack.envelope_id).toBeTruthy();
    const reply = await fake.waitFor((c) => c.method === 'response_url' && c.seq > mark, {
      timeoutMs: 30_000,
    });
    expect(blockText(reply.body.blocks)).toMatch(/Games with box scores[^\n]*4 of 7 expected/);
    bot.child.kill('SIGTERM');
    expect(await bot.exited, bot.stderr()).toBe(0);
  }, 240_000);

  it('in production with no Slack credentials: exit 78 before it listens, never the demo', async () => {
    const dir = productionTree();
    const port = await freePort();
    const bot = runNode(['dist/main.js'], { K_SERVICE: 'pipeline-bot', PORT: String(port) }, dir);
    expect(await bot.exited, bot.stderr()).toBe(78);
    expect(bot.stderr()).toMatch(/on Cloud Run[\s\S]*SLACK_BOT_TOKEN: required/);
    expect(bot.stdout()).not.toMatch(/Offline demo|Console:|bot started/);
  }, 240_000);
});
