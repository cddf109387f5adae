/**
 * deploy/k8s, as `kubectl apply -k` would send it: both overlays are rendered with kubectl (offline,
 * on a copy with example secrets from make-secrets.sh), every object is checked against its
 * Kubernetes schema, and the properties the deployment promises are asserted on the rendered
 * objects, the NetworkPolicies by computing who can reach whom.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../lib/paths';
import { defaultPortOf, ROUTER, SERVICES } from '../../lib/services';
import {
  copyWithExampleSecrets,
  EXAMPLE_SECRET_ENV,
  K8S_DIR,
  OVERLAYS,
  parseManifests,
  renderOverlay,
  type K8sObject,
} from '../../scripts/check-k8s';

const WORKLOADS = [ROUTER.name, ...SERVICES];
const IMAGE = 'federated-commerce';
const NAMESPACE = { dev: 'commerce-dev', prod: 'commerce' } as const;
const METRICS_PORT = 9464;

/**
 * The calls each service makes, by the variable that says where (README.md, "Configuration"): the
 * router calls every subgraph and verifies user tokens; products verifies user tokens and orders'
 * service tokens; orders verifies user tokens and reserves stock at products; users calls no one.
 */
const CALLS: Record<string, string[]> = {
  router: ['USERS_URL', 'PRODUCTS_URL', 'ORDERS_URL', 'USERS_JWKS_URL'],
  users: [],
  products: ['USERS_JWKS_URL', 'ORDERS_JWKS_URL'],
  orders: ['USERS_JWKS_URL', 'PRODUCTS_INTERNAL_URL'],
};

/** Where each of those variables must point: the Service, and the path the code appends to (or expects). */
const URL_TARGETS: Record<string, { service: string; path: RegExp }> = {
  USERS_URL: { service: 'users', path: /^\/graphql$/ },
  PRODUCTS_URL: { service: 'products', path: /^\/graphql$/ },
  ORDERS_URL: { service: 'orders', path: /^\/graphql$/ },
  USERS_JWKS_URL: { service: 'users', path: /^\/\.well-known\/jwks\.json$/ },
  ORDERS_JWKS_URL: { service: 'orders', path: /^\/\.well-known\/jwks\.json$/ },
  // The stock API's paths (/internal/...) are appended to this base.
  PRODUCTS_INTERNAL_URL: { service: 'products', path: /^\/$/ },
};

/** The secrets each service reads, all from its own Secret; the router holds none. */
const SECRETS: Record<string, string[]> = {
  router: [],
  users: ['USERS_DATABASE_URL', 'JWT_PRIVATE_KEY', 'JWT_PREVIOUS_KEY', 'ADMIN_EMAIL', 'ADMIN_PASSWORD'],
  products: ['PRODUCTS_DATABASE_URL'],
  orders: ['ORDERS_DATABASE_URL', 'SERVICE_PRIVATE_KEY'],
};

let copy: string;
const rendered = {} as Record<(typeof OVERLAYS)[number], { text: string; objects: K8sObject[] }>;

beforeAll(() => {
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (kubectl.error || kubectl.status !== 0) {
    throw new Error(`kubectl is required to render deploy/k8s and was not found or failed: ${kubectl.error?.message ?? kubectl.stderr}`);
  }
  copy = copyWithExampleSecrets();
  for (const overlay of OVERLAYS) {
    const text = renderOverlay(overlay, copy);
    rendered[overlay] = { text, objects: parseManifests(text) };
  }
});

afterAll(() => {
  if (copy) fs.rmSync(path.dirname(copy), { recursive: true, force: true });
});

// ---- reading rendered objects ----

const all = (overlay: keyof typeof rendered, kind: string): any[] => rendered[overlay].objects.filter((object) => object.kind === kind);

