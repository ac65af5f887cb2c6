#!/usr/bin/env sh
# Writes deploy/nginx.conf to standard output with the site's LIVE_HLS_SECRET in place of
# CHANGE-ME-LIVE_HLS_SECRET (the live HLS location's secure_link_md5): nginx then accepts exactly the
# signed URLs the app hands out (lms/classroom/live_hls.py signs with the same secret).
#   deploy/render-nginx.sh > /etc/nginx/sites-available/lms.conf && nginx -t && systemctl reload nginx
# The secret comes from the environment, else from LMS_ENV_FILE (default /etc/lms/env). It must be
# set (the app's fallback, derived from SECRET_KEY, is not known to nginx) and be URL-safe characters
# only (letters, digits, - and _), e.g. python3 -c "import secrets; print(secrets.token_urlsafe(32))".
# Used by docker-compose.yml's nginx as well (input: RENDER_NGINX_SOURCE).
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
source_conf="${RENDER_NGINX_SOURCE:-$here/nginx.conf}"
if [ -z "${LIVE_HLS_SECRET:-}" ] && [ -r "${LMS_ENV_FILE:-/etc/lms/env}" ]; then
    LIVE_HLS_SECRET="$(sed -n 's/^LIVE_HLS_SECRET=//p' "${LMS_ENV_FILE:-/etc/lms/env}" | tail -n 1)"
fi
case "${LIVE_HLS_SECRET:-}" in
    "" | CHANGE-ME* | change-me*)
        echo "render-nginx.sh: LIVE_HLS_SECRET is not set (the same value as in the app's environment)" >&2
        exit 1 ;;
    *[!A-Za-z0-9_-]*)
        echo "render-nginx.sh: LIVE_HLS_SECRET may only hold letters, digits, - and _" >&2
        exit 1 ;;
esac
grep -q "CHANGE-ME-LIVE_HLS_SECRET" "$source_conf" || {
    echo "render-nginx.sh: $source_conf has no CHANGE-ME-LIVE_HLS_SECRET to fill in" >&2
    exit 1
}
sed "s/CHANGE-ME-LIVE_HLS_SECRET/$LIVE_HLS_SECRET/" "$source_conf"
