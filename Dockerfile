# One image for every service; the command picks which one runs. `npm ci` generates the Prisma
# clients and resolver types from the sources, so those are copied first.
FROM node:24-bookworm-slim
WORKDIR /app
COPY . .
RUN npm ci --include=dev && rm -rf /root/.npm
ENV NODE_ENV=production
CMD ["node", "--import", "tsx", "router/index.ts"]
