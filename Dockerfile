# One image for the web server, the Celery worker and Celery beat (see docker-compose.yml).

# --- base: Python and the system libraries the portal loads at run time ----------------------
FROM python:3.12-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# libmagic: document types are checked by content. Pango and HarfBuzz: WeasyPrint renders PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libmagic1 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# --- assets: front-end packages from the npm registry, pinned by package-lock.json -----------
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- app ---------------------------------------------------------------------------------------
FROM base AS app
WORKDIR /app

# Dependencies first, from pyproject.toml alone, so that this layer is rebuilt only when the
# dependencies change. The portal itself runs from /app (settings find templates/ and static/
# beside the code), which PYTHONPATH puts first.
COPY pyproject.toml ./
RUN pip install .
ENV PYTHONPATH=/app

COPY --from=assets /build/node_modules ./node_modules
COPY manage.py ./
COPY portal ./portal
COPY applications ./applications
COPY review ./review
COPY compliance ./compliance
COPY templates ./templates
COPY static ./static

# Collect and compress static files (whitenoise serves them). The key only lets settings load.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin portal \
    && mkdir -p /app/var /data/documents \
    && chown -R portal:portal /app/var /data
USER portal

ENV PRIVATE_DOCUMENT_ROOT=/data/documents
VOLUME ["/data/documents"]
EXPOSE 8000

CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
