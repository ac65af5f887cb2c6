"""ASGI entry point: HTTP goes to Django, websockets to the Channels router.

The Django app is built first so that models are loaded before any consumer module imports them.
Once everything is loaded, the objects made so far are moved out of the garbage collector's reach
(`gc.freeze()`): they live as long as the process, and every full collection walked them again. Under
the member-page burst a worker ran a full collection every ~400 requests, each 175–270 ms of CPU
(a stall for every request in flight); frozen, 60–70 ms (issue 13).
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddleware, get_user  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402

from lms.classroom import batching  # noqa: E402
from lms.origins import SiteOriginValidator  # noqa: E402
from lms.routing import websocket_urlpatterns  # noqa: E402


class BatchedAuthMiddleware(AuthMiddleware):
    """Channels' login check (the same `get_user`: session, user, session-hash verification), but
    connections opening at the same moment share one trip to the database thread: 500 phones
    entering a live room at once made 500 trips before the first was admitted."""

    async def resolve_scope(self, scope):
        scope["user"]._wrapped = await batching.run(get_user.func, scope=scope)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SiteOriginValidator(
            CookieMiddleware(SessionMiddleware(BatchedAuthMiddleware(URLRouter(websocket_urlpatterns))))
        ),
    }
)

gc.collect()
gc.freeze()
