# iGoUltra backend. `make run` and `make test` work on a fresh machine (Python 3.11 required).
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
WORKERS ?= 3

.PHONY: install run dev test lint migrate demo bench clean

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

# Serves the API with demo data on http://127.0.0.1:$(PORT) (SQLite and no Redis unless
# DATABASE_URL / REDIS_URL are set), with the task-queue worker beside it (honcho over the
# Procfile's web and worker; Ctrl-C stops both).
run: demo
	$(PY) manage.py collectstatic --noinput -v0
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" BIND_ADDRESS=127.0.0.1 WEB_CONCURRENCY=$(WORKERS) GUNICORN_CMD_ARGS="--access-logfile -" \
		DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-ultrabackend.settings.local} \
		DJANGO_DEBUG=$${DJANGO_DEBUG:-False} $(VENV)/bin/honcho start -f Procfile -p $(PORT) web worker

# Django's autoreloading development server with DEBUG on.
dev: demo
	DJANGO_DEBUG=True $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite. On PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set (CI), otherwise
# on SQLite, where the PostgreSQL-only tests are skipped with their reason.
test: install
	$(PY) -m pytest -n 2 -q -rs $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

bench: install
	$(PY) bench/xp_add.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
