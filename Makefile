# Two commands on a machine with only Python 3.11+ and make:
#   make demo   set up .venv and run the hub with a demo federation
#   make test   set up .venv and run the test suite
#   make bench  run the benchmarks (minutes; never part of make test)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo test bench schema clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("simpul needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/simpul demo

test: $(STAMP)
	$(BIN)/ruff check hub connectors simpul tests bench
	$(BIN)/mypy
	$(BIN)/simpul schema export --check
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4

bench: $(STAMP)
	$(BIN)/python -m bench

schema: $(STAMP)
	$(BIN)/simpul schema export

clean:
	rm -rf $(VENV) .simpul
