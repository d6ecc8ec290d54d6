# pyheap in a container: `docker compose up` (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["--help"]
