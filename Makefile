# The two commands: `make run` and `make test`. Everything they need is installed by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMPS := .stamps
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install assets migrate demo logins lint format messages clean bench

run: install migrate
	@echo "==> Demo data (an empty database is seeded with the demo county: about a minute)"
	$(BIN)/python manage.py demo --if-empty
	@$(MAKE) --no-print-directory logins
	@echo "==> Serving http://127.0.0.1:$(PORT)/ with a background worker for exports and SMS (Ctrl-C stops both)"
	@# The worker (django-tasks-db) runs in a session of its own, so stopping it also stops the
	@# process its code reloader starts; it stops whenever runserver does, however that ends.
	@trap 'kill -TERM -$$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	setsid $(BIN)/python manage.py db_worker --queue-name '*' & worker=$$!; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The suite runs in one process per core (pytest-xdist; each has its own test database, Redis prefixes
# and servers), handing out tests as processes come free. TEST_PROCESSES=0 runs it in this one process.
TEST_PROCESSES ?= auto
test: install
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

install: $(STAMPS)/python $(STAMPS)/assets

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/python: pyproject.toml | $(BIN)/python
	@echo "==> Python packages into $(VENV) (first run: a few minutes)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/assets: package.json package-lock.json scripts/copy-vendor.mjs
	@echo "==> JavaScript and CSS libraries (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	@mkdir -p $(STAMPS) && touch $@

assets: $(STAMPS)/assets

migrate: install
	@echo "==> Database migrations"
	$(BIN)/python manage.py migrate --no-input

demo: install migrate
	$(BIN)/python manage.py demo
	@$(MAKE) --no-print-directory logins

logins:
	@echo ""
	@echo "Demo logins (password: demo) — http://127.0.0.1:$(PORT)/login/"
	@echo "  orgdept     organization department (sees and edits everything)"
	@echo "  cityschool  city party school staff"
	@echo "  township1   staff of the first township school"
	@echo "  teacher1    pool teacher with a login"
	@echo "  member1     party member of township 1"
	@echo "  migrant1    migrant party member"
	@echo "  terminal1   screen of township 1's sub-classroom (enters its township's live classes)"
	@echo "  Admin: http://127.0.0.1:$(PORT)/admin/   API docs: http://127.0.0.1:$(PORT)/api/v1/docs"
	@echo ""

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=static_root
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

# Every benchmark (bench/run_all.py), then one table. They need PostgreSQL and Redis; each makes its own
# databases there (the county ones are kept and reused: bench/county_history.py). About 20–30 minutes.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/9
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		$(BIN)/python bench/run_all.py $(BENCH)

clean:
	rm -rf $(VENV) node_modules $(STAMPS) static_root lms/static/vendor
