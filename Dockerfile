# The bot's production image: the compiled product and its production dependencies, nothing of the
# devstack (sandbox, fake Slack, console). tests/e2e/build.test.ts builds and runs the same tree
# without Docker, with the same commands.

# Stage 1: compile TypeScript to dist/ with the full toolchain.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY devstack/package.json devstack/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
RUN npm run build

# Stage 2: production dependencies only (no dev tools, no devstack workspace) and the build.
FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --workspaces=false --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY config config
# Cloud Run sets PORT (8080 by default); the bot listens there for Slack and /healthz.
ENV PORT=8080
EXPOSE 8080
# The image's unprivileged user. `node` as PID 1 gets SIGTERM directly and drains (src/run.ts).
USER node
CMD ["node", "dist/main.js"]
