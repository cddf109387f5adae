/**
 * `npm run check:k8s`: renders each overlay of deploy/k8s with `kubectl kustomize` (offline) and
 * validates every object against the Kubernetes OpenAPI schemas (the `kubernetes-models` package),
 * then prints the kinds and counts. `check:k8s -- <file.yaml>` validates a rendered file instead.
 *
 * The overlays read their Secrets from git-ignored files (deploy/k8s/make-secrets.sh), so a render
 * works on a copy of deploy/k8s with example secrets made by that same script: the real secret
 * folders are never read or written here.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from '../lib/paths';

export const K8S_DIR = path.join(PROJECT_ROOT, 'deploy', 'k8s');
export const OVERLAYS = ['dev', 'prod'] as const;

/** What make-secrets.sh needs; example values only, for rendering. */
export const EXAMPLE_SECRET_ENV = {
  USERS_DATABASE_URL: 'postgresql://users:example-password@postgres.example.internal:5432/users',
  PRODUCTS_DATABASE_URL: 'postgresql://products:example-password@postgres.example.internal:5432/products',
  ORDERS_DATABASE_URL: 'postgresql://orders:example-password@postgres.example.internal:5432/orders',
  ADMIN_EMAIL: 'admin@example.com',
};

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? `${command} is not installed (or not on PATH): it is needed to render deploy/k8s` : result.error.message);
  }
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** A copy of `source` (deploy/k8s) in a temporary folder, with example secrets in every overlay. */
export function copyWithExampleSecrets(source: string = K8S_DIR): string {
  const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-')), 'k8s');
  fs.cpSync(source, copy, { recursive: true, filter: (file) => path.basename(file) !== 'secrets' });
  for (const overlay of OVERLAYS) {
    run('sh', [path.join(copy, 'make-secrets.sh'), path.join(copy, 'overlays', overlay)], { ...process.env, ...EXAMPLE_SECRET_ENV });
  }
  return copy;
}

/** `kubectl kustomize <dir>/overlays/<overlay>`: the YAML stream `kubectl apply -k` would send. */
export function renderOverlay(overlay: string, dir: string): string {
  return run('kubectl', ['kustomize', path.join(dir, 'overlays', overlay)]);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`Invalid YAML: ${document.errors[0]!.message}`);
    const value: unknown = document.toJS();
    if (value === null) return [];
    const object = value as K8sObject;
    if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new Error(`Not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`);
    }
    return [object];
  });
}

// Each model's constructor takes its own kind's shape; what comes from YAML is unchecked until validate().
type Model = new (data: never) => { validate(): void };

/** The kinds deploy/k8s uses, each with its schema; any other kind is reported as unvalidated. */
const MODELS: Record<string, () => Promise<Model>> = {
  'v1/Namespace': async () => (await import('kubernetes-models/v1/Namespace')).Namespace,
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'batch/v1/Job': async () => (await import('kubernetes-models/batch/v1/Job')).Job,
  'autoscaling/v2/HorizontalPodAutoscaler': async () =>
    (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': async () => (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': async () => (await import('kubernetes-models/networking.k8s.io/v1/NetworkPolicy')).NetworkPolicy,
};

/**
 * Each object against its kind's OpenAPI schema: types, required fields, formats. The upstream
 * schemas do not forbid unknown fields, so a misspelt optional field passes here; the unit test
 * (tests/unit/k8s.test.ts) asserts the fields that matter are where they belong.
 */
export async function validateObjects(objects: readonly K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const name = `${object.kind}/${object.metadata.name}`;
    const load = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!load) {
      problems.push(`${name}: no schema for ${object.apiVersion} ${object.kind} in scripts/check-k8s.ts`);
      continue;
    }
    const Model = await load();
    try {
      new Model(asDecoded(object) as never).validate();
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * kustomize folds a long Secret value's base64 over several lines; the API server's decoder (Go's
 * encoding/base64) skips line breaks, the schema's "byte" format does not. Unfold before checking.
 */
function asDecoded(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || typeof object.data !== 'object' || object.data === null) return object;
  const data = Object.fromEntries(Object.entries(object.data).map(([key, value]) => [key, String(value).replace(/[\r\n]/g, '')]));
  return { ...object, data };
}

/** `Deployment: 4, Service: 4, ...`, sorted by kind. */
export function countKinds(objects: readonly K8sObject[]): string {
  const counts = new Map<string, number>();
  for (const { kind } of objects) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, count]) => `${kind}: ${count}`)
    .join(', ');
}

async function main(files: string[]): Promise<number> {
  const sources = files.length > 0 ? files.map((file) => ({ label: file, text: fs.readFileSync(file, 'utf8') })) : renderAll();
  let failed = false;
  for (const { label, text } of sources) {
    const objects = parseManifests(text);
    const problems = await validateObjects(objects);
    process.stdout.write(`${label}: ${objects.length} objects (${countKinds(objects)})\n`);
    for (const problem of problems) process.stderr.write(`  invalid: ${problem}\n`);
    failed ||= problems.length > 0;
  }
  return failed ? 1 : 0;
}

function renderAll(): { label: string; text: string }[] {
  const copy = copyWithExampleSecrets();
  try {
    return OVERLAYS.map((overlay) => ({ label: `overlays/${overlay}`, text: renderOverlay(overlay, copy) }));
  } finally {
    fs.rmSync(path.dirname(copy), { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`check:k8s: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
