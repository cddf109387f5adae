#!/usr/bin/env bash
# The Dockerfile's runtime stage without a Docker engine: the same build and install commands
# (tests/unit/build.test.ts checks that both hold them), in a temp dir, then every service started
# from that dir with `node dist/...` (embedded databases under the temp dir, migrations applied by
# db-deploy.js first, as the compose migrate services do) and one query through the router that
# reaches all three subgraphs. Exits non-zero on any failure.
#   docker/simulate-runtime.sh [dir]      (default: a new temp dir, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-$(mktemp -d)}"
KEEP="${1:+yes}"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$KEEP" ] || rm -rf "$OUT"
}
trap cleanup EXIT

# The build stage (its `npm ci` is this checkout's node_modules).
npm run generate >/dev/null
npm run build -- --out "$OUT"
# The deps stage.
(cd "$OUT" && npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund)
for tool in typescript tsx prisma @graphql-codegen/core; do
  if [ -e "$OUT/node_modules/$tool" ]; then echo "build-only $tool is in the runtime install" >&2; exit 1; fi
done

# Ports clear of a running `npm start`; data and keys inside the temp dir.
export DATA_DIR="$OUT/.data" MIGRATE_ON_START=false METRICS_PORT=0
export USERS_PORT=14101 PRODUCTS_PORT=14102 ORDERS_PORT=14103 ROUTER_PORT=14100
export USERS_URL=http://127.0.0.1:14101/graphql PRODUCTS_URL=http://127.0.0.1:14102/graphql ORDERS_URL=http://127.0.0.1:14103/graphql
cd "$OUT"
node dist/scripts/db-deploy.js
for name in users products orders; do
  node "dist/subgraphs/$name/index.js" >"$OUT/$name.log" 2>&1 &
  PIDS+=($!)
done
node dist/router/index.js >"$OUT/router.log" 2>&1 &
PIDS+=($!)

# The image's HEALTHCHECK command, against the router (HEALTH_PORT), until it answers.
HEALTHCHECK="fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
for _ in $(seq 1 60); do
  if HEALTH_PORT=$ROUTER_PORT node -e "$HEALTHCHECK"; then break; fi
  sleep 1
done
HEALTH_PORT=$ROUTER_PORT node -e "$HEALTHCHECK" || { tail -n 20 "$OUT"/*.log >&2; exit 1; }

node -e '
const url = `http://127.0.0.1:${process.env.ROUTER_PORT}/graphql`;
const post = (query, token) => fetch(url, {
  method: "POST",
  headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: JSON.stringify({ query }),
}).then((response) => response.json());
(async () => {
  const email = `runtime-${Date.now()}@example.com`;
  const signUp = await post(`mutation { signUp(input: { email: "${email}", name: "Runtime", password: "a long enough passphrase" }) { token } }`);
  const token = signUp.data?.signUp?.token;
  if (!token) throw new Error(JSON.stringify(signUp));
  const result = await post("{ me { email } products(first: 1) { edges { node { id } } } orders(first: 1) { edges { node { id } } } }", token);
  if (result.errors || result.data?.me?.email !== email || !result.data.products || !result.data.orders) throw new Error(JSON.stringify(result));
  console.log("router, users, products and orders answer from the runtime tree:", JSON.stringify(result.data));
})().catch((error) => { console.error(error.message); process.exit(1); });
'
