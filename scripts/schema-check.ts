/**
 * `npm run schema:check [ref]`: what a change does to the clients of the supergraph. Compares the
 * API schema (what clients can query: the composed supergraph without federation's machinery and
 * `@inaccessible` fields) composed from the subgraphs' SDL in the working tree with the one at a
 * git ref, using GraphQL Inspector (@graphql-inspector/core), and prints the breaking, dangerous and
 * safe changes.
 *
 * The ref is the argument, or else `base` in router/schema-changes.json: the commit whose API
 * schema deployed clients are known to use (move it forward, and empty `acknowledged`, once those
 * clients have moved on). Exits 1 on a breaking change not listed in that file's `acknowledged`
 * (each `{ "change": "<the message printed here>", "why": "..." }`), so a breaking change lands
 * only together with an edit of that file that a reviewer sees. `.ci/run` runs it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import { CriticalityLevel, diff, type Change } from '@graphql-inspector/core';
import type { GraphQLSchema } from 'graphql';
import { PROJECT_ROOT } from '../lib/paths';
import { composeSupergraph, SUPERGRAPH_FILE } from '../router/compose';

export const SCHEMA_CHANGES_FILE = path.join(PROJECT_ROOT, 'router', 'schema-changes.json');

export interface SchemaChangesFile {
  base: string;
  acknowledged: { change: string; why: string }[];
}

export interface SchemaReport {
  breaking: Change[];
  dangerous: Change[];
  safe: Change[];
  /** Breaking changes not acknowledged: any of them fails the check. */
  unacknowledged: Change[];
  /** Acknowledgements that match no change any more (the base moved, or the change was undone). */
  stale: string[];
}

/** What clients of this supergraph can query. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

export async function compareApiSchemas(
  before: GraphQLSchema,
  after: GraphQLSchema,
  acknowledged: SchemaChangesFile['acknowledged'] = [],
): Promise<SchemaReport> {
  const changes = await diff(before, after);
  const of = (level: CriticalityLevel) => changes.filter((change) => change.criticality.level === level);
  const breaking = of(CriticalityLevel.Breaking);
  const known = new Set(acknowledged.map(({ change }) => change));
  const messages = new Set(changes.map(({ message }) => message));
  return {
    breaking,
    dangerous: of(CriticalityLevel.Dangerous),
    safe: of(CriticalityLevel.NonBreaking),
    unacknowledged: breaking.filter(({ message }) => !known.has(message)),
    stale: [...known].filter((message) => !messages.has(message)),
  };
}

export function readSchemaChangesFile(file = SCHEMA_CHANGES_FILE): SchemaChangesFile {
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SchemaChangesFile>;
  if (typeof parsed.base !== 'string' || !Array.isArray(parsed.acknowledged)) {
    throw new Error(`${path.relative(PROJECT_ROOT, file)} must hold { "base": "<git ref>", "acknowledged": [{ "change", "why" }] }`);
  }
  for (const entry of parsed.acknowledged) {
    if (typeof entry?.change !== 'string' || typeof entry.why !== 'string' || entry.why.trim() === '') {
      throw new Error(`${path.relative(PROJECT_ROOT, file)}: every acknowledged change needs its "change" and a "why"`);
    }
  }
  return parsed as SchemaChangesFile;
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The committed supergraph at a git ref; a shallow clone (as CI systems make) is deepened first if it lacks the ref. */
function supergraphAt(ref: string): string {
  const file = path.relative(PROJECT_ROOT, SUPERGRAPH_FILE);
  try {
    return git('show', `${ref}:${file}`);
  } catch (error) {
    if (git('rev-parse', '--is-shallow-repository').trim() === 'true') {
      git('fetch', '--quiet', '--unshallow');
      return supergraphAt(ref);
    }
    throw new Error(`cannot read ${file} at "${ref}": ${String((error as { stderr?: string }).stderr ?? error).trim()}`);
  }
}

export function formatReport(report: SchemaReport, ref: string): string {
  const lines = [`API schema changes since ${ref}:`];
  const unacknowledged = new Set(report.unacknowledged);
  const section = (title: string, changes: Change[], mark: (change: Change) => string = () => '') => {
    lines.push(`\n${title} (${changes.length})`);
    for (const change of changes) lines.push(`  - ${change.message}${mark(change)}`);
  };
  section('Breaking', report.breaking, (change) => (unacknowledged.has(change) ? '  [NOT ACKNOWLEDGED]' : '  [acknowledged]'));
  section('Dangerous', report.dangerous, (change) => (change.criticality.reason ? `: ${change.criticality.reason}` : ''));
  section('Safe', report.safe);
  if (report.stale.length > 0) {
    lines.push(`\nAcknowledged in ${path.relative(PROJECT_ROOT, SCHEMA_CHANGES_FILE)} but no longer a change (remove them):`);
    for (const message of report.stale) lines.push(`  - ${message}`);
  }
  if (report.unacknowledged.length > 0) {
    lines.push(
      `\n${report.unacknowledged.length} breaking change(s) would break deployed clients. Undo them, or add each message above ` +
        `to "acknowledged" in ${path.relative(PROJECT_ROOT, SCHEMA_CHANGES_FILE)} with why it is safe to ship.`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const changesFile = readSchemaChangesFile();
  const ref = process.argv[2] ?? changesFile.base;
  const composed = composeSupergraph();
  if ('errors' in composed) {
    process.stderr.write(`Composition failed:\n${composed.errors.map((message) => `- ${message}`).join('\n')}\n`);
    process.exit(1);
  }
  const report = await compareApiSchemas(apiSchemaOf(supergraphAt(ref)), apiSchemaOf(composed.supergraphSdl), changesFile.acknowledged);
  process.stdout.write(`${formatReport(report, ref)}\n`);
  if (report.unacknowledged.length > 0) process.exit(1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`schema:check failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
