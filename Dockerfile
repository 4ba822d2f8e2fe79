# The serving image of one model version: `mlops serve` on port 8000, the model (from
# `mlops bundle`, in build/serve/) baked in. Built by .github/workflows/image.yml, tagged
# with the model version; locally `make image`. The bases are build arguments, so a
# machine that cannot pull them builds from its own (the tests build a Debian base with
# mmdebstrap).
ARG BASE_IMAGE=docker.io/library/python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

# --- build: the locked environment, without dev tools ----------------------------------
FROM ${BASE_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
# UV_SYSTEM_CERTS: trust the base's certificate store (a proxy's CA added there works too).
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_SYSTEM_CERTS=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY README.md LICENSE ./
COPY src/ src/
RUN uv sync --locked --no-dev --no-editable

# --- runtime ----------------------------------------------------------------------------
FROM ${BASE_IMAGE}
ARG MODEL_VERSION=workspace
LABEL org.opencontainers.image.title="mlops model service" \
      org.opencontainers.image.description="HTTP service of one registered model version" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${MODEL_VERSION}" \
      io.mlops.model.version="${MODEL_VERSION}"
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
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
