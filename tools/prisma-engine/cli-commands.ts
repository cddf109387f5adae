import fs from 'node:fs';
import pg from 'pg';
import { lockDataDir } from '../../lib/db/lock';
import { parseDatabaseUrl, redactUrl } from '../../lib/db/url';
import { logLine } from './log';
import { createBlankPglite, holdsCluster } from '../../lib/db/pglite-blank';
import { LOCK_OWNER } from './targets/pglite';
import { databaseName, withDatabase } from './targets/postgres';

/** An error the CLI shows with its Prisma error code (P1001, P1003, ...). */
export class CodedError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export type CliCommand = 'can-connect-to-database' | 'create-database' | 'drop-database';

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function serverOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}`;
}

/** Maps pg's errors to the codes the native engine reports, which the CLI acts upon. */
function postgresError(error: unknown, url: string): Error {
  const { code, message } = error as { code?: string; message?: string };
  if (code === '3D000') {
    return new CodedError('P1003', `Database \`${databaseName(url)}\` does not exist on the database server at \`${serverOf(url)}\`.`);
  }
  if (code === '28P01' || code === '28000') {
    return new CodedError('P1000', `Authentication failed against database server at \`${serverOf(url)}\`: ${message}`);
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return new CodedError('P1001', `Can't reach database server at \`${serverOf(url)}\``);
  }
  return error instanceof Error ? error : new Error(String(error));
}

async function onPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw postgresError(error, url);
  } finally {
    await client.end().catch(() => {});
  }
}

async function postgresCommand(command: CliCommand, url: string): Promise<void> {
  const name = databaseName(url);
  // Creating and dropping happen from the server's maintenance database, as the native engine does.
  const maintenance = withDatabase(url, name === 'postgres' ? 'template1' : 'postgres');
  if (command === 'can-connect-to-database') await onPostgres(url, async () => {});
  else if (command === 'create-database') await onPostgres(maintenance, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  else await onPostgres(maintenance, (c) => c.query(`DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`));
}

/**
 * A PGlite "database" is a data dir. Each command takes the dir's lock for its duration, so all
 * three refuse a dir that a running service holds, with the lock's own message.
 */
async function pgliteCommand(command: CliCommand, dir: string): Promise<void> {
  const release = lockDataDir(dir, LOCK_OWNER);
  try {
    if (command === 'can-connect-to-database') {
      // A missing cluster is created when the engine opens the dir, so there is nothing to report.
      // Answering P1003 instead would make the CLI create it and then fail: it parses the URL to
      // print "database created at ...", and throws "Unknown protocol pglite:".
    } else if (command === 'create-database') {
      if (holdsCluster(dir)) throw new CodedError('P1009', `Database \`${dir}\` already exists.`);
      await (await createBlankPglite(dir)).close();
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    release();
  }
}

/** Checks, creates or drops the database a URL names. */
export async function runDatabaseCommand(command: CliCommand, url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  if (target.kind === 'pglite') await pgliteCommand(command, target.dir);
  else await postgresCommand(command, target.url);
}

/**
 * Runs a `cli` command. Failures go to stderr as log lines; the CLI ignores the first line, so
 * an INFO line always comes first. Returns the exit code.
 */
export async function runCliCommand(command: string, url: string | undefined): Promise<number> {
  logLine('INFO', { message: `Running cli command ${command}` });
  try {
    if (command !== 'can-connect-to-database' && command !== 'create-database' && command !== 'drop-database') {
      throw new Error(`Unknown cli command "${command}"`);
    }
    if (!url) throw new Error('No datasource URL given (--datasource \'{"url": ...}\')');
    await runDatabaseCommand(command, url);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const errorCode = error instanceof CodedError ? error.errorCode : undefined;
    logLine('ERROR', { message: url ? message.replaceAll(url, redactUrl(url)) : message, ...(errorCode ? { error_code: errorCode } : {}) });
    return 1;
  }
}
