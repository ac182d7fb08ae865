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
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
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
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
    && npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM ${BASE}
# What WeasyPrint needs to draw a certificate (pango, harfbuzz's subsetter: five times slower without
# it) and the fonts it embeds: Noto Sans CJK for Chinese (the serif faces are never used: 53 MB less),
# DejaVu for the rest.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates fontconfig \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
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
    VERIFIER_KEYS_DIR=/var/lib/verifier/keys
WORKDIR /var/lib/verifier
VOLUME ["/var/lib/verifier/data", "/var/lib/verifier/keys"]
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python3", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["verifier", "serve", "--host", "0.0.0.0", "--port", "8000"]
