# Everyday commands. The first two are the README's; the rest assume `python3 dev.py test` ran once.
PY := .venv/bin/python

.PHONY: run test lint fmt worker beat bench bench-load bench-dashboard ci
run:    ## set up and serve on http://127.0.0.1:8000
	python3 dev.py run
test:   ## set up and run the whole suite
	python3 dev.py test
lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check .
fmt:
	$(PY) -m ruff check --fix . && $(PY) -m ruff format .
worker: ## a real Celery worker on every queue (needs REDIS_URL; production runs one per queue)
	$(PY) -m celery --app config.celery worker -Q ingest,turns,sends --loglevel INFO
beat:   ## the one Celery beat (needs REDIS_URL)
	$(PY) -m celery --app config.celery beat --loglevel INFO
bench:  ## the benchmarks that run on the embedded default (reply_load needs PostgreSQL and Redis)
	for b in benchmarks/[!_]*.py; do [ $$b = benchmarks/reply_load.py ] || $(PY) $$b || exit 1; done
bench-load: ## reply latency under load: gunicorn + Celery on the local PostgreSQL and Redis
	$(PY) benchmarks/reply_load.py
bench-dashboard: ## every dashboard page and admin list, demo vs 10k contacts / 100k messages (DATABASE=postgres://… for PostgreSQL)
	$(PY) benchmarks/dashboard_pages.py --database $(or $(DATABASE),sqlite)
ci:
	bash .ci/run
