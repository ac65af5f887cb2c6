#!/usr/bin/env bash
# Start one uvicorn worker process on PORT (run several, behind nginx). Reads /etc/lms/env.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a; . "${LMS_ENV_FILE:-/etc/lms/env}"; set +a
exec .venv/bin/uvicorn lms.asgi:application --host 127.0.0.1 --port "${PORT:-8001}" \
  --proxy-headers --forwarded-allow-ips 127.0.0.1 --lifespan off \
  --ws-max-size 262144
# --ws-max-size: a websocket frame over 256 KiB closes the connection (1009) before the app reads it;
# the live room takes at most 80,000 characters (lms/classroom/guard.py), 16 MiB was uvicorn's default.
