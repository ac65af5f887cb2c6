"""Reads about a live room: who is in it now, and the recent chat (for a returning participant)."""

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.classroom import media, services
from lms.classroom.models import ChatMessage, LiveRoom, Poll, PresenceInterval, RaisedHand, Terminal
from lms.classroom.services import PRESENCE_STALE_SECONDS, interval_end, member_minutes
from lms.compiled import CompiledQuery, Slot
from lms.people.selectors import loaded_with_user
from lms.scheduling.models import PUBLIC_STATUSES, EnrollmentStatus, Session

CHAT_HISTORY = 100
CHAT_FIELDS = (
    "text",
    "sent_at",
    "deleted_by_id",
    "author_id",
    "author__first_name",
    "author__last_name",
    "author__username",
)
ROLE_LABELS = {"teacher": _("Teacher"), "staff": _("Staff"), "terminal": _("Terminal"), "member": _("Member")}
ROLE_ORDER = {"teacher": 0, "staff": 1, "terminal": 2, "member": 3}


def _stage_rooms(stage: LiveRoom) -> dict[int, str]:
    """The stage room and its sub-classrooms, each with the label its participants are shown with
    (empty for the big room itself)."""
    labels = {stage.pk: ""}
    for room in LiveRoom.objects.filter(parent=stage).select_related("session__training_class__school"):
        labels[room.pk] = room.session.training_class.school.title
    return labels


def participants(stage: LiveRoom, user_id: int | None = None, user_ids=None) -> list[dict]:
    """Everyone with an open connection to the stage or a sub-classroom following it, once each:
    present if any of their connections is. With `user_id` (or `user_ids`), only those people."""
    rooms = _stage_rooms(stage)
    alive = timezone.now() - timedelta(seconds=PRESENCE_STALE_SECONDS)
    intervals = PresenceInterval.objects.filter(
        room__in=rooms, ended_at__isnull=True, seen_at__gte=alive
    ).select_related("user")
    if user_id is not None:
        intervals = intervals.filter(user_id=user_id)
    if user_ids is not None:
        intervals = intervals.filter(user_id__in=list(user_ids))
    people: dict[int, dict] = {}
    for interval in intervals:
        entry = people.setdefault(
            interval.user_id,
            {
                "id": interval.user_id,
                "name": interval.user.get_full_name() or interval.user.get_username(),
                "role": interval.role,
                "classroom": rooms[interval.room_id],
                "state": interval.state,
            },
        )
        if interval.state == "present":
            entry["state"] = "present"
    return sorted(people.values(), key=lambda p: (ROLE_ORDER.get(p["role"], 9), p["classroom"], p["name"]))


def participant_changes(stage_id: int, user_ids) -> list[dict]:
    """Each of these people's entry now, or None for those who left (what moderators are sent)."""
    entries = {entry["id"]: entry for entry in participants(LiveRoom(pk=stage_id), user_ids=user_ids)}
    return [{"id": user_id, "participant": entries.get(user_id)} for user_id in sorted(user_ids)]


def room_state(stage: LiveRoom, *, moderator: bool) -> dict:
    """What a participant needs on entering (or returning): chat, its mute, hands, the poll, who
    sends video; and for moderators the participant list."""
    room = (
        LiveRoom.objects.filter(pk=stage.pk)
        .select_related("publisher")
        .only(
            "chat_muted",
            "publisher_connection",
            "publisher_source",
            "publisher__first_name",
            "publisher__last_name",
            "publisher__username",
        )
        .get()
    )
    return {
        "participants": participants(stage) if moderator else [],
        "chat": chat_history(stage),
        "chat_muted": room.chat_muted,
        "hands": hands(stage),
        "poll": current_poll(stage),
        "publisher": media.publisher_payload(room),
    }


def chat_payload(message: ChatMessage) -> dict:
    return {
        "id": message.pk,
        "author": message.author.get_full_name() or message.author.get_username(),
        "author_id": message.author_id,
        "text": "" if message.deleted_by_id else message.text,
        "deleted": bool(message.deleted_by_id),
        "sent_at": message.sent_at.isoformat(),
    }


def chat_history(room: LiveRoom) -> list[dict]:
    messages = (
        ChatMessage.objects.filter(room=room)
        .select_related("author")
        .only(*CHAT_FIELDS)
        .order_by("-sent_at", "-id")
    )
    return [chat_payload(message) for message in reversed(messages[:CHAT_HISTORY])]


