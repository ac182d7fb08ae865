#!/usr/bin/env bash
# The built image at work, without a Docker daemon: a container from it (buildah, chroot isolation) as
# the image's own non-root user with the data and keys folders mounted as its volumes would be;
# `verifier demo --no-serve` issues the demo certificates with their PDFs inside it (pango, the fonts, the
# QR self-test), `verifier verify` checks one offline, then the image's command serves and answers
# /healthz (which fails when anything issuance loads is missing), the HEALTHCHECK command, a scan, and
# an issuance through the API. With MEASURE=1, bench/memory.py then measures it.
#
#   scripts/image-check.sh [IMAGE] [PORT]     (default localhost/verifier:latest on port 8000)
#
# The container shares this machine's network (chroot isolation), so the port must be free.
set -euo pipefail
image=${1:-localhost/verifier:latest}
port=${2:-8000}
case $port in ''|*[!0-9]*) echo "image check: the port must be a number, got '$port'" >&2; exit 2 ;; esac
base=http://127.0.0.1:$port
if curl -s -o /dev/null "$base/"; then
    echo "image check: port $port is in use; stop what serves there first" >&2
    exit 1
fi
work=$(mktemp -d /var/tmp/verifier-image-check.XXXXXX)
mkdir -p "$work/data" "$work/keys"
chown 10001:10001 "$work/data" "$work/keys"
chmod 0700 "$work/keys"
container=$(buildah from --quiet "$image")
server=
cleanup() {
    if [ -n "$server" ]; then  # the server runs under buildah in a process group of its own
        kill -TERM -- "-$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    buildah rm "$container" >/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
admin=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
buildah config --env VERIFIER_PUBLIC_URL="$base" --env VERIFIER_ADMIN_TOKEN="$admin" --env VERIFIER_PORT="$port" \
    "$container"
# Our folders take the place of the image's two volumes, as `docker run -v` does. buildah run would
# otherwise mount its own copy of each declared volume as well, over ours or under it, in no fixed order.
buildah config --volume /var/lib/verifier/data- --volume /var/lib/verifier/keys- "$container"
if [ "${MEASURE:-0}" = 1 ]; then  # one client makes the 1,000 verifications
    buildah config --env VERIFIER_RATE_LIMIT=0 "$container"
fi
inside() {
    buildah run --isolation chroot --user 10001:10001 \
        --volume "$work/data:/var/lib/verifier/data" --volume "$work/keys:/var/lib/verifier/keys" \
        "$container" -- "$@"
}

echo "== demo inside the image"
inside verifier demo --no-serve | sed -n '1,/^$/p;/Demo certificates/,/^$/p'
demo=/var/lib/verifier/data/demo
inside verifier verify "$demo/zhejiang-made-kettle.pdf" --trust-list "$demo/trust-list.json" \
    --operator-key "$demo/operator.pub.pem" | head -3
echo "== the image's command: $(buildah inspect --format '{{.OCIv1.Config.Cmd}}' "$container")"
cmd=$(buildah inspect --format '{{range .OCIv1.Config.Cmd}}{{.}} {{end}}' "$container")
# shellcheck disable=SC2086 # the command's words, as the image gives them
setsid bash -c "$(declare -f inside); work=$work container=$container; inside $cmd" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "$base/healthz"; echo
# The HEALTHCHECK as Docker runs it: CMD followed by the command's words.
mapfile -t health < <(buildah inspect --format '{{range .Docker.Config.Healthcheck.Test}}{{println .}}{{end}}' "$container")
[ "${health[0]}" = CMD ] || { echo "unexpected HEALTHCHECK: ${health[*]}" >&2; exit 1; }
inside "${health[@]:1}" || { echo "HEALTHCHECK: unhealthy" >&2; exit 1; }
echo "HEALTHCHECK: healthy"
code=$(cut -d/ -f5 "$work/data/demo/zhejiang-made-kettle.qr.txt")
curl -fsS -H 'Accept: application/json' "$base/c/$code" | python3 -c \
    'import json, sys; v = json.load(sys.stdin); print("scan:", v["verdict"]); sys.exit(v["verdict"] != "valid")'
echo "== an issuance through the API"
issuer=$(curl -fsS -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"id": "image-check", "name": "镜像检查", "name_en": "Image check"}' "$base/api/v1/issuers" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
# The kettle of the demo, dated around today and without a number, as the image's own package gives it.
body=$(inside python3 -c 'import datetime, json; from verifier.demo.certificates import example
print(json.dumps(example("zhejiang-made-kettle", datetime.date.today()), ensure_ascii=False))')
answer=$(curl -sS -w '\n%{http_code}' -X POST -H "Authorization: Bearer $issuer" \
    -H 'Content-Type: application/json' --data-binary "$body" "$base/api/v1/certificates")
[ "${answer##*$'\n'}" = 201 ] || { echo "issuance: ${answer:0:600}" >&2; exit 1; }
echo "${answer%$'\n'*}" | python3 -c \
    'import json, sys; c = json.load(sys.stdin); print("issued:", c["number"], c["status"], "PDF", c["pdf_sha256"][:16])'
head -c 300 "$work/server.log"; echo
if [ "${MEASURE:-0}" = 1 ]; then
    "${PYTHON:-.venv/bin/python}" bench/memory.py --url "$base" --admin-token "$admin"
fi
echo "image check: passed"
