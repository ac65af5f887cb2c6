#!/usr/bin/env bash
# Start one background worker (django-tasks-db): exports, SMS delivery. Reads /etc/lms/env.
# QUEUES: "*" (everything, the default), "default" (short work) or "exports" (county-size
# spreadsheets); run one worker per queue so a long export never delays a text message.
# SIGTERM lets the task in hand finish first (a second SIGTERM stops at once).
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . "${LMS_ENV_FILE:-/etc/lms/env}"; set +a
exec .venv/bin/python manage.py db_worker --queue-name "${QUEUES:-*}" --no-reload --interval "${INTERVAL:-1}"
