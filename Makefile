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

# Debian's chromium (browser tests) and a CJK font (Chinese text in pages and the AI mark)
system-packages:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi wqy || \
	  { apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1 || \
	    sudo -n apt-get install -y -q chromium fonts-wqy-microhei >/dev/null 2>&1 || \
	    echo "could not install chromium/fonts-wqy-microhei: browser tests will be skipped"; }

# both cores: every test starts its own servers on free ports and its own databases
test: lint system-packages
	$(BIN)/python -m pytest -n 2

test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 -m "not slow"

# style (ruff), formatting (ruff format) and layers that only point down (import-linter)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(VENV)/.installed-base
	$(BIN)/python benchmarks/catalog_vs_bare.py

# A local Prefect server (UI on 127.0.0.1:4200) with Retouch's deployments served, set as
# this machine's Prefect API; `make down` stops it all. Logs and pids in .retouch/run/.
RUN := .retouch/run
UI_PORT ?= 4200

up: $(VENV)/.installed-base
	@mkdir -p $(RUN)
	@$(BIN)/prefect config set PREFECT_API_URL=http://127.0.0.1:$(UI_PORT)/api >/dev/null
	@nohup $(BIN)/prefect server start --host 127.0.0.1 --port $(UI_PORT) > $(RUN)/server.log 2>&1 & echo $$! > $(RUN)/server.pid
	@for i in $$(seq 240); do curl -sf http://127.0.0.1:$(UI_PORT)/api/health >/dev/null && break; sleep 0.5; done
	@nohup $(BIN)/retouch serve > $(RUN)/serve.log 2>&1 & echo $$! > $(RUN)/serve.pid
	@if $(BIN)/retouch model info --json 2>/dev/null | grep -q '"weights": "'; then \
	  nohup $(BIN)/retouch serve --gpu > $(RUN)/gpu.log 2>&1 & echo $$! > $(RUN)/gpu.pid; \
	  echo "GPU task worker started (logs: $(RUN)/gpu.log)"; \
	else echo "no model weights here: no GPU task worker (retouch model info)"; fi
	@echo "Prefect UI: http://127.0.0.1:$(UI_PORT)  (deployments served; logs in $(RUN)/; stop with make down)"

down:
	@for name in gpu serve server; do \
	  if [ -f $(RUN)/$$name.pid ]; then kill $$(cat $(RUN)/$$name.pid) 2>/dev/null || true; rm -f $(RUN)/$$name.pid; fi; \
	done
	@$(BIN)/prefect config unset PREFECT_API_URL >/dev/null 2>&1 || true
	@echo "stopped; retouch commands are back on the embedded Prefect API"

clean:
	rm -rf $(VENV) demo-out retouch-out benchmarks/data benchmarks/results .pytest_cache
