/**
 * The production image without Docker (no engine runs here): dist/ compiled as the Dockerfile's
 * first stage does, production dependencies installed as its second stage does into a folder of
 * their own, then `node <the image's flags> dist/main.js` there (no tsx, no devstack, no dev
 * dependencies on disk) answering /healthz and a signed /pipeline status.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockText } from '../helpers/e2e.js';
import {
  botAgainstFakeSlack,
  pipelineYaml,
  root,
  runNode,
  seededSandbox,
  tempDir,
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
    const dir = tempDir();
    // Stage 1: `npm run build` (tsc -p tsconfig.build.json), into the temp folder's dist/.
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        join(dir, 'dist'),
      ],
      {
        cwd: root,
        stdio: 'pipe',
      },
    );
    // Stage 2: the package files and the production install (from npm's cache when it can).
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(dir, f));
    cpSync(join(root, 'config'), join(dir, 'config'), { recursive: true });
    execFileSync('npm', [...PRODUCTION_INSTALL, '--prefer-offline'], { cwd: dir, stdio: 'pipe' });
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
});
