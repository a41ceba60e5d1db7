# The one image for web, worker, pdf worker and beat (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Pango and HarfBuzz for WeasyPrint; the CJK font ships in static/fonts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz0b libharfbuzz-subset0 libffi8 shared-mime-info gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY servicedesk servicedesk
COPY complaints complaints
COPY appraisal appraisal
COPY decoration decoration
COPY keys keys
COPY visitors visitors
RUN pip install --no-cache-dir .
COPY . .
# Production storage (hashed, compressed) needs its manifest at build time.
RUN DJANGO_ENV=production DJANGO_ALLOWED_HOSTS=build \
    DJANGO_SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-0123456789 \
    VISITOR_ID_KEY=build-only-not-a-secret-0123456789 VISITOR_ID_HASH_KEY=build-only-not-a-secret-0123456789 \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 desk && mkdir -p /app/var && chown desk /app/var
USER desk
EXPOSE 8000
CMD ["gunicorn", "servicedesk.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
