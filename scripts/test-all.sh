#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint, migrations check, then every test on SQLite and on PostgreSQL
# (with Redis for cache and sessions). Screenshots from the browser tests land in artifacts/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${YIZHENG_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS=${YIZHENG_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

scripts/system-deps.sh --check-or-install

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== migrations are complete"
YIZHENG_DATA_DIR=$(mktemp -d) $PY manage.py makemigrations --check --dry-run

echo "== deploy checks in production mode"
YIZHENG_DATA_DIR=$(mktemp -d) YIZHENG_ENV=production SECRET_KEY="$($PY -c 'import secrets;print(secrets.token_urlsafe(64))')" \
  ALLOWED_HOSTS=example.org $PY manage.py check --deploy --fail-level WARNING

echo "== tests on SQLite"
$PY -m pytest -p no:cacheprovider "$@"

echo "== tests on PostgreSQL + Redis"
DATABASE_URL=$PG_URL REDIS_URL=$REDIS $PY -m pytest -p no:cacheprovider -m "not browser" "$@"
