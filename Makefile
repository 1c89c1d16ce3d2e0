# Retouch: `make demo` and `make test` are all a newcomer needs (README, "Quick start").
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test test-fast lint bench clean system-packages up down

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# what the demo needs: Retouch, the [model] and [ocr] extras (a CPU-only worker can install plain `.`)
# OCR (the text checks): rapidocr without its opencv-python dependency (see pyproject's [ocr])
RAPIDOCR := rapidocr-onnxruntime==1.4.4

$(VENV)/.installed-base: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -c constraints.txt -e '.[model,ocr]'
	$(PIP) install --no-deps $(RAPIDOCR)
	touch $@

# everything: tests, lint and the [model] extra (torch, diffusers, transformers)
$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) install -c constraints.txt -e '.[dev]'
	$(PIP) install --no-deps $(RAPIDOCR)
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/retouch demo

# Debian's chromium (browser tests), a CJK font (Chinese text in pages and the AI mark) and
# libturbojpeg (lossless JPEG crops and rotations; without it those are decoded and re-encoded)
SYSTEM_PACKAGES := chromium fonts-wqy-microhei libturbojpeg0
system-packages:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi wqy && ldconfig -p | grep -q libturbojpeg || \
	  { apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	    sudo -n apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	    echo "could not install $(SYSTEM_PACKAGES): browser and lossless-JPEG tests will be skipped"; }

# both cores: every test starts its own servers on free ports and its own databases
test: lint system-packages
	$(BIN)/python -m pytest -n 4 --dist worksteal

test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -m "not slow"

# style (ruff), formatting (ruff format) and layers that only point down (import-linter)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed-base system-packages
	$(BIN)/python benchmarks/catalog_vs_bare.py

# The local stack: a Prefect server (UI on 127.0.0.1:$(UI_PORT)) set as this machine's Prefect API,
# prefect.yaml's deployments served, the review page and, with model weights, a GPU task worker.
# Each process reads .env (see .env.example); logs and pids in .retouch/run/. `make down` returns
# once every process it started has exited (SIGTERM, a few seconds' grace, then SIGKILL).
UI_PORT ?= 4200
API_PORT ?= 8000

up: $(VENV)/.installed-base
	@$(BIN)/retouch stack up --port $(UI_PORT) --api-port $(API_PORT)

down:
	@if [ -x $(BIN)/retouch ]; then $(BIN)/retouch stack down; else echo "nothing to stop (no $(VENV))"; fi

clean:
	rm -rf $(VENV) demo-out retouch-out benchmarks/data benchmarks/results .pytest_cache
