# syntax=docker/dockerfile:1
# One image for the API, the workers, beat and Flower; the command picks the role.
# `--build-arg WITH_CHROMIUM=1` adds Debian's Chromium for the scraping worker's browser fetcher.
FROM python:3.11-slim

ARG WITH_CHROMIUM=0
ARG UV_VERSION=0.13.9

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DATA_DIR=/data \
    CHROMIUM_PATH=/usr/bin/chromium

RUN if [ "$WITH_CHROMIUM" = "1" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends chromium fonts-liberation \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
    && pip install --no-cache-dir "uv==${UV_VERSION}" \
    && useradd --create-home --uid 10001 scrapeflow \
    && mkdir -p /data \
    && chown scrapeflow:scrapeflow /data

WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --group ops --no-install-project
# The project stays an editable install, so `scrapeflow migrate` finds alembic.ini beside the package.
COPY alembic.ini ./
COPY alembic ./alembic
COPY backend ./backend
RUN uv sync --frozen --no-dev --group ops
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/scrapeflow-entrypoint

USER scrapeflow
VOLUME ["/data"]
EXPOSE 8000
ENTRYPOINT ["scrapeflow-entrypoint"]
CMD ["scrapeflow", "api", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
