# One image for all four services (router, users, products, orders); the command picks one:
#   node dist/router/index.js | node dist/subgraphs/<name>/index.js | node dist/scripts/db-deploy.js <name>
# They share every dependency and all of lib/, so one image means one build, one vulnerability
# scan and one tag to roll out, and a fix in lib/ cannot reach three services but not the fourth.
# Per-service images would hold the same node_modules four times over.
#
# No Docker engine on the CI machines: scripts/build.ts --out and the same npm ci line, run in a
# temp dir, reproduce the runtime stage's /app (README, "Building").
ARG NODE_IMAGE=node:24-bookworm-slim

# Build: every dependency, the generated Prisma clients and resolver types, then tsc to dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# --out assembles the runtime tree (dist/, migrations, supergraph, package files) in /runtime.
RUN npm run generate && npm run build -- --out /runtime

# Production dependencies only. --omit=optional as well: @prisma/client's optional peers (the
# prisma CLI, typescript) would otherwise come back through the lock file, ~250 MB.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Two malloc arenas, not one per thread: memory freed by libuv's threads (scrypt's 16 MiB per
# password hash) then goes back to the process instead of staying resident (bench/proc.ts).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
# Owned by root and read-only to the service: it writes only to DATA_DIR (keys, embedded db).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /runtime ./
RUN mkdir -p /data && chown node:node /data
ENV DATA_DIR=/data
USER node
# The router's port unless told otherwise: set HEALTH_PORT to the port of the service the command
# starts (docker-compose.yml does). No curl in the image, so Node's fetch makes the request.
ENV HEALTH_PORT=4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
EXPOSE 4000
CMD ["node", "dist/router/index.js"]
