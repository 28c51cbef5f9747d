# Two commands set everything up: `make demo` and `make test`. Both need only python3 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test stress system-packages bench lint constraints clean

# open_clip, the reference of the model-interop tests and the anchor of benchmarks/bench_gpu.py, goes in
# without its dependencies: the torchvision wheel matching torch 2.13 does not import with its CPU build,
# and wit's tests and benchmarks use only open_clip's models, loss, tokenizer and transform parameters
# (tests/open_clip_ref.py gives open_clip the torchvision stand-in of tests/stubs to import).
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet --constraint constraints.txt -e '.[test,bench]'
	$(BIN)/python -m pip install --quiet --no-deps --constraint constraints.txt open_clip_torch
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wit demo --out demo-out

test: $(STAMP) system-packages
	WIT_REQUIRE_OPEN_CLIP=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

# The long variants of RELIABILITY.md: the whole kill-point matrix, the 1 GiB single-line CSV, and a
# 20,000-input atheris run over the readers (the `fuzz` extra, installed here for this target only),
# started from tests/fuzz/seeds with a scratch corpus directory.
stress: $(STAMP)
	$(BIN)/python -m pytest -m stress $(PYTEST_ARGS)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt -e '.[fuzz]'
	$(BIN)/python tests/fuzz/fuzz_readers.py -atheris_runs=20000 -max_len=4096 "$$(mktemp -d)" tests/fuzz/seeds

# Two tests use Debian packages as their oracle: the browser test of `wit report` renders the page in
# chromium, and the query builder's test rebuilds the shipped WordNet lemma list from wordnet-base's
# database. Installed here when missing (as root); otherwise those tests skip and say why.
system-packages:
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	[ -d /usr/share/wordnet ] || missing="$$missing wordnet-base"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
		|| echo "note: could not install$$missing; the tests that need them will be skipped"; \
	else echo "note: missing$$missing (install as root); the tests that need them will be skipped"; fi

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin constraints.txt from a fresh resolution (run by hand when dependencies change).
constraints:
	rm -rf /tmp/wit-pin && $(PYTHON) -m venv /tmp/wit-pin
	/tmp/wit-pin/bin/python -m pip install --quiet torch==2.13.0
	/tmp/wit-pin/bin/python -m pip install --quiet -e '.[test,bench,fuzz]'
	/tmp/wit-pin/bin/python -m pip install --quiet --no-deps open_clip_torch
	/tmp/wit-pin/bin/python -m pip freeze --exclude-editable | sed 's/+cpu$$//' > constraints.txt

clean:
	rm -rf $(VENV) demo-out bench-out
