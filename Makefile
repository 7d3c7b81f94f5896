# Everyday commands. The first two are the README's; the rest assume `python3 dev.py test` ran once.
PY := .venv/bin/python

.PHONY: run test lint fmt worker beat bench bench-load bench-dashboard load-test ci
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
# Not run by `make bench`: reply_load and load_test need PostgreSQL; the others are parts of
# load_test (servers that run until stopped, locust's users, the WSGI entry point).
NOT_BENCH := reply_load load_test load_stack locustfile load_wsgi fake_highlevel fake_claude
bench:  ## the benchmarks that run on the embedded default (reply_load needs PostgreSQL and Redis)
	for b in benchmarks/[!_]*.py; do case " $(NOT_BENCH) " in *" $$(basename $$b .py) "*) ;; *) $(PY) $$b || exit 1;; esac; done
bench-load: ## reply latency under load: gunicorn + Celery on the local PostgreSQL and Redis
	$(PY) benchmarks/reply_load.py
load-test: ## 100 users for 5 min on gunicorn + daphne + Celery + PostgreSQL + Redis, fake HighLevel (CLAUDE=fake: a 1-3 s fake Claude; USERS=, DURATION= for a short run)
	$(PY) benchmarks/load_test.py --claude $(or $(CLAUDE),offline) --users $(or $(USERS),100) --duration $(or $(DURATION),300)
bench-dashboard: ## every dashboard page and admin list, demo vs 10k contacts / 100k messages (DATABASE=postgres://… for PostgreSQL)
	$(PY) benchmarks/dashboard_pages.py --database $(or $(DATABASE),sqlite)
ci:
	bash .ci/run
