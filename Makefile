# The two commands: `make run` and `make test`. Both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the project needs at run time and for its tests: PostgreSQL for the suite's second
# database; pango, harfbuzz-subset (WeasyPrint is five times slower without it) and a CJK font for the
# PDFs; poppler-utils (pdffonts, pdftotext) for the PDF tests; chromium for the page's browser test.
SYSTEM_PACKAGES := ca-certificates postgresql libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
	fonts-noto-cjk fonts-dejavu-core poppler-utils chromium

.PHONY: run test lint typecheck unit bench bench-http bench-issue vectors clean

run: $(BIN)/.installed
	$(BIN)/verifier demo

test: $(BIN)/.installed lint typecheck unit

lint: $(BIN)/.installed
	$(BIN)/ruff check verifier tests bench
	$(BIN)/ruff format --check verifier tests bench

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/seal.py

# The scan endpoint under wrk, with 1,000 and 1,000,000 certificates stored (several minutes).
bench-http: $(BIN)/.installed
	bash scripts/system-deps.sh wrk
	$(BIN)/python bench/verify_http.py --cold

# Certificates with their PDF per second, a batch of 200 through the API, beside bare WeasyPrint.
bench-issue: $(BIN)/.installed
	$(BIN)/python bench/issue.py

# Regenerate the published test vectors (the suite checks they match the committed ones).
vectors: $(BIN)/.installed
	$(BIN)/python tests/vectors/generate.py

$(BIN)/.installed: pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh $(SYSTEM_PACKAGES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis *.egg-info
