# The hub's image: the TypeScript sources run through tsx (a runtime dependency), so there is no
# build step. Used by docker-compose.yml; configuration is environment only (services/platform/config.ts).
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so source changes reuse this layer. Plain `npm ci`: tsx runs the sources at
# runtime. NODE_ENV is set only afterwards, or npm would leave out packages the hub may need.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
    && npm cache clean --force

# The code stays owned by root and read-only to the hub; only its state folder is writable.
COPY . .
RUN mkdir -p /var/lib/hub \
    && chown node:node /var/lib/hub \
    && chmod 0700 /var/lib/hub

ENV NODE_ENV=production \
    HUB_HOST=0.0.0.0 \
    HUB_PORT=8080 \
    HUB_STATE_DIR=/var/lib/hub

# The non-root user of the node image (uid 1000).
USER node

EXPOSE 8080

# Liveness only (the process serves HTTP); /health/ready also checks Postgres, Redis and Kafka.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HUB_PORT || 8080) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is PID 1's child under compose's `init: true` and receives SIGTERM directly.
CMD ["node", "bin/hub.js", "start"]
