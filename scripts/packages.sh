#!/usr/bin/env bash
# The Debian packages of scripts/packages.txt needed where each argument says (run, test, image, build, web),
# one a line: `scripts/packages.sh run test` is what the host installs.
set -euo pipefail
list="$(dirname "$0")/packages.txt"
[ $# -gt 0 ] || { echo "usage: $0 run|test|image|build|web ..." >&2; exit 2; }
awk -v wanted="$*" '
    BEGIN { n = split(wanted, w, " "); for (i = 1; i <= n; i++) want[w[i]] = 1 }
    { sub(/#.*/, "") }
    NF >= 2 { for (i = 2; i <= NF; i++) if ($i in want) { print $1; break } }
' "$list"
