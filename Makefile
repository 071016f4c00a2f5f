# make figures   every figure of the quick preset (installs what it needs first; Fashion-MNIST
#                comes from Debian's dataset-fashion-mnist, installed with apt-get as root)
# make paper     every figure at the paper's scale
# make test      the test suite (what CI runs)
# make bench     the chain engine's benchmark against the public code's approach

VENV ?= .venv
PY := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake

FASHION := /usr/share/datasets/fashion-mnist

.PHONY: install data figures paper test bench clean

install: $(VENV)/.installed

# Fashion-MNIST offline: Debian's package (other sources: README, "Data")
data: $(FASHION)

$(FASHION):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; \
	else echo "Fashion-MNIST: run 'sudo apt-get install dataset-fashion-mnist', or set data.fashion_mnist.directory"; fi

$(VENV)/.installed: requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

figures: install data
	$(SNAKEMAKE) all --configfile presets/quick.yaml

paper: install data
	$(SNAKEMAKE) all

test: install data
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/chains.py
	$(PY) benchmarks/train.py

clean:
	rm -rf results/quick results/paper .snakemake
