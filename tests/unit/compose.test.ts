/**
 * docker-compose.yml is production-shaped: one role and database per service, migrated by a
 * one-shot service before its subgraph starts, healthchecks and ordered start-up, only the router
 * published, subgraphs on internal networks, no secret in the file. `docker-compose config`
 * (.ci/run) checks that compose accepts it; this checks what it says. The role isolation itself is
 * proven on a real PostgreSQL by docker/check-db-isolation.sh.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../lib/paths';
import { ROUTER, SUBGRAPHS } from '../../lib/services';
import { compiledEntries } from '../../scripts/build';

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  networks?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  volumes?: string[];
  read_only?: boolean;
}

const read = (file: string): string => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const composeText = read('docker-compose.yml');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean }>;
};
const { services } = compose;
const NAMES = SUBGRAPHS.map(({ name }) => name);
const upper = (name: string): string => name.toUpperCase();
const entries = compiledEntries();

describe('docker-compose.yml', () => {
  test('has PostgreSQL, a migrate service per subgraph, the subgraphs and the router, and nothing else', () => {
    expect(Object.keys(services).sort()).toEqual(['postgres', ...NAMES.map((name) => `migrate-${name}`), ...NAMES, ROUTER.name].sort());
  });

  test('PostgreSQL creates one role and one database per service, with passwords from the env file', () => {
    const postgres = services.postgres!;
    expect(postgres.image).toMatch(/^postgres:15/);
    expect(postgres.volumes).toContain('./docker/postgres-init.sh:/docker-entrypoint-initdb.d/10-service-databases.sh:ro');
    expect(postgres.ports).toBeUndefined();
    expect(postgres.networks).toEqual(['db']);
    for (const variable of ['POSTGRES_PASSWORD', ...NAMES.map((name) => `${upper(name)}_DB_PASSWORD`)]) {
      expect([variable, postgres.environment?.[variable]]).toEqual([
        variable,
        expect.stringMatching(new RegExp(`^\\$\\{${variable}:\\?.+\\}$`)),
      ]);
    }
    const init = read('docker/postgres-init.sh');
    expect(init).toContain(`SERVICE_DATABASES="\${SERVICE_DATABASES:-${NAMES.join(' ')}}"`);
    expect(init).toMatch(/CREATE DATABASE :"name" OWNER :"name";\nREVOKE ALL ON DATABASE :"name" FROM PUBLIC;/);
  });

  test.each(NAMES)('migrate-%s applies only its own database, once PostgreSQL is healthy, with the image', (name) => {
    const migrate = services[`migrate-${name}`]!;
    expect(migrate.command).toEqual(['node', entries.migrate, name]);
    expect(migrate.image).toBe(services[name]!.image);
    expect(migrate.restart).toBe('no');
    expect(migrate.healthcheck).toEqual({ disable: true });
    expect(migrate.networks).toEqual(['db']);
    expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(migrate.environment).toEqual({
      [`${upper(name)}_DATABASE_URL`]: `postgresql://${name}:\${${upper(name)}_DB_PASSWORD}@postgres:5432/${name}`,
    });
  });

  test.each(NAMES)('%s starts after its migrations, as its own role, on internal networks only', (name) => {
    const service = services[name]!;
    expect(service.command).toEqual(['node', entries[name]]);
    expect(service.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      [`migrate-${name}`]: { condition: 'service_completed_successfully' },
    });
    const env = service.environment!;
    expect(env.NODE_ENV).toBe('production');
    expect(env.MIGRATE_ON_START).toBe('false');
    expect(env[`${upper(name)}_DATABASE_URL`]).toBe(`postgresql://${name}:\${${upper(name)}_DB_PASSWORD}@postgres:5432/${name}`);
    // No other service's database URL or password reaches it.
    expect(Object.keys(env).filter((key) => /_DATABASE_URL$|_DB_PASSWORD$/.test(key))).toEqual([`${upper(name)}_DATABASE_URL`]);
    expect(env.HEALTH_PORT).toBe(String(SUBGRAPHS.find((entry) => entry.name === name)!.defaultPort));
    expect(service.networks?.sort()).toEqual(['db', 'internal']);
    expect(service.ports).toBeUndefined();
  });

  test('only the router is published, on loopback unless ROUTER_BIND says otherwise, and it has no way to the database', () => {
    const published = Object.entries(services).filter(([, service]) => service.ports !== undefined);
    expect(published.map(([name]) => name)).toEqual([ROUTER.name]);
    const router = services.router!;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own interpolation, not a template
    expect(router.ports).toEqual(['${ROUTER_BIND:-127.0.0.1}:${ROUTER_PUBLISHED_PORT:-4000}:4000']);
    expect(router.command).toEqual(['node', entries.router]);
    expect(router.networks?.sort()).toEqual(['edge', 'internal']);
    expect(Object.keys(router.environment!).filter((key) => /DATABASE|DB_PASSWORD/.test(key))).toEqual([]);
    expect(router.depends_on).toEqual(Object.fromEntries(NAMES.map((name) => [name, { condition: 'service_healthy' }])));
    expect(compose.networks.internal?.internal).toBe(true);
    expect(compose.networks.db?.internal).toBe(true);
    expect(compose.networks.edge?.internal).toBeUndefined();
  });

  test('every long-running service has a healthcheck, the image one for the app services', () => {
    const dockerfileCheck = read('Dockerfile').match(/CMD \["node", "-e", "(.*)"\]/)![1]!;
    for (const [name, service] of Object.entries(services)) {
      if (name.startsWith('migrate-')) continue;
      expect([name, service.healthcheck?.test?.length ?? 0]).toEqual([name, expect.any(Number)]);
      expect(service.healthcheck?.disable).toBeUndefined();
      if (name !== 'postgres') {
        expect(service.healthcheck?.test).toEqual(['CMD', 'node', '-e', dockerfileCheck]);
        expect(service.environment?.HEALTH_PORT).toMatch(/^\d+$/);
        expect(service.read_only).toBe(true);
      }
    }
    const conditions = Object.values(services).flatMap((service) =>
      Object.values(service.depends_on ?? {}).map(({ condition }) => condition),
    );
    expect(new Set(conditions)).toEqual(new Set(['service_healthy', 'service_completed_successfully']));
  });

  test('holds no password or key: each comes from the env file, the required ones with a message', () => {
    expect(composeText).not.toMatch(/BEGIN [A-Z ]*KEY|postgres:postgres@/);
    const secrets = Object.values(services).flatMap((service) =>
      Object.entries(service.environment ?? {}).filter(([key]) => /PASSWORD|PRIVATE_KEY|PREVIOUS_KEY/.test(key)),
    );
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const [key, value] of secrets) expect([key, value]).toEqual([key, expect.stringMatching(/^\$\{[A-Z_]+(:[?-].*)?\}$/)]);
    for (const url of Object.values(services).flatMap((service) =>
      Object.entries(service.environment ?? {}).filter(([key]) => key.endsWith('_DATABASE_URL')),
    )) {
      expect(url[1]).toMatch(/^postgresql:\/\/[a-z]+:\$\{[A-Z]+_DB_PASSWORD\}@postgres:5432\/[a-z]+$/);
    }
  });

  test('.env.example names every required variable, and .env stays out of git and of the image', () => {
    const required = [...composeText.matchAll(/\$\{([A-Z_]+):\?/g)].map((match) => match[1]!);
    const example = Object.fromEntries(
      read('.env.example')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    for (const variable of new Set(required)) expect([variable, example[variable]]).toEqual([variable, expect.stringMatching(/.+/)]);
    expect(read('.gitignore').split('\n')).toContain('.env');
    expect(read('.dockerignore').split('\n')).toContain('.env');
  });
});

describe('docker/compose.dev.yml', () => {
  test('publishes each subgraph on loopback at its default port, and nothing else', () => {
    const dev = parse(read('docker/compose.dev.yml')) as { services: Record<string, Service> };
    expect(Object.keys(dev.services).sort()).toEqual([...NAMES].sort());
    for (const { name, defaultPort } of SUBGRAPHS) {
      expect(dev.services[name]!.ports).toEqual([`127.0.0.1:${defaultPort}:${defaultPort}`]);
      expect(dev.services[name]!.networks).toEqual(['edge']);
    }
  });
});
