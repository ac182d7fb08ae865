# The two commands: `make run` and `make test`. Both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the service needs (pango, harfbuzz-subset, zbar, the fonts) and the tests need
# (PostgreSQL, poppler-utils, Chromium): scripts/packages.txt, the list the Dockerfile reads too.
SYSTEM_PACKAGES := $(shell bash scripts/packages.sh run test)

IMAGE ?= localhost/verifier:latest
BASE_IMAGE ?= localhost/debian:bookworm-slim
# The CA bundle pip inside the build trusts (this machine reaches PyPI through a TLS-inspecting proxy).
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: run test check docs lint typecheck unit bench bench-js bench-decoder bench-attack bench-http bench-credentials bench-reads bench-issue bench-memory bench-hardening bench-scanner bench-recognitions bench-log bench-batch bench-watches bench-console bench-import image image-check vectors clean

# make run [PORT=8001] [HOST=0.0.0.0] [PUBLIC_URL=https://verify.example.org]: where the demo listens,
# and the address its QR codes name (by default http://HOST:PORT, 127.0.0.1 for 0.0.0.0).
HOST ?= 127.0.0.1
PORT ?= 8000
PUBLIC_URL ?=
# The tests run over one worker process per core (pytest-xdist), a module to a worker (its fixtures built
# once, its tests in their order); WORKERS=0 runs them in one process.
WORKERS ?= auto

run: $(BIN)/.installed node_modules/.installed
	$(if $(PUBLIC_URL),VERIFIER_PUBLIC_URL=$(PUBLIC_URL)) $(BIN)/verifier demo --host $(HOST) --port $(PORT)

test: $(BIN)/.installed node_modules/.installed lint typecheck unit

# The edit loop: lint, types, and the unit and service tests (no PostgreSQL, no servers, no browser).
check: $(BIN)/.installed lint typecheck
	$(BIN)/pytest -n $(WORKERS) --dist loadscope tests/unit tests/service

lint: $(BIN)/.installed
	$(BIN)/ruff check verifier tests bench scripts
	$(BIN)/ruff format --check verifier tests bench scripts
	$(BIN)/hadolint Dockerfile

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# What the docs show that the code defines: the README's table of settings.
docs: $(BIN)/.installed
	$(BIN)/python scripts/docs.py

# The whole suite over the workers.
unit: $(BIN)/.installed node_modules/.installed
	$(BIN)/pytest -n $(WORKERS) --dist loadscope

bench: $(BIN)/.installed
	$(BIN)/python bench/seal.py

# The seal decoder against the hostile corpus (tests/helpers/hostile_seals.py), beside a genuine seal.
bench-decoder: $(BIN)/.installed
	$(BIN)/python bench/decoder.py

# /healthz while 20 hostile scans and 20 hostile uploads arrive at once (tests/helpers/hostile_load.py).
bench-attack: $(BIN)/.installed
	$(BIN)/python bench/attack.py

# The scan endpoint under wrk, with 1,000 and 1,000,000 certificates stored (several minutes).
bench-http: $(BIN)/.installed
	bash scripts/system-deps.sh wrk
	$(BIN)/python bench/verify_http.py --cold

# The credentials and a status list per second on one worker, beside a bare endpoint; credential sizes.
bench-credentials: $(BIN)/.installed
	bash scripts/system-deps.sh wrk
	$(BIN)/python bench/credentials.py

# make bench-reads [DATABASE=postgresql] [SIZE=1000000] [REPLICAS=2]: scans, credentials and status lists
# per replica, cold and warm, with memory at rest and the staleness after a revocation.
DATABASE ?= sqlite
SIZE ?= 1000
bench-reads: $(BIN)/.installed
	bash scripts/system-deps.sh wrk
	$(BIN)/python bench/public_reads.py --database $(DATABASE) --size $(SIZE) $(if $(REPLICAS),--replicas $(REPLICAS))

