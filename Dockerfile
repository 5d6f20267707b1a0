# One image with every bizmcp server; the command picks one: `docker run … bizmcp filesystem /data`.
# Each serves Streamable HTTP on 0.0.0.0:8080 and refuses to start there without BIZMCP_HTTP_TOKEN
# (32 characters or more) and BIZMCP_HTTP_ALLOWED_HOSTS (the host:port names clients use).
# The install steps are docker/install.mjs, which test/docker.test.ts runs in a clean directory.
#   docker build -t bizmcp .                       (--build-arg WITH_CHROMIUM=1 for rendered pages)
#   docker run -p 8080:8080 -e BIZMCP_HTTP_TOKEN=… -e BIZMCP_HTTP_ALLOWED_HOSTS=localhost:8080 \
#     -v "$PWD:/data:ro" bizmcp filesystem /data

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN node scripts/setup.mjs --no-system \
 && node scripts/run.mjs build \
 && node scripts/pack-servers.mjs /packages

FROM node:24-bookworm-slim
ARG WITH_CHROMIUM=0
RUN if [ "$WITH_CHROMIUM" = "1" ]; then \
      apt-get update && apt-get install -y --no-install-recommends chromium && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=build /packages /tmp/packages
COPY docker/install.mjs /opt/bizmcp/install.mjs
RUN node /opt/bizmcp/install.mjs /tmp/packages /opt/bizmcp \
 && rm -rf /tmp/packages /root/.npm \
 && mkdir -p /data /home/node/.local/share/bizmcp \
 && chown node:node /home/node/.local/share/bizmcp
ENV PATH=/opt/bizmcp/bin:$PATH \
    PORT=8080 \
    BIZMCP_HTTP_HOST=0.0.0.0
USER node
WORKDIR /home/node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["bizmcp"]
CMD ["list"]
