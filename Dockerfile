# Switchyard gateway image. Build: docker build -t switchyard .
# Runs the compiled build as a non-root user; the same image runs the upstream simulators
# (`docker run switchyard sim --kind vllm --host 0.0.0.0`), which docker-compose.yml uses.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY adapters ./adapters
COPY cli ./cli
COPY config ./config
COPY gateway ./gateway
COPY routes ./routes
COPY sim ./sim
COPY telemetry ./telemetry
COPY upstream ./upstream
# Then only what the runtime runs stays in node_modules. tsx is a production dependency for checkouts
# (`npm install && npm start` runs the TypeScript sources through it), but the image runs the compiled
# dist/: it is dropped from this stage's package.json before pruning, which removes it with esbuild and
# everything else only it needs. Dev dependencies (typescript, vitest, ...) go with --omit=dev. The
# `test` lines fail the build if either ever comes back.
RUN npm run build \
 && mkdir -p dist/config/examples \
 && cp config/*.yaml config/*.json dist/config/ \
 && cp config/examples/*.yaml dist/config/examples/ \
 && npm pkg delete dependencies.tsx \
 && npm prune --omit=dev --no-audit --no-fund \
 && test ! -e node_modules/tsx \
 && test ! -e node_modules/typescript

FROM node:24-bookworm-slim
# HOST: the gateway binds 127.0.0.1 by default when the config has no client keys; in a container it
# must listen on every interface for the published port (and compose's nginx) to reach it.
# No PORT here: PORT overrides server.port, and a mounted config's port must win unless the operator
# sets PORT (the start-up log line `listening` says which source set the port).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    LOG_LEVEL=info
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root bin/switchyard.mjs ./bin/switchyard.mjs
USER node
EXPOSE 8080
# Probes PORT, else 8080 (server.port's default): set PORT when a mounted config listens elsewhere.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/switchyard.mjs"]
CMD ["start"]
