# Dockerfile — one image for every brandpulse process (collectors, filter, alerter, tools):
# a Debian bookworm build stage that runs `make`, and a slim runtime stage with the shared
# libraries only, bin/ and the default rules. docker-compose.yml picks the program by `command`.

# ---- build: the -dev packages, the compiler, make ----
FROM debian:bookworm AS build
WORKDIR /src
# The package list lives in one place: the script the Makefile runs on a fresh machine.
COPY scripts/ scripts/
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
# Everything else (.dockerignore keeps out bin/, build/ and .git: the binaries are built here,
# against this stage's libraries, never copied from the host).
COPY . .
RUN make -j"$(nproc)" && ls bin/

# ---- runtime: shared libraries, CA certificates, the programs and the default rules ----
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates tzdata \
      libcurl4 libpcre2-8-0 librdkafka1 libjansson4 libyaml-0-2 libmicrohttpd12 libexpat1 libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 brandpulse \
 && useradd --system --uid 10001 --gid brandpulse --home-dir /opt/brandpulse --shell /usr/sbin/nologin brandpulse \
 && mkdir -p /opt/brandpulse/etc /opt/brandpulse/state /opt/brandpulse/inbox \
 && chown brandpulse:brandpulse /opt/brandpulse/state /opt/brandpulse/inbox
WORKDIR /opt/brandpulse
COPY --from=build /src/bin/ /opt/brandpulse/bin/
COPY rules/ /opt/brandpulse/rules/
ENV PATH=/opt/brandpulse/bin:$PATH
USER brandpulse
# Every long-running program serves /healthz on metrics_listen (0.0.0.0:9464 in config/compose).
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bp-probe", "--quiet", "--timeout", "3s", "http://127.0.0.1:9464/healthz"]
# SIGTERM ends every program cleanly (flush, commit, close); compose waits stop_grace_period.
STOPSIGNAL SIGTERM
CMD ["bp-filter", "--help"]
