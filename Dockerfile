# The serving image of one model version: `mlops serve` on port 8000, the model (from
# `mlops bundle`, in build/serve/) baked in. Built by .github/workflows/image.yml, tagged
# with the model version; locally `make image`. The bases are build arguments, so a
# machine that cannot pull them builds from its own (the tests build a Debian base with
# mmdebstrap).
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# One stage, in layers from the least to the most often changed: the dependencies (the
# largest layer, shared by every image built from the same uv.lock), the package, then
# the model. uv is mounted for the steps that need it, never copied in (what a second
# stage holding the build tools was for), and so is its download cache. Copying a whole
# environment from a build stage instead cost every build ~11 s even when cached (the
# builder hashes ~1 GB of files to check its cache; measured with podman here).
FROM ${BASE_IMAGE}
# UV_SYSTEM_CERTS: trust the base's certificate store (a proxy's CA added there works too).
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_SYSTEM_CERTS=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=from=uv,source=/uv,target=/usr/local/bin/uv \
    --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-project
# The package itself, not editable (a small layer; a code change rebuilds only this).
COPY README.md LICENSE ./
COPY src/ src/
RUN --mount=from=uv,source=/uv,target=/usr/local/bin/uv \
    --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable
# The model: the only layers that differ between two versions of the same code.
ARG MODEL_VERSION=workspace
LABEL org.opencontainers.image.title="mlops model service" \
      org.opencontainers.image.description="HTTP service of one registered model version" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${MODEL_VERSION}" \
      io.mlops.model.version="${MODEL_VERSION}"
COPY params.yaml ./
COPY build/serve/ model/
# The version is a label (above) and a file (model/VERSION); they must agree. The
# prediction log folder belongs to the service's user.
RUN test "$(cat model/VERSION)" = "${MODEL_VERSION}" \
    && mkdir -p logs \
    && chown 10001:10001 logs
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_NUM_THREADS=1
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=2)"]
CMD ["mlops", "serve", "--model", "model", "--host", "0.0.0.0", "--port", "8000"]
