#!/usr/bin/env bash
# Refresh the vendored front-end libraries from the npm registry at the pinned versions below.
# Pages never load anything from the internet: these files are committed and served by the platform itself.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=yizheng/core/static/vendor
HTMX=2.0.11        # htmx.org: the maintained 2.x line
PICO=2.1.1         # @picocss/pico: small semantic CSS framework
ECHARTS=6.1.0      # echarts: charts for statistics pages
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() {  # package version file-in-package target
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
  local tgz
  tgz=$(ls "$work"/*.tgz)
  tar -xzf "$tgz" -C "$work" "package/$3"
  mkdir -p "$(dirname "$dest/$4")"
  cp "$work/package/$3" "$dest/$4"
  rm -rf "$work/package" "$tgz"
  echo "$1@$2 -> $dest/$4"
}
fetch htmx.org "$HTMX" dist/htmx.min.js htmx/htmx.min.js
fetch @picocss/pico "$PICO" css/pico.min.css pico/pico.min.css
fetch echarts "$ECHARTS" dist/echarts.min.js echarts/echarts.min.js
cat > "$dest/VERSIONS" <<V
htmx.org $HTMX
@picocss/pico $PICO
echarts $ECHARTS
V
