# Ratebook: every command a reviewer runs. Each target does its own set-up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MANIFEST := dbt_project/target/manifest.json
export BILLING_DATA_DIR ?= $(CURDIR)/data
export BILLING_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb
export BILLING_OUTPUT_DIR ?= $(CURDIR)/data/invoices
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
DEMO_THROUGH ?= 2024-06-30

.PHONY: setup system-packages manifest demo test dev lint lock bench clean

# System libraries of PDF invoices (WeasyPrint, docs/documents.md): Pango, HarfBuzz's
# subsetter and the DejaVu fonts; poppler-utils turns PDF pages into PNGs for the
# visual check. Debian's chromium is the browser the Dagster UI test drives
# (tests/ui, through Playwright; Playwright never downloads a browser of its own).
# Installed when missing and make runs as root on Debian; otherwise make says what
# to install.
PDF_DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils
UI_TEST_DEB_PACKAGES := chromium
APT_GET ?= apt-get

setup: system-packages $(STAMP) $(MANIFEST)

system-packages:
	@command -v dpkg-query >/dev/null || { echo "system-packages: not Debian; PDF invoices need Pango, HarfBuzz-subset and DejaVu fonts, the UI test needs Chromium" >&2; exit 0; }; \
	missing=""; for package in $(PDF_DEB_PACKAGES) $(UI_TEST_DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v $(APT_GET) >/dev/null; then \
		echo "system-packages: installing$$missing"; \
		$(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq --no-install-recommends $$missing; \
	else \
		echo "system-packages: PDF invoices and the UI test need$$missing: sudo apt-get install -y$$missing" >&2; \
	fi

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The dbt manifest Dagster reads to build its assets (dbt parse writes it).
$(MANIFEST): $(STAMP) $(shell find dbt_project -name '*.sql' -o -name '*.yml' | grep -v target/)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	touch $(MANIFEST)

manifest: $(MANIFEST)

demo: setup
	$(BIN)/billing run --through $(DEMO_THROUGH)
	$(BIN)/python -m dagster_project.demo_summary
	$(BIN)/python -m dagster_project.payments_emulator.demo

# Three workers on two cores: a sixth of the workers' time is spent waiting (on the billing
# runs' subprocesses starting, the Dagster daemon's ticks, the browser), which a third worker
# fills (README, Tests).
test: setup
	$(BIN)/python -m pytest -q -n 3 --dist loadfile --no-loadscope-reorder

dev: setup
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/.dagster_home} ; mkdir -p $$DAGSTER_HOME ; \
	cp -n dagster.yaml $$DAGSTER_HOME/dagster.yaml 2>/dev/null || true ; \
	DAGSTER_HOME=$$DAGSTER_HOME $(BIN)/dagster dev -h 127.0.0.1 -p 3000

bench: setup
	$(BIN)/python bench/events_landing.py
	$(BIN)/python bench/payments.py
	$(BIN)/python bench/documents.py

# Re-lock after changing pyproject.toml dependencies.
lock:
	rm -rf /tmp/ratebook-lock && $(PYTHON) -m venv /tmp/ratebook-lock
	/tmp/ratebook-lock/bin/pip install --quiet . && /tmp/ratebook-lock/bin/pip freeze --exclude ratebook > requirements.lock.new
	( echo '# Locked from pyproject.toml with `pip freeze` on Python 3.11 (see Makefile `lock`).' ; cat requirements.lock.new ) > requirements.lock && rm requirements.lock.new

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
