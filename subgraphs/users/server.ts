import type { JWK } from 'jose';
import { jwksDocument, jwksRoute, loadSigningKey, loadVerificationKey } from '../../lib/auth/keys';
import { createTokenVerifier, USER_TOKEN } from '../../lib/auth/tokens';
import { ConfigError } from '../../lib/config';
import type { Database } from '../../lib/db/database';
import { createLogger } from '../../lib/log';
import { loadMetricsConfig, ServiceMetrics } from '../../lib/observability/metrics';
import { createRateLimitStore } from '../../lib/rate-limit';
import type { ServiceDefinition } from '../../lib/server';
import { closeStore, loadSubgraphSchema, openServiceDatabase, type BuildSubgraph } from '../../lib/subgraph';
import { AuthLimits } from './auth-limits';
import { loadUsersConfig, type UsersConfig } from './config';
import { createContextFactory, type UsersContext } from './context';
import { UsersStore } from './data';
import { usersErrors } from './errors';
import { configurePasswordHashing, unknownUserHash } from './password';
import { resolvers } from './resolvers';
import { ensureAdmin, seedDemoUsers } from './seed';

/** Opens the users database (migrating it), loads the signing key and describes the service. */
export async function buildUsersService(config: UsersConfig): Promise<ServiceDefinition<UsersContext> & { database: Database }> {
  const log = createLogger('users');
  const metrics = new ServiceMetrics('users');
  const signingKey = await loadSigningKey({ pem: config.jwtPrivateKey, file: config.jwtKeyFile });
  const previousKeys = config.jwtPreviousKey ? [await loadPreviousKey(config.jwtPreviousKey)] : [];
  const database = await openServiceDatabase(config, log, metrics);
  const store = new UsersStore(database, { refreshTokenTtlMs: config.refreshTokenTtlMs });
  const close = closeStore(store.prisma, database);
  try {
    if (config.admin) await ensureAdmin(store, log, config.admin);
    if (config.seedDemoData) await seedDemoUsers(store, log, !config.admin);
  } catch (error) {
    await close();
    throw error;
  }
  // The users service trusts its own keys directly; every other service fetches its JWKS.
  const verify = createTokenVerifier({ jwks: jwksDocument(signingKey, previousKeys), ...USER_TOKEN });
  configurePasswordHashing(config.passwordHashing);
  // Made now, so that an unknown email's first sign-in costs one hash, as a known one's does.
  unknownUserHash().catch(() => {});
  // Made last, once nothing above can fail. A Redis down at start-up only costs one failed connection attempt.
  const limitStore = createRateLimitStore({ ...config.rateLimitStore, log });
  await limitStore.connected();
  const authLimits = new AuthLimits(limitStore, config.authLimits);
  return {
    name: 'users',
    log,
    production: config.production,
    edge: config.edge,
    inlineTraces: config.inlineTraces,
    slowRequestMs: config.slowRequestMs,
    metrics,
    metricsConfig: loadMetricsConfig(config.env, config.production),
    database,
    graph: { schema: loadSubgraphSchema(__dirname, resolvers) },
    errorCodes: usersErrors,
    context: createContextFactory({ store, signingKey, verify, authLimits }),
    checkReady: () => database.checkReady(),
    routes: [jwksRoute(signingKey, previousKeys)],
    close: async () => {
      await limitStore.close();
      await close();
    },
  };
}

async function loadPreviousKey(pem: string): Promise<JWK> {
  try {
    return await loadVerificationKey(pem);
  } catch (error) {
    throw new ConfigError(`JWT_PREVIOUS_KEY must be an Ed25519 key in PEM (private PKCS#8 or public SPKI): ${(error as Error).message}`);
  }
}

/** The subgraph from its environment: what index.ts runs and the test harness starts (lib/subgraph.ts). */
export const build: BuildSubgraph<UsersContext> = async (env = process.env) => {
  const config = loadUsersConfig(env);
  return { definition: await buildUsersService(config), port: config.port };
};
