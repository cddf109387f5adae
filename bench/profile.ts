/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the time went: self time added up by
 * where the code lives (an npm package, a project folder, Node's own code, garbage collection) and
 * the functions with the most self time.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** `@prisma/client`, `graphql`, `subgraphs/orders`, `node:internal`, `(garbage collector)`… */
function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = file.slice(modules + '/node_modules/'.length).split('/');
    return scope!.startsWith('@') ? `${scope}/${name}` : scope!;
  }
  const parts = file.split(path.sep);
  const dist = parts.lastIndexOf('dist');
  const rest = dist >= 0 ? parts.slice(dist + 1) : parts.slice(-3);
  return rest.slice(0, rest[0] === 'subgraphs' || rest[0] === 'lib' ? 2 : 1).join('/');
}

export interface ProfileSummary {
  totalMs: number;
  byPlace: [string, number][];
  byFunction: [string, number][];
}

export function summariseProfile(file: string, top = 12): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  /**
   * WebAssembly and native code have no file of their own: they are named after the first package
   * or project code that called them (PGlite's PostgreSQL, Prisma's query compiler, PGlite's
   * fsync…), past Node's own modules.
   */
  const callerOf = (id: number, kind: string): string => {
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const { url, functionName } = byId.get(at)!.callFrame;
      if (url && !url.startsWith('wasm:') && !url.startsWith('node:')) return `${kind} called from ${placeOf(url, functionName)}`;
    }
    return kind;
  };
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      idle += us;
      continue;
    }
    const place = url.startsWith('wasm:')
      ? callerOf(id, 'wasm')
      : !url && !functionName.startsWith('(')
        ? callerOf(id, 'native')
        : placeOf(url, functionName);
    places.set(place, (places.get(place) ?? 0) + us);
    const name = `${functionName || '(anonymous)'} ${place}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const sorted = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => [name, us / 1000] as [string, number]);
  const busy = profile.samples.length ? [...selfUs.values()].reduce((sum, us) => sum + us, 0) - idle : 0;
  return { totalMs: busy / 1000, byPlace: sorted(places), byFunction: sorted(functions) };
}

/** The summary as text: shares of the busy (non-idle) time. */
export function formatProfile(name: string, summary: ProfileSummary): string {
  const share = (ms: number) => `${((ms / summary.totalMs) * 100).toFixed(1).padStart(5)} %`;
  return [
    `${name}: ${summary.totalMs.toFixed(0)} ms busy`,
    '  by where the code lives:',
    ...summary.byPlace.map(([place, ms]) => `    ${share(ms)}  ${place}`),
    '  functions with the most self time:',
    ...summary.byFunction.map(([fn, ms]) => `    ${share(ms)}  ${fn}`),
  ].join('\n');
}
