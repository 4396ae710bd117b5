# iGoUltra backend. `make run` and `make test` work on a fresh machine (Python 3.11 required).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WORKERS ?= 4

.PHONY: install run dev test lint migrate demo admin bench clean db-stop client

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found"; exit 1; }
	@echo "==> virtualenv in $(VENV)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@echo "==> installing dependencies (about 90 s the first time)"
	@$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

migrate: install
	@echo "==> database: migrations (the embedded PostgreSQL starts on first use when DATABASE_URL is unset)"
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py createcachetable

demo: migrate
	@echo "==> demo data"
	@$(PY) manage.py load_demo

# A local superuser for the admin (admin / admin-password); refuses without DEBUG (local settings).
admin: migrate
	@$(PY) manage.py shell -c "from django.conf import settings; assert settings.DEBUG, 'local development only'"
	@DJANGO_SUPERUSER_PASSWORD=admin-password $(PY) manage.py createsuperuser --noinput --username admin \
		--email admin@localhost 2>/dev/null || echo "admin exists"
	@echo "admin: http://127.0.0.1:$(PORT)/admin/ as admin / admin-password"

# Serves the API with demo data on http://127.0.0.1:$(PORT). Without DATABASE_URL it runs on an
# embedded PostgreSQL (data in .pgdata/, started or reused; `make db-stop` stops it); without
# REDIS_URL it runs without Redis. The task-queue worker runs beside the server
# (honcho over the Procfile's web and worker; Ctrl-C stops both).
run: demo
	@$(PY) manage.py collectstatic --noinput -v0
	@echo "==> starting web (gunicorn, $(WORKERS) workers) and worker (procrastinate) with honcho (Procfile.dev)"
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) WORKERS=$(WORKERS) \
		DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-ultrabackend.settings.local} \
		DJANGO_DEBUG=$${DJANGO_DEBUG:-False} $(VENV)/bin/honcho -f Procfile.dev start

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

# The TypeScript client (clients/typescript/): the schema written from this checkout, the types
# generated from it, type-checked with tsc --strict. Commit openapi.json and src/schema.d.ts.
client: install
	cd clients/typescript && npm ci --no-audit --no-fund && PYTHON=$(CURDIR)/$(PY) npm run schema \
		&& npm run generate && npm run check

# Stop the embedded PostgreSQL (its data in .pgdata/ stays).
db-stop: install
	$(PY) -m ultrabackend.embedded_db stop

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

bench: install
	$(PY) bench/xp_add.py $(BENCH_ARGS)

clean:
	-test -x $(PY) && $(PY) -m ultrabackend.embedded_db stop
	rm -rf $(VENV) staticfiles .pgdata
