import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Proves the import boundaries in biome.jsonc fire. The fixtures under tests/fixtures/boundaries/
 * mirror the repository's folders (lib/, subgraphs/orders/, bench/) and are ignored by `npm run lint`;
 * here they are linted in a scratch copy next to the project's own biome.jsonc, so the per-folder
 * overrides apply to them exactly as they would to real files in those folders.
 */
const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'boundaries');
const BIOME = path.join(ROOT, 'node_modules', '.bin', 'biome');

let scratch: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-boundaries-'));
  fs.copyFileSync(path.join(ROOT, 'biome.jsonc'), path.join(scratch, 'biome.jsonc'));
  fs.cpSync(FIXTURES, scratch, { recursive: true });
});

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function lint(file: string): { status: number | null; output: string } {
  // No git repository in the scratch folder: VCS integration off, everything else as configured.
  const run = spawnSync(BIOME, ['lint', '--vcs-enabled=false', '--colors=off', file], { cwd: scratch, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('import boundaries', () => {
  test.each([
    ['lib/imports-subgraph.ts', 'lib/ is shared by every service'],
    ['lib/imports-tool.ts', 'lib/ is shared by every service'],
    ['subgraphs/orders/imports-products.ts', "A subgraph may not import another subgraph's code"],
    ['subgraphs/reviews/imports-users.ts', "A subgraph may not import another subgraph's code"],
    ['bench/imports-tests.ts', 'bench/ may not import tests/'],
  ])('%s fails lint', (file, message) => {
    const { status, output } = lint(file);
    expect(status).not.toBe(0);
    expect(output).toContain('lint/style/noRestrictedImports');
    expect(output).toContain(message);
  });

  test.each(['lib/clean.ts', 'subgraphs/reviews/clean.ts'])('%s, inside its boundary, passes', (file) => {
    const { status, output } = lint(file);
    expect(output).not.toContain('noRestrictedImports');
    expect(status).toBe(0);
  });
});
