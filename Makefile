# make figures        every figure of the quick preset (installs what it needs first; Fashion-MNIST
#                     comes from Debian's dataset-fashion-mnist, installed with apt-get as root)
# make faithful       Figs 4, 11, 12 of the quick preset trained until BN converges (presets/faithful.yaml)
# make paper          every figure at the paper's scale
# make test           lint, then the test suite (what CI runs); its report goes to results/tests.xml
# make bench          the benchmarks; their results go to results/bench/*.json
# make gpu-check      on a machine with a GPU, within 8 minutes (GPU_CHECK_BUDGET seconds): the CUDA tests, and the
#                     paper preset's training jobs timed (measured epochs, projected to whole jobs, labelled so);
#                     into results/bench/gpu_check.json (benchmarks/gpu_check.py; without a GPU it says so and fails)
# make report         results/quick/report.html: every quick-preset figure with its caption and claims
# make results-page   docs/results.md, regenerated from the files the runs above wrote

VENV ?= .venv
PY := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake

FASHION := /usr/share/datasets/fashion-mnist
GPU_CHECK_BUDGET ?= 480

.PHONY: install data figures faithful paper lint test bench gpu-check report results-page clean

install: $(VENV)/.installed

# Fashion-MNIST offline: Debian's package (other sources: docs/figures.md, "Data")
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

faithful: install data
	$(SNAKEMAKE) fig4 fig11 fig12 --configfile presets/quick.yaml presets/faithful.yaml

paper: install data
	$(SNAKEMAKE) all

# the workflow too: snakefmt (line length as ruff's), and Snakemake's linter with its one
# accepted finding, no conda environment or container (bnrank/lint.py)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/snakefmt --check Snakefile rules/
	$(PY) -m bnrank.lint Snakefile

test: lint data
	$(PY) -m pytest -q --junitxml=results/tests.xml

report: figures
	$(SNAKEMAKE) --report results/quick/report.html --configfile presets/quick.yaml

bench: install  # --output: each into results/bench/<name>.json (bnrank.paths.bench_record)
	$(PY) benchmarks/chains.py --output
	$(PY) benchmarks/train.py --output
	$(PY) benchmarks/epoch.py --output
	$(PY) benchmarks/cnn.py --output
	$(PY) benchmarks/rank_notions.py --output
	$(PY) benchmarks/packing.py --output
	$(PY) benchmarks/packing.py --experiment fig4 --configfile presets/quick.yaml --output
	$(PY) benchmarks/beyond.py --output

# prepares the data sets it lacks with snakemake (offline: CIFAR-10's experiments are timed on its stand-in, and say so)
gpu-check: install
	$(PY) benchmarks/gpu_check.py --budget-seconds $(GPU_CHECK_BUDGET)

results-page: install
	$(PY) -m bnrank.results_page

clean:
	rm -rf results/quick results/paper .snakemake
