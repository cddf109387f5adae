import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { ConfigError } from '../lib/config';
import type { Logger } from '../lib/log';
import type { GateDecision } from '../lib/server';

/**
 * Trusted documents: the operations the project's own clients registered, in Apollo's persisted
 * query manifest format (what `@apollo/generate-persisted-query-manifest` writes):
 * `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "name", "type", "body" }] }`,
 * where `id` is the SHA-256 of `body` in hex.
 *
 * A client sends `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"<id>"}}}` and the
 * router runs the registered document (Apollo Server's automatic persisted queries then keep it
 * too). With `required`, any document not in the manifest is refused with
 * PERSISTED_QUERY_NOT_IN_LIST before it is parsed: a hash it does not list, or a full document
 * whose text it does not list. With `allow`, those run as before and are logged
 * (`unregistered operation`), to find what a client sends before requiring.
 */
export type TrustedDocumentsMode = 'off' | 'allow' | 'required';
export const TRUSTED_DOCUMENTS_MODES: readonly TrustedDocumentsMode[] = ['off', 'allow', 'required'];

/** The refusal's code, as Apollo Router's safelisting names it. */
export const NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST';

/** Off, or a mode with its manifest (`TRUSTED_DOCUMENTS_MANIFEST`): router/config.ts refuses a mode without one. */
export type TrustedDocumentsConfig = { mode: 'off' } | { mode: 'allow' | 'required'; manifestPath: string };

interface Operation {
  id: string;
  name: string;
  body: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The manifest's operations by id; a file that is not such a manifest, or an id that is not its body's hash, stops the start. */
export function loadManifest(file: string): Map<string, Operation> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`TRUSTED_DOCUMENTS_MANIFEST: cannot read ${file} as JSON (${(error as Error).message})`);
  }
  const manifest = parsed as { format?: unknown; version?: unknown; operations?: unknown };
  if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1 || !Array.isArray(manifest.operations)) {
    throw new ConfigError(
      `TRUSTED_DOCUMENTS_MANIFEST: ${file} is not an Apollo persisted query manifest (format "apollo-persisted-query-manifest", version 1, operations)`,
    );
  }
  const operations = new Map<string, Operation>();
  for (const [index, entry] of (manifest.operations as Partial<Operation>[]).entries()) {
    if (typeof entry?.id !== 'string' || typeof entry.body !== 'string') {
      throw new ConfigError(`TRUSTED_DOCUMENTS_MANIFEST: operation ${index} in ${file} has no string id and body`);
    }
    if (sha256(entry.body) !== entry.id) {
      throw new ConfigError(
        `TRUSTED_DOCUMENTS_MANIFEST: operation ${entry.name ?? index} in ${file}: its id is not the SHA-256 of its body`,
      );
    }
    operations.set(entry.id, { id: entry.id, name: entry.name ?? '', body: entry.body });
  }
  return operations;
}

/** A GraphQL request's parameters as Fastify parsed them: a POST's JSON body, or a GET's query string. */
interface GraphQLParameters {
  query?: unknown;
  operationName?: unknown;
  /** An object in a POST body; a JSON string in a GET's query string. */
  extensions?: unknown;
}

function hashOf(extensions: unknown): string | undefined {
  let value = extensions;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined; // Apollo answers malformed extensions itself.
    }
  }
  const hash = (value as { persistedQuery?: { sha256Hash?: unknown } } | null)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' ? hash : undefined;
}

const refuse = (message: string): GateDecision => ({
  refuse: { status: 400, body: { errors: [{ message, extensions: { code: NOT_IN_LIST } }] } },
});

/**
 * The gate for one request, before Apollo reads it: gives the registered document for a hash sent
 * alone (so a client sends only the hash), and with `required` refuses anything unregistered.
 */
export function trustedDocumentsGate(config: TrustedDocumentsConfig, log: Logger): (parameters: unknown) => GateDecision {
  if (config.mode === 'off') return () => undefined;
  const operations = loadManifest(config.manifestPath);
  const required = config.mode === 'required';
  log.info('trusted documents', { mode: config.mode, manifest: config.manifestPath, operations: operations.size });
  return (parameters) => {
    // A batch (an array) is refused by Apollo unless batching is on; with `required` it never reaches it.
    if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
      return required ? refuse('Only registered operations are served here, one per request.') : undefined;
    }
    const request = parameters as GraphQLParameters;
    const hash = hashOf(request.extensions);
    const registered = hash === undefined ? undefined : operations.get(hash);
    if (registered) {
      // A document sent with a registered hash must be that document: Apollo checks the hash of what it runs.
      return request.query === undefined || request.query === '' ? { document: registered.body } : undefined;
    }
    if (typeof request.query === 'string' && request.query !== '') {
      const id = sha256(request.query);
      if (operations.has(id)) return undefined;
      if (required)
        return refuse('This operation is not registered: only the operations in the trusted documents manifest are served here.');
      log.info('unregistered operation', { operationName: request.operationName, hash: id });
      return undefined;
    }
    if (hash !== undefined && required) {
      return refuse('No registered operation has this hash: only the operations in the trusted documents manifest are served here.');
    }
    return undefined; // An unknown hash alone: Apollo's automatic persisted queries answer it (PERSISTED_QUERY_NOT_FOUND).
  };
}
