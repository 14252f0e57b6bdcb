#!/usr/bin/env bash
# Renders OUT/report.html to OUT/report.png with headless Chromium (Debian's chromium), to look
# at the report as a reader would. Usage: scripts/render-report.sh OUT [WIDTH] [HEIGHT]
set -euo pipefail
out=${1:?usage: render-report.sh OUT [WIDTH] [HEIGHT]}
width=${2:-1400}
height=${3:-1100}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (apt-get install chromium)"; exit 77
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size="$width,$height" --screenshot="$out/report.png" "file://$(realpath "$out/report.html")" 2>/dev/null
echo "wrote $out/report.png"
