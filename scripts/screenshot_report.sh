#!/usr/bin/env bash
# Render a report HTML file to a PNG in headless Chromium, with every network path switched off,
# to check by eye that it renders offline (charts, Chinese text, layout).
#   scripts/screenshot_report.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]
# Needs chromium (Debian: apt-get install -y chromium) and a CJK font (fonts-wqy-microhei or
# fonts-noto-cjk), else Chinese shows as boxes.
set -euo pipefail
html=${1:?usage: $0 REPORT.html [OUT.png] [WIDTHxHEIGHT]}
out=${2:-${html%.html}.png}
size=${3:-1100x4200}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [[ -z "$browser" ]]; then
  echo "no chromium found: apt-get install -y chromium" >&2
  exit 2
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --no-first-run --disable-sync --disable-extensions \
  --user-data-dir="$profile" --hide-scrollbars --window-size="${size/x/,}" \
  --screenshot="$(realpath -m "$out")" "file://$(realpath "$html")" >/dev/null 2>&1
echo "$out"