function one(overlay: keyof typeof rendered, kind: string, name: string): any {
  const found = all(overlay, kind).filter((object) => object.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} named ${name} in overlays/${overlay}, found ${found.length}`);
  return found[0];
}

const podSpec = (overlay: keyof typeof rendered, name: string): any => one(overlay, 'Deployment', name).spec.template.spec;
const mainContainer = (overlay: keyof typeof rendered, name: string): any => podSpec(overlay, name).containers[0];
const allContainers = (spec: any): any[] => [...(spec.initContainers ?? []), ...spec.containers];

type EnvValue = { value?: string; secret?: { name: string; key: string } };

/** A container's variables as the kubelet sets them: envFrom ConfigMaps first, `env` over them. */
function envOf(overlay: keyof typeof rendered, container: any): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>();
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) throw new Error(`unexpected envFrom source ${JSON.stringify(source)}`);
    const configMap = one(overlay, 'ConfigMap', source.configMapRef.name);
    for (const [key, value] of Object.entries(configMap.data ?? {})) env.set(key, { value: String(value) });
  }
  for (const entry of container.env ?? []) {
    if (entry.valueFrom?.secretKeyRef) env.set(entry.name, { secret: entry.valueFrom.secretKeyRef });
    else if (entry.valueFrom) throw new Error(`unexpected valueFrom ${JSON.stringify(entry.valueFrom)}`);
    else env.set(entry.name, { value: entry.value ?? '' });
  }
  return env;
}

function envValue(overlay: keyof typeof rendered, container: any, name: string): string | undefined {
  return envOf(overlay, container).get(name)?.value;
}

function selects(selector: any, labels: Record<string, string>): boolean {
  const matchLabels = Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const expressions = (selector?.matchExpressions ?? []).every((expression: any) => {
    const has = expression.key in labels;
    switch (expression.operator) {
      case 'In':
        return has && expression.values.includes(labels[expression.key]);
      case 'NotIn':
        return !has || !expression.values.includes(labels[expression.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        throw new Error(`unknown selector operator ${expression.operator}`);
    }
  });
  return matchLabels && expressions;
}

/** "250m" → 0.25, "1" → 1, "512Mi" → bytes. */
function quantity(raw: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(String(raw));
  if (!match) throw new Error(`unparsed quantity ${raw}`);
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  return Number(match[1]) * (match[2] ? scale[match[2]]! : 1);
}

/** Seconds a preStop hook holds the pod: `sleep` action or `exec` of sleep; anything else fails. */
function preStopSeconds(container: any): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return Number(preStop.sleep.seconds);
  const command: string[] | undefined = preStop?.exec?.command;
  if (command && command.length === 2 && /(^|\/)sleep$/.test(command[0]!) && /^\d+$/.test(command[1]!)) return Number(command[1]);
  throw new Error(`no preStop pause on ${container.name}: ${JSON.stringify(preStop)}`);
}

// ---- NetworkPolicy evaluation ----

interface Endpoint {
  name: string;
  namespace: string;
  namespaceLabels: Record<string, string>;
  labels: Record<string, string>;
  /** "4001/TCP" */
  ports: string[];
}

const outsider = (name: string, namespace: string, labels: Record<string, string>, ports: string[]): Endpoint => ({
  name,
  namespace,
  namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
  labels,
  ports,
});

/** The overlay's pods, a stray pod in their namespace, and the parties outside it. */
function endpoints(overlay: keyof typeof rendered): Endpoint[] {
  const namespace = NAMESPACE[overlay];
  const namespaceLabels = { ...one(overlay, 'Namespace', namespace).metadata.labels, 'kubernetes.io/metadata.name': namespace };
  const pods = all(overlay, 'Deployment').map((deployment) => ({
    name: deployment.metadata.name,
    namespace,
    namespaceLabels,
    labels: deployment.spec.template.metadata.labels,
    ports: deployment.spec.template.spec.containers.flatMap((container: any) =>
      (container.ports ?? []).map((port: any) => `${port.containerPort}/${port.protocol ?? 'TCP'}`),
    ),
  }));
  return [
    ...pods,
    { name: 'stray-pod', namespace, namespaceLabels, labels: {}, ports: ['8080/TCP'] },
    outsider('ingress-controller', 'ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }, ['443/TCP']),
    outsider('monitoring', 'monitoring', { 'app.kubernetes.io/name': 'otel-collector' }, ['4318/TCP']),
    outsider('kube-dns', 'kube-system', { 'k8s-app': 'kube-dns' }, ['53/UDP', '53/TCP']),
    outsider('database', 'databases', { 'app.kubernetes.io/name': 'postgresql' }, ['5432/TCP']),
  ];
}

function peerMatches(peer: any, policyNamespace: string, endpoint: Endpoint): boolean {
  if (peer.ipBlock) throw new Error('this evaluator does not model ipBlock peers: extend it before using one');
  const namespaceMatches = peer.namespaceSelector
    ? selects(peer.namespaceSelector, endpoint.namespaceLabels)
    : endpoint.namespace === policyNamespace;
  return namespaceMatches && (peer.podSelector ? selects(peer.podSelector, endpoint.labels) : true);
}

function portMatches(ports: any[] | undefined, port: string): boolean {
  if (!ports || ports.length === 0) return true;
  const [number, protocol] = port.split('/');
  return ports.some((rule) => {
    if ((rule.protocol ?? 'TCP') !== protocol) return false;
    if (rule.port === undefined) return true;
    if (typeof rule.port !== 'number') throw new Error(`this evaluator does not resolve named ports (${rule.port}): use numbers`);
    return rule.endPort ? Number(number) >= rule.port && Number(number) <= rule.endPort : Number(number) === rule.port;
  });
}

/** Whether the policies of `self`'s namespace let it send (Egress) or receive (Ingress) this connection. */
function admits(policies: any[], direction: 'Ingress' | 'Egress', self: Endpoint, peer: Endpoint, port: string): boolean {
  const types = (policy: any): string[] => policy.spec.policyTypes ?? ['Ingress', ...(policy.spec.egress ? ['Egress'] : [])];
  const applying = policies.filter(
    (policy) =>
      policy.metadata.namespace === self.namespace && selects(policy.spec.podSelector, self.labels) && types(policy).includes(direction),
  );
  if (applying.length === 0) return true;
  const [rulesKey, peersKey] = direction === 'Ingress' ? ['ingress', 'from'] : ['egress', 'to'];
  return applying.some((policy) =>
    (policy.spec[rulesKey] ?? []).some(
      (rule: any) =>
        portMatches(rule.ports, port) &&
        (!rule[peersKey] ||
          rule[peersKey].length === 0 ||
          rule[peersKey].some((p: any) => peerMatches(p, policy.metadata.namespace, peer))),
    ),
  );
}

/** Every allowed connection between two parties, at least one of them in the overlay's namespace, as "from -> to:port/protocol". */
function reachability(overlay: keyof typeof rendered): string[] {
  const policies = all(overlay, 'NetworkPolicy');
  const parties = endpoints(overlay);
  const allowed: string[] = [];
  for (const from of parties) {
    for (const to of parties) {
      if (from === to || (from.namespace !== NAMESPACE[overlay] && to.namespace !== NAMESPACE[overlay])) continue;
      for (const port of to.ports) {
        if (admits(policies, 'Egress', from, to, port) && admits(policies, 'Ingress', to, from, port))
          allowed.push(`${from.name} -> ${to.name}:${port}`);
      }
    }
  }
  return allowed.sort();
}

/** The connections the services need, and nothing more. */
function intendedReachability(overlay: keyof typeof rendered): string[] {
  const outside = ['ingress-controller', 'monitoring', 'kube-dns', 'database'];
  const calls = Object.entries(CALLS).flatMap(([from, variables]) =>
    variables.map((variable) => {
      const { service } = URL_TARGETS[variable]!;
      return `${from} -> ${service}:${defaultPortOf(service)}/TCP`;
    }),
  );
  return [
    ...new Set([
      ...outside.map((from) => `${from} -> router:${ROUTER.defaultPort}/TCP`),
      ...calls,
      ...WORKLOADS.map((to) => `monitoring -> ${to}:${METRICS_PORT}/TCP`),
      ...[...WORKLOADS, 'stray-pod'].flatMap((from) => [`${from} -> kube-dns:53/UDP`, `${from} -> kube-dns:53/TCP`]),
      ...SERVICES.map((from) => `${from} -> database:5432/TCP`),
      ...(overlay === 'prod' ? WORKLOADS.map((from) => `${from} -> monitoring:4318/TCP`) : []),
    ]),
  ].sort();
}

// ---- the tests ----

/** `npm run check:k8s -- <files>` on these YAML texts: kubernetes-models is ESM-only, so the check runs in its own process. */
function validate(...texts: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-render-'));
  const files = texts.map((text, index) => {
    const file = path.join(dir, `rendered-${index}.yaml`);
    fs.writeFileSync(file, text);
    return file;
  });
  try {
    return spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'check-k8s.ts'), ...files], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('every object of both overlays passes its Kubernetes OpenAPI schema', () => {
  const result = validate(...OVERLAYS.map((overlay) => rendered[overlay].text));
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout.trim().split('\n')).toHaveLength(OVERLAYS.length);
});

test('a schema violation in a rendered object is reported, naming the object', () => {
  const objects = structuredClone(rendered.prod.objects) as any[];
  objects.find(
    (object) => object.kind === 'Deployment' && object.metadata.name === 'orders',
  ).spec.template.spec.containers[0].ports[0].containerPort = 'http';
  const result = validate(objects.map((object) => stringify(object)).join('---\n'));
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/Deployment\/orders: .*containerPort must be integer/);
});

test('committed manifests hold no Secret data, and the secret files are git-ignored', () => {
  const files = spawnSync('git', ['ls-files', 'deploy/k8s'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  expect(files.length).toBeGreaterThan(0);
  for (const file of files.filter((name) => /\.ya?ml$/.test(name))) {
    for (const document of parseAllDocuments(fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8'))) {
      const value: any = document.toJS();
      expect({ file, kind: value?.kind === 'Secret' ? 'a committed Secret' : 'ok' }).toEqual({ file, kind: 'ok' });
      for (const generator of value?.secretGenerator ?? []) {
        expect({ file, literals: generator.literals }).toEqual({ file, literals: undefined });
        // Generators read only the git-ignored folder make-secrets.sh writes.
        const sources = [...(generator.files ?? []), ...(generator.envs ?? [])].map((source: string) => source.replace(/^[^=]*=/, ''));
        expect(sources.length).toBeGreaterThan(0);
        for (const source of sources) expect({ file, source }).toEqual({ file, source: expect.stringMatching(/^secrets\/[^/]+$/) });
      }
    }
  }
  for (const overlay of OVERLAYS) {
    const secretFile = path.relative(PROJECT_ROOT, path.join(K8S_DIR, 'overlays', overlay, 'secrets', 'users.env'));
    expect(spawnSync('git', ['check-ignore', '-q', secretFile], { cwd: PROJECT_ROOT }).status).toBe(0);
  }
});

test('make-secrets.sh --rotate-jwt keeps the old signing key as the previous one, and the admin password', () => {
  const fresh = copyWithExampleSecrets();
  try {
    const secrets = path.join(fresh, 'overlays', 'dev', 'secrets');
    const read = (file: string): string => fs.readFileSync(path.join(secrets, file), 'utf8');
    const [oldKey, oldUsersEnv, serviceKey] = [read('jwt-private-key.pem'), read('users.env'), read('service-private-key.pem')];
    const rotate = spawnSync('sh', [path.join(fresh, 'make-secrets.sh'), path.join(fresh, 'overlays', 'dev'), '--rotate-jwt'], {
      encoding: 'utf8',
      env: { ...process.env, ...EXAMPLE_SECRET_ENV },
    });
    expect(rotate.stderr).toBe('');
    expect(read('jwt-previous-key.pem')).toBe(oldKey);
    expect(read('jwt-private-key.pem')).not.toBe(oldKey);
    expect(crypto.createPrivateKey(read('jwt-private-key.pem')).asymmetricKeyType).toBe('ed25519');
    expect(read('service-private-key.pem')).toBe(serviceKey);
    expect(read('users.env')).toBe(oldUsersEnv);

    const users = parseManifests(renderOverlay('dev', fresh)).find(
      (object) => object.kind === 'Secret' && object.metadata.name.startsWith('users-secrets-'),
    ) as any;
    expect(Buffer.from(users.data.JWT_PREVIOUS_KEY, 'base64').toString('utf8')).toBe(oldKey);
  } finally {
    fs.rmSync(path.dirname(fresh), { recursive: true, force: true });
  }
});

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  test('every namespaced object lives in the overlay namespace, which enforces the restricted pod security profile', () => {
    const namespace = one(overlay, 'Namespace', NAMESPACE[overlay]);
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const object of rendered[overlay].objects.filter(({ kind }) => kind !== 'Namespace')) {
      expect(`${object.kind}/${object.metadata.name} in ${object.metadata.namespace}`).toBe(
        `${object.kind}/${object.metadata.name} in ${NAMESPACE[overlay]}`,
      );
    }
  });

  test('the router and each subgraph have a Deployment, a Service on their port, an HPA and a PDB', () => {
    expect(
      all(overlay, 'Deployment')
        .map((object) => object.metadata.name)
        .sort(),
    ).toEqual([...WORKLOADS].sort());
    for (const name of WORKLOADS) {
      const deployment = one(overlay, 'Deployment', name);
      const podLabels = deployment.spec.template.metadata.labels;
      expect(selects(deployment.spec.selector, podLabels)).toBe(true);

      const service = one(overlay, 'Service', name);
      expect(selects({ matchLabels: service.spec.selector }, podLabels)).toBe(true);
      const otherPods = all(overlay, 'Deployment').filter((other) => other !== deployment);
      expect(otherPods.filter((other) => selects({ matchLabels: service.spec.selector }, other.spec.template.metadata.labels))).toEqual([]);
      expect(service.spec.ports).toEqual([{ name: 'http', port: defaultPortOf(name), targetPort: 'http' }]);

      const hpa = one(overlay, 'HorizontalPodAutoscaler', name);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
      expect(hpa.spec.metrics).toContainEqual({
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } },
      });

      const pdb = one(overlay, 'PodDisruptionBudget', name);
      expect(pdb.apiVersion).toBe('policy/v1');
      expect(selects(pdb.spec.selector, podLabels)).toBe(true);
    }
  });

  test('replicas, autoscaling and disruption budgets fit the overlay', () => {
    for (const name of WORKLOADS) {
      // The HPA alone owns the pod count: a `replicas` in the Deployment would reset a scaled-up
      // service to that number on every `kubectl apply`.
      expect(one(overlay, 'Deployment', name).spec.replicas).toBeUndefined();
      const hpa = one(overlay, 'HorizontalPodAutoscaler', name).spec;
      const pdb = one(overlay, 'PodDisruptionBudget', name).spec;
      expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      if (overlay === 'prod') {
        expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
        expect(pdb).toMatchObject({ minAvailable: 1 });
        expect(pdb.maxUnavailable).toBeUndefined();
      } else {
        expect(hpa.minReplicas).toBe(1);
        // With one pod, minAvailable 1 would block every node drain.
        expect(pdb).toMatchObject({ maxUnavailable: 1 });
        expect(pdb.minAvailable).toBeUndefined();
      }
    }
  });

  test('every pod runs the one image, with the contracted command and migrations', () => {
    const tag = overlay === 'dev' ? 'dev' : expect.stringMatching(/^\d+\.\d+\.\d+$/);
    for (const name of WORKLOADS) {
      const spec = podSpec(overlay, name);
      for (const container of allContainers(spec)) {
        const [image, imageTag] = container.image.split(':');
        expect({ name, image, imageTag }).toEqual({ name, image: IMAGE, imageTag: tag });
      }
      expect(spec.containers.map((container: any) => container.name)).toEqual(['app']);
      const app = spec.containers[0];
      if (name === ROUTER.name) {
        expect(app.args).toEqual(['node', 'dist/router/index.js']);
        expect(spec.initContainers).toBeUndefined();
      } else {
        expect(app.args).toEqual(['node', `dist/subgraphs/${name}/index.js`]);
        expect(spec.initContainers).toHaveLength(1);
        const migrate = spec.initContainers[0];
        expect(migrate.args).toEqual(['node', 'dist/scripts/db-deploy.js', name]);
        expect(envOf(overlay, migrate).get(`${name.toUpperCase()}_DATABASE_URL`)?.secret).toBeDefined();
      }
      const env = envOf(overlay, app);
      expect(env.get('NODE_ENV')?.value).toBe('production');
      expect(env.get('MIGRATE_ON_START')?.value).toBe('false');
      expect(env.get('SEED_DEMO_DATA')?.value).toBe('false');
      expect(env.get(`${name.toUpperCase()}_PORT`)?.value).toBe(String(defaultPortOf(name)));
      expect(app.ports).toContainEqual({ name: 'http', containerPort: defaultPortOf(name) });
    }
  });

  test('metrics are served on port 9464 and announced for scraping', () => {
    for (const name of WORKLOADS) {
      const deployment = one(overlay, 'Deployment', name);
      const app = mainContainer(overlay, name);
      expect(envValue(overlay, app, 'METRICS_PORT')).toBe(String(METRICS_PORT));
      expect(app.ports).toContainEqual({ name: 'metrics', containerPort: METRICS_PORT });
      expect(deployment.spec.template.metadata.annotations).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(METRICS_PORT),
        'prometheus.io/path': '/metrics',
      });
    }
  });

  test('traces go to the OTLP collector in prod and nowhere in dev', () => {
    for (const name of WORKLOADS) {
      const endpoint = envValue(overlay, mainContainer(overlay, name), 'OTEL_EXPORTER_OTLP_ENDPOINT');
      if (overlay === 'prod') expect(endpoint).toBe('http://otel-collector.monitoring:4318');
      else expect(endpoint).toBeUndefined();
    }
  });

  test('probes: startup and liveness on /health, readiness on /ready, on the service port', () => {
    for (const name of WORKLOADS) {
      const app = mainContainer(overlay, name);
      const port = app.ports.find((candidate: any) => candidate.containerPort === defaultPortOf(name)).name;
      expect(app.startupProbe.httpGet).toEqual({ path: '/health', port });
      expect(app.livenessProbe.httpGet).toEqual({ path: '/health', port });
      expect(app.readinessProbe.httpGet).toEqual({ path: '/ready', port });
      // The startup probe must allow longer than a liveness failure would.
      const budget = (probe: any): number => (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);
      expect(budget(app.startupProbe)).toBeGreaterThanOrEqual(budget(app.livenessProbe));
    }
  });

  test('every container runs as uid 1000 without privileges, on a read-only root with /tmp writable', () => {
    for (const name of WORKLOADS) {
      const spec = podSpec(overlay, name);
      expect(spec.enableServiceLinks).toBe(false);
      expect(spec.automountServiceAccountToken).toBe(false);
      const tmpVolumes = new Set(spec.volumes.filter((volume: any) => volume.emptyDir).map((volume: any) => volume.name));
      for (const container of allContainers(spec)) {
        const effective = { ...spec.securityContext, ...container.securityContext };
        expect({ name, container: container.name, ...effective }).toMatchObject({
          name,
          container: container.name,
          runAsNonRoot: true,
          runAsUser: 1000,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
          capabilities: { drop: ['ALL'] },
        });
        expect(effective.privileged).not.toBe(true);
        expect(effective.capabilities.add).toBeUndefined();
        const tmp = container.volumeMounts.find((mount: any) => mount.mountPath === '/tmp');
        expect(tmpVolumes.has(tmp?.name)).toBe(true);
        for (const resource of ['cpu', 'memory']) {
          const request = quantity(container.resources.requests[resource]);
          const limit = quantity(container.resources.limits[resource]);
          expect(request).toBeGreaterThan(0);
          expect(limit).toBeGreaterThanOrEqual(request);
        }
      }
    }
  });

  test('the termination grace period covers the preStop pause and SHUTDOWN_GRACE_MS', () => {
    for (const name of WORKLOADS) {
      const spec = podSpec(overlay, name);
      const app = spec.containers[0];
      const shutdownGraceMs = envValue(overlay, app, 'SHUTDOWN_GRACE_MS');
      expect(shutdownGraceMs).toMatch(/^\d+$/);
      const preStop = preStopSeconds(app);
      expect(preStop).toBeGreaterThan(0);
      expect(spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(shutdownGraceMs) / 1000 + preStop);
    }
  });

  test('every service URL names a Service of the overlay, on its port and path', () => {
    const services = all(overlay, 'Service');
    for (const name of WORKLOADS) {
      const env = envOf(overlay, mainContainer(overlay, name));
      for (const variable of CALLS[name]!) expect({ name, variable, set: env.has(variable) }).toEqual({ name, variable, set: true });
      for (const [variable, entry] of env) {
        if (!variable.endsWith('_URL') || entry.secret) continue;
        const target = URL_TARGETS[variable];
        expect({ variable, known: target !== undefined }).toEqual({ variable, known: true });
        const url = new URL(entry.value!);
        const service = services.find((candidate) => candidate.metadata.name === url.hostname);
        expect({ variable, service: service?.metadata.name }).toEqual({ variable, service: target!.service });
        expect(service.spec.ports.map((port: any) => port.port)).toContain(Number(url.port));
        expect(url.pathname).toMatch(target!.path);
      }
    }
  });

  test('each service gets its own secrets and no one else’s, from generated Secrets', () => {
    const secrets = all(overlay, 'Secret');
    for (const secret of secrets) expect(secret.metadata.name).toMatch(/-[a-z0-9]{10}$/); // a generator's content hash
    for (const name of WORKLOADS) {
      const spec = podSpec(overlay, name);
      const references = allContainers(spec).flatMap((container) =>
        [...envOf(overlay, container)].filter(([, entry]) => entry.secret).map(([variable, entry]) => ({ variable, ...entry.secret! })),
      );
      expect([...new Set(references.map((reference) => reference.variable))].sort()).toEqual([...SECRETS[name]!].sort());
      for (const reference of references) {
        expect(reference.variable).toBe(reference.key);
        const secret = secrets.find((candidate) => candidate.metadata.name === reference.name);
        expect(secret?.metadata.name).toMatch(new RegExp(`^${name}-secrets-`));
        expect(Object.keys(secret.data)).toContain(reference.key);
      }
    }
  });

  test('the generated signing keys are Ed25519 PKCS#8 PEM and the URLs have no stray whitespace', () => {
    const decoded = (secretPrefix: string, key: string): string => {
      const secret = all(overlay, 'Secret').find((candidate) => candidate.metadata.name.startsWith(`${secretPrefix}-secrets-`));
      return Buffer.from(secret.data[key], 'base64').toString('utf8');
    };
    for (const [service, key] of [
      ['users', 'JWT_PRIVATE_KEY'],
      ['orders', 'SERVICE_PRIVATE_KEY'],
    ]) {
      const pem = decoded(service!, key!);
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(crypto.createPrivateKey(pem).asymmetricKeyType).toBe('ed25519');
    }
    expect(decoded('users', 'JWT_PRIVATE_KEY')).not.toBe(decoded('orders', 'SERVICE_PRIVATE_KEY'));
    // Nothing rotated yet: an empty previous key is read as none (lib/auth/keys.ts).
    expect(decoded('users', 'JWT_PREVIOUS_KEY')).toBe('');
    for (const service of SERVICES) {
      const url = decoded(service, `${service.toUpperCase()}_DATABASE_URL`);
      expect(url).toMatch(/^postgresql:\/\/\S+$/);
    }
    expect(decoded('users', 'ADMIN_PASSWORD').length).toBeGreaterThanOrEqual(8);
  });

  test('NetworkPolicies allow exactly the connections the services need', () => {
    expect(reachability(overlay)).toEqual(intendedReachability(overlay));
  });

  test('every call a service makes is allowed by the NetworkPolicies', () => {
    const allowed = reachability(overlay);
    for (const [from, variables] of Object.entries(CALLS)) {
      for (const variable of variables) {
        const url = new URL(envValue(overlay, mainContainer(overlay, from), variable)!);
        expect(allowed).toContain(`${from} -> ${url.hostname}:${url.port}/TCP`);
      }
    }
  });
});
