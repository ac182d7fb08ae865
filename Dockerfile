# verifier: the certificate-verification service in one image.
#
#   make image                 builds it here with buildah (no Docker daemon; the base made by debootstrap)
#   docker build -t verifier . anywhere Docker Hub is reachable (BASE defaults to debian:bookworm-slim)
#
#   docker run -p 8000:8000 -e VERIFIER_PUBLIC_URL=https://verify.example.org \
#     -v verifier-data:/var/lib/verifier/data -v verifier-keys:/var/lib/verifier/keys verifier
#
# Python is Debian's own 3.11 in both stages, so the virtual environment built in the first runs as is
# in the second; the second has no compiler, no pip cache and no package lists.
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
# Every stage installs its Debian packages from the one list the Makefile reads too (scripts/packages.txt).
COPY scripts/packages.txt scripts/packages.sh /tmp/packages/
# hadolint ignore=SC2046 # the list's words, one package each
RUN apt-get update \
    && apt-get install -y --no-install-recommends $(bash /tmp/packages/packages.sh build) \
    && rm -rf /var/lib/apt/lists/*
# Behind a TLS-inspecting proxy, pass its CA bundle as the build secret "ca" (make image does); it is
# mounted for these steps only and never stored in a layer.
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && python3 -m venv /opt/verifier \
    && /opt/verifier/bin/pip install --no-cache-dir --quiet --upgrade pip
WORKDIR /src
# The dependencies first, in a layer of their own: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && python3 -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && /opt/verifier/bin/pip install --no-cache-dir --quiet -r /tmp/requirements.txt
COPY README.md ./
COPY verifier ./verifier
COPY templates ./templates
COPY web ./web
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi \
    && /opt/verifier/bin/pip install --no-cache-dir --quiet --no-deps . \
    && /opt/verifier/bin/pip uninstall --yes --quiet pip setuptools \
    && find /opt/verifier -name '__pycache__' -prune -exec rm -rf {} + \
    && /opt/verifier/bin/python -m compileall -q /opt/verifier/lib

# The scanner page's npm packages (its QR decoder, the Ed25519 fallback), exactly as package-lock.json has them.
FROM ${BASE} AS web
COPY scripts/packages.txt scripts/packages.sh /tmp/packages/
# hadolint ignore=SC2046
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates $(bash /tmp/packages/packages.sh web) \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
    && npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM ${BASE}
# What the service needs to issue (scripts/packages.txt, `run`): pango and harfbuzz's subsetter for
# WeasyPrint, zbar for the QR self-test, and the fonts it embeds: Noto Sans CJK for Chinese (the serif
# faces are never used: 53 MB less), DejaVu for the rest. The list is deleted with the package caches.
COPY scripts/packages.txt scripts/packages.sh /tmp/packages/
# hadolint ignore=SC2046
RUN apt-get update \
    && apt-get install -y --no-install-recommends $(bash /tmp/packages/packages.sh run image) \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/packages \
    && rm -f /usr/share/fonts/opentype/noto/NotoSerifCJK-*.ttc \
    && fc-cache --force \
    && groupadd --gid 10001 verifier \
    && useradd --no-log-init --uid 10001 --gid verifier --home-dir /var/lib/verifier --no-create-home \
        --shell /usr/sbin/nologin verifier \
    && mkdir -p /var/lib/verifier/data /var/lib/verifier/keys \
    && chown -R verifier:verifier /var/lib/verifier \
    && chmod 0700 /var/lib/verifier/keys
COPY --from=build /opt/verifier /opt/verifier
COPY --from=web /src/node_modules /opt/verifier/node_modules
ENV PATH=/opt/verifier/bin:$PATH \
    VERIFIER_NODE_MODULES=/opt/verifier/node_modules \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VERIFIER_DATA_DIR=/var/lib/verifier/data \
    VERIFIER_KEYS_DIR=/var/lib/verifier/keys \
    VERIFIER_PORT=8000
WORKDIR /var/lib/verifier
VOLUME ["/var/lib/verifier/data", "/var/lib/verifier/keys"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['VERIFIER_PORT'], timeout=4).status != 200)"]
# The port is VERIFIER_PORT's: `docker run -e VERIFIER_PORT=9000 -p 9000:9000` moves the service and its check.
CMD ["verifier", "serve", "--host", "0.0.0.0"]
