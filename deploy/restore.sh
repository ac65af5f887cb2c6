#!/usr/bin/env bash
# Restore a backup made by backup.sh: ./restore.sh /srv/lms/backups/20260101-020000
set -euo pipefail
set -a; . "${LMS_ENV_FILE:-/etc/lms/env}"; set +a
dir="${1:?usage: restore.sh BACKUP_DIR}"
pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" "$dir/db.dump"
mkdir -p "$MEDIA_ROOT" && tar -C "$MEDIA_ROOT" -xzf "$dir/media.tar.gz"
echo "restored from $dir"