def hands(room: LiveRoom) -> list[dict]:
    """The raised hands in the order raised (the teacher's queue)."""
    return [
        {"id": hand.user_id, "name": hand.user.get_full_name() or hand.user.get_username()}
        for hand in RaisedHand.objects.filter(room=room).select_related("user")
    ]


def poll_payload(poll: Poll | None) -> dict | None:
    if poll is None:
        return None
    counts = dict(poll.votes.values_list("choice").annotate(total=Count("pk")))
    return {
        "id": poll.pk,
        "question": poll.question,
        "options": poll.options,
        "counts": [counts.get(index, 0) for index in range(len(poll.options))],
        "open": poll.closed_at is None,
    }


def current_poll(room: LiveRoom) -> dict | None:
    """The open poll, else the latest closed one (its results stay up)."""
    return poll_payload(Poll.objects.filter(room=room).order_by("-opened_at", "-id").first())


def presence_timeline(room: LiveRoom, until) -> list[dict]:
    """Each participant's stretches in the room and away, placed on the session's time line (left and
    width in % of the session, for drawing), with the minutes they count for."""
    session = room.session
    start, end = session.starts_at, session.ends_at
    length = (end - start).total_seconds()
    rows: dict[int, dict] = {}
    for interval in (
        PresenceInterval.objects.filter(room=room).select_related("user").order_by("started_at", "id")
    ):
        row = rows.setdefault(
            interval.user_id,
            {
                "user": interval.user,
                "name": interval.user.get_full_name() or interval.user.get_username(),
                "role": interval.role,
                "role_label": ROLE_LABELS.get(interval.role, ""),
                "spans": [],
            },
        )
        stop = interval_end(interval, until)
        low, high = max(interval.started_at, start), min(stop, end)
        row["spans"].append(
            {
                "state": interval.state,
                "from": interval.started_at,
                "until": interval.ended_at,
                "left": round(max(0.0, (low - start).total_seconds() / length * 100), 2),
                "width": round(max(0.0, (high - low).total_seconds() / length * 100), 2),
            }
        )
    for user_id, row in rows.items():
        row["minutes"] = member_minutes(room, user_id, until)
    return sorted(rows.values(), key=lambda r: (ROLE_ORDER.get(r["role"], 9), r["name"]))


def terminal_of(user) -> Terminal | None:
    """The user's terminal login (a township screen), or None; no query when it was loaded with the
    user (lms.people.backends)."""
    if loaded_with_user(user, "classroom_terminal"):
        return getattr(user, "classroom_terminal", None)
    return Terminal.objects.filter(user=user).first()


def _live_today(user_id, township_id, now, end_of_day) -> QuerySet[Session]:
    who = Q(
        training_class__enrollments__member__user_id=user_id,
        training_class__enrollments__status=EnrollmentStatus.ENROLLED,
    )
    who |= Q(teacher__user_id=user_id)
    if township_id is not None:
        who |= Q(training_class__school_id=township_id)
    return (
        Session.objects.filter(
            who,
            delivery__in=services.LIVE_DELIVERIES,
            training_class__status__in=PUBLIC_STATUSES,
            ends_at__gt=now,
            starts_at__lte=end_of_day,
        )
        .exclude(live_room__ended_at__isnull=False)
        .select_related("training_class", "teacher")
        .distinct()
        .order_by("starts_at")
    )


def _compiled_live_today(terminal: bool) -> CompiledQuery:
    return CompiledQuery(
        lambda s: _live_today(s.user, s.township if terminal else None, s.now, s.end_of_day),
        Slot("user", -774_000_301),
        *([Slot("township", -774_000_302)] if terminal else []),
        Slot("now", datetime(2001, 2, 3, 4, 5, 6, 789_301, tzinfo=UTC)),
        Slot("end_of_day", datetime(2001, 2, 3, 4, 5, 6, 789_302, tzinfo=UTC)),
    )


# On every home page: compiled once per process (lms/compiled.py); a terminal's has its township too.
_LIVE_TODAY = {terminal: _compiled_live_today(terminal) for terminal in (False, True)}


def live_sessions_today(user, now=None) -> list[dict]:
    """Today's live sessions the user takes part in and that have not ended, the soonest first, each
    with whether its room is open yet: a member's classes, a teacher's lectures, a terminal's
    township (for the home page's "live now" card)."""
    now = now or timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59)
    terminal = terminal_of(user)
    values = {"user": user.pk, "now": now, "end_of_day": end_of_day}
    if terminal is not None:
        values["township"] = terminal.township_id
    sessions = _LIVE_TODAY[terminal is not None].all(**values)
    return [{"session": session, "open": now >= services.room_opens_at(session)} for session in sessions]
