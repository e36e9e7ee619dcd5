# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv when missing and
# install the pinned dependencies from requirements.lock (CPU-only torch).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
# The CPU build of torch: a local wheel folder when the machine has one, else PyTorch's CPU index.
TORCH_WHEELS ?= /opt/wheels
TORCH_SOURCE := $(if $(wildcard $(TORCH_WHEELS)/torch-*.whl),--find-links $(TORCH_WHEELS),--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export RAGAS_DO_NOT_TRACK := true
export DO_NOT_TRACK := 1
export SCARF_NO_ANALYTICS := true
export TOKENIZERS_PARALLELISM := false

.PHONY: setup tools demo test browser up lock clean-data bench-retrieval bench-ingest bench-query bench-embed bench-dagster bench-sensor bench-bluegreen bench-chat bench-app bench-eval bench-golden bench-reports bench-ocr bench-hostile bench-kill bench-load bench-api

setup: $(VENV)/.installed tools

# Debian programs the parsers call: Tesseract (OCR of scans and pictures, with its orientation
# model) and LibreOffice (.doc, .xls, .ppt). Installed with apt when missing and run as root;
# otherwise the missing packages are named, and the files that need them are quarantined (and
# tried again by every ingestion once they are installed).
TOOL_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd libreoffice-core-nogui \
	libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui
tools:
	@missing=$$(for p in $(TOOL_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then echo "installing $$missing" && apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "missing Debian packages (scans and legacy office files will be quarantined): $$missing" >&2; fi; \
	fi

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)
	$(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python $(TORCH_SOURCE) requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@if $(BIN)/python -m pip list 2>/dev/null | grep -qi nvidia; then echo "CUDA packages were installed; expected CPU-only torch" >&2; exit 1; fi
	@touch $@

demo: setup
	$(BIN)/docent ingest samples/acme
	$(BIN)/docent search "How many weeks of parental leave does the secondary caregiver get?" -k 3
	$(BIN)/docent search "What is the hotel cap in New York?" -k 3
	$(BIN)/docent search "What was Q3 2025 revenue?" -k 3
	$(BIN)/docent search "Who leads the Lyon lab?" -k 3 --mode bm25
	$(BIN)/docent status
	$(BIN)/docent ask "How many weeks of parental leave does the secondary caregiver get?"
	$(BIN)/docent ask "What is the hotel cap in New York?"
	$(BIN)/docent eval run --suite golden --golden evals/acme-golden.jsonl

test: setup browser
	$(BIN)/python -m pytest

# The browser tests drive Debian's chromium through Playwright (which never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
		echo "chromium is missing and could not be installed: the browser tests (tests/e2e) will fail" >&2

# The app on 127.0.0.1:8501, the HTTP API on 127.0.0.1:8000, the Dagster UI and daemon on 127.0.0.1:3000 (sensor, schedule, runs) and a
# Prefect server on 127.0.0.1:4200 with a worker running the evaluation deployments of prefect.yaml on
# their schedules, all under one supervisor (`docent up`; UP_ARGS="--app-port 8502 ..." moves them). Dagster's
# and Prefect's state live under .docent/. Ctrl-C stops everything, in order.
UP_ARGS ?=
up: setup
	$(BIN)/docent up $(UP_ARGS)

# Recompile the lock after editing requirements.in.
lock: $(VENV)/.installed
	$(BIN)/uv pip compile -q requirements.in --python-version 3.11 $(TORCH_SOURCE) -o requirements.lock

clean-data:
	rm -rf .docent

DATA ?= ../shared/data
bench-retrieval: setup
	$(BIN)/python benchmarks/retrieval.py --data $(DATA)/scifact-dev
bench-ingest: setup
	$(BIN)/python benchmarks/ingest.py --data $(DATA)/scifact-dev
bench-query: setup
	$(BIN)/python benchmarks/query_latency.py
bench-dagster: setup
	$(BIN)/python benchmarks/dagster_ingest.py --data $(DATA)/scifact-dev --limit 1000
bench-sensor: setup
	$(BIN)/python benchmarks/sensor_tick.py --files 10000 --changed 10
bench-bluegreen: setup
	$(BIN)/python benchmarks/blue_green.py --data $(DATA)/scifact-dev
bench-app: setup browser
	$(BIN)/python benchmarks/app_latency.py
bench-eval: setup
	$(BIN)/python benchmarks/eval_scoring.py
bench-golden: setup
	$(BIN)/python benchmarks/eval_golden.py --data $(DATA)/rag-qa-dev
bench-chat: setup
	$(BIN)/python benchmarks/chat_latency.py --data $(DATA)/scifact-dev
bench-reports: setup
	$(BIN)/python benchmarks/reports.py --data $(DATA)/financebench-dev
bench-ocr: setup
	$(BIN)/python benchmarks/ocr.py --fixtures $(DATA)/parser-fixtures/example-docs
bench-api: setup
	$(BIN)/python benchmarks/api_latency.py --asks 100 --streams 200
bench-hostile: setup
	$(BIN)/python benchmarks/hostile.py
bench-kill: setup
	$(BIN)/python benchmarks/kill_ingest.py --rounds 20
bench-load: setup
	$(BIN)/python benchmarks/ingest_under_load.py --data $(DATA)/financebench-dev/pdfs
bench-embed: setup
	$(BIN)/python benchmarks/embed_backends.py --data $(DATA)/scifact-dev --limit 1000 --rounds 3 --backends torch,torch-bf16,onnx-O2,openvino --ndcg torch,openvino
