# make figures   every figure of the quick preset (installs what it needs first)
# make paper     every figure at the paper's scale
# make test      the test suite (what CI runs)
# make bench     the chain engine's benchmark against the public code's approach

VENV ?= .venv
PY := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake

.PHONY: install figures paper test bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

figures: install
	$(SNAKEMAKE) all --configfile presets/quick.yaml

paper: install
	$(SNAKEMAKE) all

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/chains.py

clean:
	rm -rf results/quick results/paper .snakemake
