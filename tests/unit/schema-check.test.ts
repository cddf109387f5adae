import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SUBGRAPHS, subgraphPath } from '../../lib/services';
import { composeSupergraph } from '../../router/compose';
import { apiSchemaOf, compareApiSchemas, formatReport, readSchemaChangesFile } from '../../scripts/schema-check';

/** The API schema composed from the subgraphs' SDL, with `edit` applied to one subgraph's. */
function apiSchema(edit?: { subgraph: string; change: (sdl: string) => string }) {
  const composed = composeSupergraph(SUBGRAPHS, (name) => {
    const sdl = fs.readFileSync(subgraphPath(name, 'schema'), 'utf8');
    return edit?.subgraph === name ? edit.change(sdl) : sdl;
  });
  if ('errors' in composed) throw new Error(composed.errors.join('\n'));
  return apiSchemaOf(composed.supergraphSdl);
}

const REMOVED = "Field 'description' was removed from object type 'Product'";
const withoutDescription = { subgraph: 'products', change: (sdl: string) => sdl.replace(/^\s*"[^"\n]*"\n\s*description: String\n/m, '\n') };

describe('npm run schema:check', () => {
  test('a removed field is breaking, and fails the check until it is acknowledged', async () => {
    const before = apiSchema();
    const after = apiSchema(withoutDescription);
    const report = await compareApiSchemas(before, after);
    expect(report.breaking.map(({ message }) => message)).toEqual([REMOVED]);
    expect(report.unacknowledged).toHaveLength(1);
    expect(formatReport(report, 'main')).toContain(`${REMOVED}  [NOT ACKNOWLEDGED]`);

    const acknowledged = await compareApiSchemas(before, after, [{ change: REMOVED, why: 'no client reads it' }]);
    expect(acknowledged.unacknowledged).toEqual([]);
    expect(formatReport(acknowledged, 'main')).toContain(`${REMOVED}  [acknowledged]`);
  });

  test('an added field is safe, an @inaccessible one is not seen at all, and a stale acknowledgement is reported', async () => {
    const added = (type: string) => ({
      subgraph: 'products',
      change: (sdl: string) =>
        sdl.replace(/^type Product @key\(fields: "id"\)(.*)\{$/m, `type Product @key(fields: "id")$1{\n  weightGrams: ${type}\n`),
    });
    const report = await compareApiSchemas(apiSchema(), apiSchema(added('Int')), [{ change: REMOVED, why: 'gone' }]);
    expect(report.breaking).toEqual([]);
    expect(report.safe.map(({ message }) => message)).toEqual(["Field 'weightGrams' was added to object type 'Product'"]);
    expect(report.stale).toEqual([REMOVED]);
    const hidden = await compareApiSchemas(apiSchema(), apiSchema(added('Int @inaccessible')));
    expect([...hidden.breaking, ...hidden.dangerous, ...hidden.safe]).toEqual([]);
  });

  test('the acknowledgements file needs a base and a reason for every change', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-changes-'));
    try {
      const file = path.join(dir, 'schema-changes.json');
      fs.writeFileSync(file, JSON.stringify({ base: 'main', acknowledged: [{ change: REMOVED }] }));
      expect(() => readSchemaChangesFile(file)).toThrow(/needs its "change" and a "why"/);
      fs.writeFileSync(file, JSON.stringify({ acknowledged: [] }));
      expect(() => readSchemaChangesFile(file)).toThrow(/must hold \{ "base"/);
      expect(readSchemaChangesFile().acknowledged.every(({ why }) => why.length > 0)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
