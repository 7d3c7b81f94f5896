# One image for every role (web, ws, worker, beat); docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

# WeasyPrint renders the CMA PDFs with Pango; harfbuzz-subset makes its font subsetting fast.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
    libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY config ./config
COPY leads ./leads
COPY buyers ./buyers
COPY sellers ./sellers
COPY analytics ./analytics
COPY compliance ./compliance
# At the reviewed versions (docs/security.md, "Dependencies").
RUN pip install -c constraints.txt .
COPY . .
# collectstatic needs settings but no secrets of value.
RUN DJANGO_SECRET_KEY=build-only-$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n') ALLOWED_HOSTS=build \
    python manage.py collectstatic --no-input

RUN useradd --system --uid 1000 app && chown -R app /app
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
