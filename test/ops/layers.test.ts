import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const depcruise = join(repo, 'node_modules/.bin/depcruise');

/** Runs the project's dependency rules over a small tree of its own; exit code and output. */
async function cruise(files: Record<string, string>): Promise<{ code: number; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-layers-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  try {
    const { stdout } = await run(depcruise, ['services', '--config', join(repo, '.dependency-cruiser.cjs')], { cwd: dir });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}
const dirs: string[] = [];

describe('the layer rules npm test enforces', () => {
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('accept an upper layer importing a lower one', async () => {
    const { code, out } = await cruise({
      'services/catalog/entry.ts': "import { x } from '../platform/errors.ts';\nexport const y = x;\n",
      'services/platform/errors.ts': 'export const x = 1;\n',
    });
    expect(out).toMatch(/no dependency violations/);
    expect(code).toBe(0);
  });

  it('refuse platform importing a domain folder', async () => {
    const { code, out } = await cruise({
      'services/platform/errors.ts': "import { y } from '../catalog/entry.ts';\nexport const x = y;\n",
      'services/catalog/entry.ts': 'export const y = 1;\n',
    });
    expect(code).not.toBe(0);
    expect(out).toMatch(/layer-platform: services\/platform\/errors\.ts → services\/catalog\/entry\.ts/);
  });

  it('refuse a lower domain folder importing a higher one', async () => {
    const { code, out } = await cruise({
      'services/ingest/service.ts': "import { s } from '../sharing/grants.ts';\nexport const i = s;\n",
      'services/sharing/grants.ts': 'export const s = 1;\n',
      'services/principals/types.ts': "import { a } from '../audit/log.ts';\nexport const p = a;\n",
      'services/audit/log.ts': 'export const a = 1;\n',
    });
    expect(code).not.toBe(0);
    expect(out).toMatch(/layer-ingest: services\/ingest\/service\.ts → services\/sharing\/grants\.ts/);
    expect(out).toMatch(/layer-principals: services\/principals\/types\.ts → services\/audit\/log\.ts/);
  });

  it('refuse a module cycle inside a folder', async () => {
    const { code, out } = await cruise({
      'services/cleansing/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
      'services/cleansing/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
    });
    expect(code).not.toBe(0);
    expect(out).toMatch(/no-circular/);
  });
});

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(repo, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.(ts|js)$/.test(e.name)) out.push(join(e.parentPath, e.name).slice(repo.length + 1));
  }
  return out;
}

/** Lines of code (not comments) matching `pattern`, as file:line. */
async function spelled(pattern: RegExp, skip: (file: string) => boolean): Promise<string[]> {
  const hits: string[] = [];
  for (const dir of ['services', 'connectors', 'ops', 'bin']) {
    for (const file of await sources(dir)) {
      if (skip(file)) continue;
      for (const [i, line] of (await readFile(join(repo, file), 'utf8')).split('\n').entries()) {
        if (/^\s*(\/\/|\*|\/\*\*)/.test(line)) continue;
        if (pattern.test(line)) hits.push(`${file}:${i + 1}`);
      }
    }
  }
  return hits;
}

describe('one place for names and for the environment', () => {
  it('spells topic and subject names only in the contract module', async () => {
    expect(await spelled(/['"`](raw|clean|share|connect|quality|hub)\.[a-z$]|-value['"`]/, (f) => f.startsWith('services/contract/'))).toEqual([]);
  });

  it('reads process.env only in the config module', async () => {
    expect(await spelled(/process\.env/, (f) => f === 'services/platform/config.ts')).toEqual([]);
  });
});
