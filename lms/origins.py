"""Which pages may open the site's websockets: the site's own origins, compared in full.

Channels' `AllowedHostsOriginValidator` compares only the host with ALLOWED_HOSTS, so a page served
from another port of the same host (`http://127.0.0.1:9999`, any other program on the machine or the
intranet server) could open a member's live room with the member's cookie. Here an origin is
accepted when its scheme, host and port are those of the connection itself (the Host header, which
must be one of ALLOWED_HOSTS, with http for ws and https for wss, as Django's CSRF check compares a
form's Origin), or one of CSRF_TRUSTED_ORIGINS (`https://*.example.com` matches subdomains there
too). Anything else, and a missing or opaque Origin, is refused before the application runs.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
WEB_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, or None if it is not an http(s) origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def own_origin(scope) -> tuple[str, str, int] | None:
    """The origin a page of this site has when it opens this connection (None if the Host header is
    missing or not one of ALLOWED_HOSTS)."""
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin1")
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = WEB_SCHEMES.get(scope.get("scheme") or "ws", "http")
    return _origin(f"{scheme}://{host}") if port.isdigit() or not port else None


def _trusted(origin: tuple[str, str, int]) -> bool:
    scheme, host, port = origin
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in trusted
        found = _origin(trusted.replace("://*.", "://", 1))
        if found is None or found[0] != scheme or found[2] != port:
            continue
        if host.endswith("." + found[1]) if wildcard else host == found[1]:
            return True
    return False


def origin_allowed(scope) -> bool:
    headers = dict(scope.get("headers") or [])
    origin = _origin(headers.get(b"origin", b"").decode("latin1"))
    if origin is None:
        return False
    return origin == own_origin(scope) or _trusted(origin)


class SiteOriginValidator:
    """ASGI middleware: websockets only from the site's own origins (see the module's note)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
