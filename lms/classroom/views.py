"""The live room's page (phone first): video area, participants, chat, hands and the poll. The page
talks to /ws/classroom/<session id>/ (see consumers.py) from lms/static/lms/classroom.js."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from lms.classroom import janus, services
from lms.scheduling.models import Session


@login_required
def live_room(request, session_id: int):
    session = get_object_or_404(Session.objects.select_related("training_class", "teacher"), pk=session_id)
    try:
        room, role = services.room_enter(user=request.user, session=session)
    except PermissionDenied as refused:
        return render(
            request, "classroom/refused.html", {"session": session, "message": str(refused)}, status=403
        )
    context = {
        "session": session,
        "room": room,
        "role": role,
        # A sub-classroom's staff follow the big classroom; only its own teacher and staff moderate.
        "moderator": role in services.MODERATORS and room.parent_id is None,
        "viewer_limit": settings.CLASSROOM_MESH_VIEWERS,
        "media_server": janus.enabled(),  # video through Janus: its client scripts are loaded
    }
    return render(request, "classroom/room.html", context)
