# iGoUltra backend. `make run` and `make test` work on a fresh machine (Python 3.11 required).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WORKERS ?= 3

.PHONY: install run dev test lint migrate demo bench clean db-stop

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

demo: migrate
	$(PY) manage.py load_demo

# Serves the API with demo data on http://127.0.0.1:$(PORT). Without DATABASE_URL it runs on an
# embedded PostgreSQL (data in .pgdata/, started or reused; `make db-stop` stops it); without
# REDIS_URL it runs without Redis. The task-queue worker runs beside the server
# (honcho over the Procfile's web and worker; Ctrl-C stops both).
run: demo
	$(PY) manage.py collectstatic --noinput -v0
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" BIND_ADDRESS=127.0.0.1 WEB_CONCURRENCY=$(WORKERS) GUNICORN_CMD_ARGS="--access-logfile -" \
		DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-ultrabackend.settings.local} \
		DJANGO_DEBUG=$${DJANGO_DEBUG:-False} $(VENV)/bin/honcho start -f Procfile -p $(PORT) web worker

# Django's autoreloading development server with DEBUG on.
dev: demo
	DJANGO_DEBUG=True $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite, on PostgreSQL: DATABASE_URL when set (CI), otherwise the embedded one. Redis:
# REDIS_URL when set, otherwise a Redis answering on 127.0.0.1:6379 (tests only touch their own
# key prefix); with no Redis at all the Redis tests say so and are skipped.
test: install
	@if [ -z "$$REDIS_URL" ] && $(PY) -c "import redis; redis.Redis(socket_connect_timeout=0.3).ping()" 2>/dev/null; then \
		export REDIS_URL=redis://127.0.0.1:6379/0; echo "using the local Redis at $$REDIS_URL"; fi; \
	$(PY) -m pytest -n 2 -q -rs $(PYTEST_ARGS)

# Stop the embedded PostgreSQL (its data in .pgdata/ stays).
db-stop: install
	$(PY) -m ultrabackend.embedded_db stop

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

bench: install
	$(PY) bench/xp_add.py $(BENCH_ARGS)

clean:
	-test -x $(PY) && $(PY) -m ultrabackend.embedded_db stop
	rm -rf $(VENV) staticfiles .pgdata
