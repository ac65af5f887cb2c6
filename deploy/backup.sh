#!/usr/bin/env bash
# Back up the database and uploaded media into BACKUP_DIR (default /srv/lms/backups).
set -euo pipefail
set -a; . "${LMS_ENV_FILE:-/etc/lms/env}"; set +a
dir="${BACKUP_DIR:-/srv/lms/backups}/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$dir"
pg_dump --format=custom --file="$dir/db.dump" "$DATABASE_URL"
tar -C "$MEDIA_ROOT" -czf "$dir/media.tar.gz" .
echo "backup written to $dir"
