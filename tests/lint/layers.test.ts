/**
 * The layer rules live in biome.json (one `noRestrictedImports` override per layer of src/), so
 * `npm run lint` fails when a layer reaches up or out, from any depth of its folder. Each case copies the
 * project's own biome.json next to one file in a temp tree and runs the project's Biome on it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const biome = join(root, 'node_modules/.bin/biome');
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Lint `files` (path → source) under a copy of the project's biome.json; exit code and output. */
function lint(files: Record<string, string>): { code: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  dirs.push(dir);
  const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8')) as Record<string, unknown>;
  // Not a git checkout: the ignore file would hide everything. The schema stays the project's.
  config.vcs = { enabled: false };
  config.$schema = join(root, 'node_modules/@biomejs/biome/configuration_schema.json');
  writeFileSync(join(dir, 'biome.json'), JSON.stringify(config, null, 2));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  const result = spawnSync(biome, ['lint', '--config-path', dir, '--colors=off', dir], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

const domainPure = 'src/domain is pure: define a port and implement it in src/gcp or src/store';
const viewsNoIo = 'src/views are pure functions from data to Block Kit: no I/O';
const viewsLayer = 'src/views may import only domain types and other views.';
const noStandIns = 'The product never loads the stand-ins (devstack/) or their libraries';

describe('npm run lint enforces the layers (biome.json)', () => {
  it.each([
    {
      name: 'src/domain importing @slack/bolt',
      path: 'src/domain/bad.ts',
      source: "import { App } from '@slack/bolt';\n\nexport const make = () => new App({});\n",
      message: domainPure,
    },
    {
      name: 'src/domain importing a Google client',
      path: 'src/domain/bad.ts',
      source: "import { ServicesClient } from '@google-cloud/run';\n\nexport const c = ServicesClient;\n",
      message: domainPure,
    },
    {
      name: 'src/domain importing an adapter',
      path: 'src/domain/bad.ts',
      source: "import { guarded } from '../gcp/call.js';\n\nexport const g = guarded;\n",
      message: 'src/domain depends on nothing above it',
    },
    {
      name: 'src/views importing node:fs',
      path: 'src/views/bad.ts',
      source:
        "import { readFileSync } from 'node:fs';\n\nexport const view = () => readFileSync('/etc/hostname', 'utf8');\n",
      message: viewsNoIo,
    },
    {
      name: 'src/views importing src/gcp',
      path: 'src/views/bad.ts',
      source: "import { guarded } from '../gcp/call.js';\n\nexport const g = guarded;\n",
      message: viewsLayer,
    },
    {
      name: 'src/app.ts importing the fake Slack',
      path: 'src/app.ts',
      source:
        "import { FakeSlack } from '../devstack/src/local/fake-slack.js';\n\nexport const f = FakeSlack;\n",
      message: noStandIns,
    },
    {
      name: 'src/commands importing the sandbox',
      path: 'src/commands/bad.ts',
      source:
        "import { startSandbox } from '../../devstack/src/sandbox/index.js';\n\nexport const s = startSandbox;\n",
      message: noStandIns,
    },
    {
      name: 'src/domain importing the devstack package',
      path: 'src/domain/bad.ts',
      source: "import { x } from 'pipeline-chatops-devstack/src/x.js';\n\nexport const y = x;\n",
      message: noStandIns,
    },
    {
      name: 'src/views importing the sandbox',
      path: 'src/views/bad.ts',
      source:
        "import { startSandbox } from '../../devstack/src/sandbox/index.js';\n\nexport const s = startSandbox;\n",
      message: noStandIns,
    },
    {
      name: 'src/gcp importing sql.js',
      path: 'src/gcp/bad.ts',
      source: "import initSqlJs from 'sql.js';\n\nexport const i = initSqlJs;\n",
      message: noStandIns,
    },
    {
      name: 'src/commands importing src/interactions (the old cycle)',
      path: 'src/commands/bad.ts',
      source:
        "import { makeRollbackButton } from '../interactions/rollback.js';\n\nexport const b = makeRollbackButton;\n",
      message: 'src/commands are listeners',
    },
    {
      name: 'src/interactions importing src/commands',
      path: 'src/interactions/bad.ts',
      source: "import { makeHealCommand } from '../commands/heal.js';\n\nexport const h = makeHealCommand;\n",
      message: 'src/interactions are listeners',
    },
    {
      name: 'src/flows importing src/interactions',
      path: 'src/flows/bad.ts',
      source:
        "import { makePlanSubmit } from '../interactions/plan-submit.js';\n\nexport const p = makePlanSubmit;\n",
      message: 'src/flows serve both kinds of listener',
    },
    {
      name: 'src/workflows importing a view',
      path: 'src/workflows/bad.ts',
      source: "import { progressMessage } from '../views/guarded.js';\n\nexport const p = progressMessage;\n",
      message: 'src/workflows run guarded actions through ports',
    },
    {
      name: 'src/gcp importing the store',
      path: 'src/gcp/bad.ts',
      source:
        "import { createFirestoreAuditLog } from '../store/firestore-requests.js';\n\nexport const a = createFirestoreAuditLog;\n",
      message: 'src/gcp adapters implement domain ports',
    },
    {
      name: 'src/domain/status importing an adapter two folders up',
      path: 'src/domain/status/bad.ts',
      source: "import { guarded } from '../../gcp/call.js';\n\nexport const g = guarded;\n",
      message: 'src/domain depends on nothing above it',
    },
    {
      name: 'src/domain importing src/flows',
      path: 'src/domain/bad.ts',
      source: "import { statusFlow } from '../flows/status.js';\n\nexport const s = statusFlow;\n",
      message: 'src/domain depends on nothing above it',
    },
    {
      name: 'src/domain/status importing the composition root',
      path: 'src/domain/status/bad.ts',
      source: "import { createBot } from '../../app.js';\n\nexport const c = createBot;\n",
      message: 'src/domain depends on nothing above it',
    },
    {
      name: 'src/views importing src/flows',
      path: 'src/views/bad.ts',
      source: "import { statusFlow } from '../flows/status.js';\n\nexport const s = statusFlow;\n",
      message: viewsLayer,
    },
    {
      name: 'src/views importing the Slack boundary',
      path: 'src/views/bad.ts',
      source: "import { App } from '../slack-bolt.js';\n\nexport const a = App;\n",
      message: viewsLayer,
    },
    {
      name: 'src/config.ts importing a flow',
      path: 'src/config.ts',
      source: "import { statusFlow } from './flows/status.js';\n\nexport const s = statusFlow;\n",
      message: 'they may import the domain only',
    },
    {
      name: 'src/ids.ts importing a view',
      path: 'src/ids.ts',
      source: "import { esc } from './views/common.js';\n\nexport const e = esc;\n",
      message: 'they may import the domain only',
    },
    {
      name: 'src/store importing the composition root',
      path: 'src/store/bad.ts',
      source: "import { createBot } from '../app.js';\n\nexport const c = createBot;\n",
      message: "src/store implements the bot's own state",
    },
  ])('fails on $name, with the rule’s message', ({ path, source, message }) => {
    const { code, output } = lint({ [path]: source });
    expect(code, output).not.toBe(0);
    expect(output).toContain('lint/style/noRestrictedImports');
    expect(output).toContain(message);
    expect(output).toContain(path.split('/').at(-1));
  });

  it('passes files that keep to their layer', () => {
    const { code, output } = lint({
      'src/domain/good.ts':
        "import type { IsoDate } from './ports.js';\n\nexport const day = (d: IsoDate): string => d;\n",
      'src/views/good.ts':
        "import type { StatusReport } from '../domain/status.js';\nimport { esc } from './common.js';\n\nexport const title = (r: StatusReport): string => esc(r.date);\n",
      // A view's own modules, whatever their names (slack-limits.js is not the Slack boundary).
      'src/views/limits.ts':
        "import { slackLimits } from './slack-limits.js';\n\nexport const l = slackLimits;\n",
      'src/domain/status/good.ts':
        "import type { PipelineConfig } from '../../config.js';\nimport type { IsoDate } from '../ports.js';\n\nexport const f = (c: PipelineConfig, d: IsoDate): string => c.project + d;\n",
      'src/config.ts':
        "import { componentsOf } from './domain/components.js';\n\nexport const c = componentsOf;\n",
      // The same imports are fine outside those layers.
      'src/gcp/fine.ts': "import { readFileSync } from 'node:fs';\n\nexport const read = readFileSync;\n",
      // The stand-ins import the product, never the reverse.
      'devstack/src/fine.ts':
        "import { loadEnv } from '../../src/config.js';\n\nexport const env = loadEnv;\n",
    });
    expect(code, output).toBe(0);
    expect(output).not.toContain('noRestrictedImports');
  });
});
