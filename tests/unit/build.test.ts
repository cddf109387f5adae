/**
 * The compiled build and the image (Dockerfile): production runs only what `dependencies` holds,
 * the build-only tools stay out of it, the Prisma packages agree, and the Dockerfile runs the same
 * commands as docker/simulate-runtime.sh, which proves the runtime stage without a Docker engine.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { WASM_PATH } from '../../lib/db/migrations/wasm-engine';
import { PROJECT_ROOT } from '../../lib/paths';
import { compiledEntries, runtimeTree } from '../../scripts/build';

const read = (file: string): string => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const buildConfig = JSON.parse(read('tsconfig.build.json').replace(/^\s*\/\/.*$/gm, '')) as {
  include: string[];
  exclude: string[];
  compilerOptions: { types: string[] };
};

function sourceFiles(entry: string): string[] {
  const full = path.join(PROJECT_ROOT, entry);
  if (fs.statSync(full).isFile()) return [entry];
  return fs
    .readdirSync(full, { withFileTypes: true, recursive: true })
    .filter((dirent) => dirent.isFile() && dirent.name.endsWith('.ts'))
    .map((dirent) => path.relative(PROJECT_ROOT, path.join(dirent.parentPath, dirent.name)));
}

/** Packages a file loads at run time: static and dynamic imports and requires, not `import type`. */
function runtimePackages(source: string): string[] {
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...source.matchAll(/\brequire\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]!);
  return specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:') && !builtinModules.includes(specifier))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

describe('npm run build', () => {
  test('compiles the services and the migrate script, and leaves tests, test harness, bench and jest out', () => {
    expect(buildConfig.include).toEqual(expect.arrayContaining(['lib', 'router', 'subgraphs', 'scripts/db-deploy.ts']));
    expect(buildConfig.exclude).toEqual(expect.arrayContaining(['tests', 'testing', 'bench']));
    expect(buildConfig.compilerOptions.types).toEqual(['node']);
    expect(compiledEntries()).toEqual({
      users: 'dist/subgraphs/users/index.js',
      products: 'dist/subgraphs/products/index.js',
      orders: 'dist/subgraphs/orders/index.js',
      router: 'dist/router/index.js',
      migrate: 'dist/scripts/db-deploy.js',
    });
  });

  test('every package the compiled code loads is a production dependency', () => {
    const files = buildConfig.include.flatMap(sourceFiles).concat('scripts/deploy-plan.ts');
    expect(files.length).toBeGreaterThan(50);
    const missing = files.flatMap((file) =>
      runtimePackages(read(file))
        .filter((name) => !(name in pkg.dependencies))
        .map((name) => `${file} loads ${name}`),
    );
    expect(missing).toEqual([]);
  });

  test('the import scan sees what it must (a check that cannot see imports would always pass)', () => {
    expect(runtimePackages("import { a } from 'tsx';\nimport type { B } from 'typescript';\nconst c = require('@scope/pkg/sub');")).toEqual(
      ['tsx', '@scope/pkg'],
    );
  });

  test('build-only tools are devDependencies', () => {
    for (const tool of [
      'typescript',
      'tsx',
      'prisma',
      '@graphql-codegen/core',
      '@graphql-codegen/typescript',
      '@graphql-codegen/typescript-resolvers',
    ]) {
      expect([tool, tool in pkg.dependencies, tool in pkg.devDependencies]).toEqual([tool, false, true]);
    }
  });

  test('the Prisma packages are on one version, and the schema engine is the CLI engine commit', () => {
    const prismaPackages = Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }).filter(
      ([name]) => (name === 'prisma' || name.startsWith('@prisma/')) && name !== '@prisma/schema-engine-wasm',
    );
    expect(new Set(prismaPackages.map(([, version]) => version))).toEqual(new Set(['7.10.0']));
    const enginesVersion = (
      JSON.parse(fs.readFileSync(require.resolve('@prisma/engines-version/package.json'), 'utf8')) as { version: string }
    ).version;
    expect(pkg.dependencies['@prisma/schema-engine-wasm']).toBe(enginesVersion);
  });

  test("the services' schema engine is byte for byte the one the prisma CLI runs", () => {
    const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const cliWasm = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'schema_engine_bg.wasm');
    expect(WASM_PATH).toContain(path.join('@prisma', 'schema-engine-wasm'));
    expect(sha256(WASM_PATH)).toBe(sha256(cliWasm));
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile').replace(/\\\n\s*/g, '');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;
  const simulation = read('docker/simulate-runtime.sh');

  test('builds in one stage and runs another: production install, compiled output, non-root, production mode', () => {
    expect(stages.map((stage) => stage.split('\n')[0]!.split(' AS ')[1])).toEqual(['build', 'deps', 'runtime']);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^COPY --from=deps \/app\/node_modules \.\/node_modules$/m);
    expect(runtime).toMatch(/^COPY --from=build \/runtime \.\/$/m);
    expect(runtime).toMatch(/^CMD \["node", "dist\/router\/index\.js"\]$/m);
    expect(runtime).not.toMatch(/tsx|npm ci --include=dev/);
  });

  test('has a HEALTHCHECK that needs no curl and reads the port from the environment', () => {
    const healthcheck = runtime.match(/^HEALTHCHECK .*CMD \["node", "-e", "(.*)"\]$/m);
    expect(healthcheck).not.toBeNull();
    expect(healthcheck![1]).toContain("'http://127.0.0.1:'+process.env.HEALTH_PORT+'/health'");
    // docker/simulate-runtime.sh runs this very command against the router.
    expect(simulation).toContain(`HEALTHCHECK="${healthcheck![1]}"`);
  });

  test('runs the commands docker/simulate-runtime.sh reproduces', () => {
    const runs = dockerfile.match(/^RUN .*$/gm)!;
    expect(runs).toContain('RUN npm run generate && npm run build -- --out /runtime');
    expect(runs).toContain('RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force');
    expect(simulation).toContain('npm run build -- --out "$OUT"');
    expect(simulation).toContain('npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund');
    expect(runtimeTree()).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'dist', 'router/supergraph.graphql', 'prisma/users/migrations']),
    );
  });

  test('.dockerignore keeps local data, installs, build output, keys and secrets out of the context', () => {
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(
      expect.arrayContaining(['.git', '.ci', '.data', 'node_modules', 'dist', '*.pem', '*.key', 'keys', 'secrets', '.env']),
    );
  });
});
