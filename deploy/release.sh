#!/usr/bin/env bash
# One release step on the server: install, build assets, migrate, collect static files.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . "${LMS_ENV_FILE:-/etc/lms/env}"; set +a
make install
.venv/bin/python manage.py migrate --no-input
.venv/bin/python manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true
.venv/bin/python manage.py collectstatic --no-input
