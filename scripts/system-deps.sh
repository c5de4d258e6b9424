#!/usr/bin/env bash
# Debian packages the tests need: chromium for the browser tests (driven by Playwright, never a downloaded
# browser), CJK fonts so Chinese renders in screenshots and PDFs, gettext for translations.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v msgfmt >/dev/null || need+=(gettext)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing Debian packages: ${need[*]} — install them (sudo apt-get install ${need[*]}) and run again" >&2
  exit 1
fi
