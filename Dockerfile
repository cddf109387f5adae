# One image for every service; the command picks which one runs.
FROM node:20.20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY tools ./tools
COPY lib ./lib
COPY scripts ./scripts
RUN npm ci --include=dev
COPY . .
CMD ["node", "--import", "tsx", "router/index.ts"]
