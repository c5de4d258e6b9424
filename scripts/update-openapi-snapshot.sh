#!/usr/bin/env bash
# Refresh docs/openapi.json, the committed snapshot of the API's OpenAPI document, after an intended API change.
# yizheng/core/tests/test_openapi.py fails while the generated document and the snapshot differ, so every API
# change shows up in review as a diff of this file.
set -euo pipefail
cd "$(dirname "$0")/.."
python=.venv/bin/python
[ -x "$python" ] || python=python3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
YIZHENG_DATA_DIR="$scratch" DJANGO_SETTINGS_MODULE=config.settings.test "$python" - <<'PY'
import django

django.setup()

from pathlib import Path

from config.api import api
from yizheng.core.api import openapi_snapshot

Path("docs/openapi.json").write_text(openapi_snapshot(api), encoding="utf-8")
print("docs/openapi.json updated")
PY
