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
RUN npm run build \
 && mkdir -p dist/config/examples \
 && cp config/*.yaml config/*.json dist/config/ \
 && cp config/examples/*.yaml dist/config/examples/ \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    LOG_LEVEL=info
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root bin/switchyard.mjs ./bin/switchyard.mjs
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/switchyard.mjs"]
CMD ["start"]