# Certificates with their PDF per second, a job of 200 through the API, beside bare WeasyPrint; where a
# certificate's time goes; scans per second while a job of 1,000 renders.
# The console's pages with 20,000 certificates stored (issue 30): p50 and p95 of each.
bench-console: $(BIN)/.installed
	$(BIN)/python bench/console.py

# The whole catalogue (19,711 certificates) imported with PDFs (issue 30): dry run, import, memory; ~40 min.
bench-import: $(BIN)/.installed
	$(BIN)/python bench/imports.py

bench-issue: $(BIN)/.installed
	bash scripts/system-deps.sh wrk
	$(BIN)/python bench/issue.py

# Verify time per seal: the JavaScript verifier in Node beside the Python one, over the vectors.
# The scanner page in Chromium with a fake camera: code-to-verdict time, bytes on the wire, verify time.
bench-scanner: $(BIN)/.installed node_modules/.installed
	$(BIN)/python bench/scanner.py

bench-js: $(BIN)/.installed node_modules/.installed
	$(BIN)/python bench/verify_js.py

# Issue 28's figures: a recognition seal's size and QR version, its check in Python and in Node, the /c/ page
# and JSON with three recognitions beside none, and /scan checking them on the device.
bench-recognitions: $(BIN)/.installed node_modules/.installed
	$(BIN)/python bench/recognitions.py

# Issue 29's figures: issuance beside the code before the log, the log's bytes per 10,000 issuances, issuance
# to a checkpoint two witnesses cosigned (p99), the proof's size, tiles beside static bytes.
bench-log: $(BIN)/.installed
	bash scripts/system-deps.sh wrk
	$(BIN)/python bench/log.py

# The customs desk: 1,000 mixed items in one batch on one worker, verdicts against single checks, the report's PDF.
bench-batch: $(BIN)/.installed
	$(BIN)/python bench/batch.py

# Watches: a status change delivered to a local HTTPS receiver (p50/p99), and a receiver down for a minute.
bench-watches: $(BIN)/.installed
	$(BIN)/python bench/watches.py

# Memory of a live service at rest, after issuing, and after 1,000 verifications (from its /metrics).
bench-memory: $(BIN)/.installed
	$(BIN)/python bench/memory.py

# Issue 25's figures: the worst stamps' render time, a second issuer's wait beside ten jobs of 1,000,
# the memory of the server and its render workers after 500 and 5,000 certificates.
bench-hardening: $(BIN)/.installed
	$(BIN)/python bench/hardening.py

# The container image, built without a Docker daemon: buildah (chroot isolation) on a Debian base that
# scripts/base-image.sh makes here with debootstrap. `docker build .` works as well where Docker runs.
image:
	bash scripts/system-deps.sh buildah debootstrap
	bash scripts/base-image.sh $(BASE_IMAGE)
	buildah bud --isolation chroot --layers --format docker --build-arg BASE=$(BASE_IMAGE) \
		--secret id=ca,src=$(CA_BUNDLE) -t $(IMAGE) .
	@buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' $(IMAGE)

# The built image at work: the demo renders its PDFs inside it, then the service answers its health
# check, a scan and an issuance (make image-check PORT=8123 where 8000 is taken).
image-check: $(BIN)/.installed
	bash scripts/image-check.sh $(IMAGE) $(PORT)

# Regenerate the published test vectors and the spec's code tables (the suite checks they match the
# committed ones).
vectors: $(BIN)/.installed
	$(BIN)/python tests/vectors/generate.py
	$(BIN)/python -c "from verifier import spec; spec.write_tables()"

# The browser parts' npm packages (web/), exactly as package-lock.json has them; Node from Debian if missing.
node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || bash scripts/system-deps.sh $$(bash scripts/packages.sh web)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(BIN)/.installed: pyproject.toml scripts/system-deps.sh scripts/packages.txt
	bash scripts/system-deps.sh $(SYSTEM_PACKAGES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# Quietly: setuptools' notice on editable installs is for its developers, not for a first run.
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) node_modules .mypy_cache .pytest_cache .ruff_cache .hypothesis *.egg-info
