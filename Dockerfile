# ComfyOps as a long-running controller: `comfyops reconcile --watch`, metrics on :9464/metrics.
# Build: docker build -t comfyops .   Run: see deploy/kubernetes/ and README "Continuous reconciliation".
FROM python:3.12-slim

# git only to name the commit being reconciled in messages (`git rev-parse HEAD`); the manifests come
# from a volume kept current by the operator (e.g. a git-sync sidecar), never from the image.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/comfyops
COPY pyproject.toml README.md ./
COPY reconciler ./reconciler
RUN pip install --no-cache-dir . && rm -rf /opt/comfyops/build

RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent comfyops \
    && mkdir -p /state /repo \
    && chown comfyops:comfyops /state
USER 10001:10001

# the manifests (mount or sync a checkout here), and the record of deployments seen live (heal may re-create them)
ENV COMFYOPS_RECONCILE_STATE=/state \
    GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=* \
    PYTHONUNBUFFERED=1
WORKDIR /repo
EXPOSE 9464

ENTRYPOINT ["comfyops"]
CMD ["reconcile", "--watch", "--interval", "5m", "--metrics-addr", "0.0.0.0:9464", "-f", "/repo"]
