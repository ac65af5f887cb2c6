"""Writes about live rooms: who may enter, presence as it changes, and live attendance at the end.

The websocket consumer calls these for every join, leave and change of focus; `room_end` and the
end-of-session sweep turn each enrolled member's presence into an attendance record (source
"live classroom") with the minutes actually present, away time excluded. Ending a class never fails
for everyone because of one participant's odd record: intervals are clamped (one that claims to start
after the end closes where it starts) and each member is credited on their own."""

import logging
import time
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CitySchoolPage, TeachingPointPage, TownshipSchoolPage
from lms.attendance.services import attendance_credit_live
from lms.classroom import janus
from lms.classroom.minutes import present_minutes
from lms.classroom.models import (
    ChatMessage,
    LiveRoom,
    MediaMode,
    Poll,
    PollVote,
    PresenceInterval,
    PresenceState,
    RaisedHand,
    RoomRemoval,
    Terminal,
)
from lms.people.models import Member
from lms.people.roles import STAFF_ROLES
from lms.people.selectors import is_org_dept, member_profile
from lms.scheduling.models import PUBLIC_STATUSES, Delivery, Enrollment, EnrollmentStatus, Session
from lms.scheduling.selectors import can_manage_class, can_schedule_at, schools_for_user
from lms.vod.services import recording_start_after_class

User = get_user_model()
logger = logging.getLogger(__name__)
LIVE_DELIVERIES = (Delivery.LIVE, Delivery.HYBRID)
PING_SECONDS = 30  # clients ping this often…
PRESENCE_STALE_SECONDS = 90  # …and a connection silent this long is gone


class NoSuchRoom(PermissionDenied):
    """A refusal because there is no live room to enter: no such session, or one not taught live."""


def is_live(session: Session) -> bool:
    return session.delivery in LIVE_DELIVERIES and session.training_class.status in PUBLIC_STATUSES


def room_opens_at(session: Session) -> datetime:
    return session.starts_at - timedelta(minutes=settings.CLASSROOM_OPENS_MINUTES)


def participant_role(user, session: Session) -> str | None:
    """How the user takes part in the session's room — teacher, staff, terminal or member — or None
    if they may not enter (everyone else, including members of other classes)."""
    if not user.is_authenticated:
        return None
    if session.teacher_id and session.teacher.user_id == user.pk:
        return "teacher"
    if is_org_dept(user) or can_manage_class(user, session.training_class):
        return "staff"
    if Terminal.objects.filter(user=user, township_id=session.training_class.school_id).exists():
        return "terminal"
    member = member_profile(user)
    if (
        member
        and member.enrollments.filter(
            training_class_id=session.training_class_id, status=EnrollmentStatus.ENROLLED
        ).exists()
    ):
        return "member"
    return None


def room_enter(*, user, session: Session, now: datetime | None = None) -> tuple[LiveRoom, str]:
    """The session's room and the user's role in it, or PermissionDenied saying why not."""
    now = now or timezone.now()
    if not is_live(session):
        raise NoSuchRoom(_("This session is not taught live."))
    role = participant_role(user, session)
    if role is None:
        raise PermissionDenied(_("Only the class's members, its teacher and staff may enter this room."))
    room, _created = LiveRoom.objects.select_related("parent").get_or_create(session=session)
    if room.ended_at is not None or (room.parent_id and room.parent.ended_at is not None):
        raise PermissionDenied(_("The teacher has ended this class."))
    if RoomRemoval.objects.filter(room=room, user=user).exists():
        raise PermissionDenied(_("The teacher or staff removed you from this class."))
    if role in ("member", "terminal") and now < room_opens_at(session):
        raise PermissionDenied(
            _("The room opens at %(time)s.")
            % {"time": timezone.localtime(room_opens_at(session)).strftime("%H:%M")}
        )
    if role == "member" and now >= session.ends_at:
        raise PermissionDenied(_("This session has ended."))
    return room, role


# The session, its class and its room as of a few seconds ago, per process: 500 phones entering at
# once read them once. What can change during a class and must hold at once (the end, a removal)
# is read fresh on every entry (`room_admit`).
ROOM_FACTS_SECONDS = 10
_room_facts: dict[int, tuple[float, Session, LiveRoom | None]] = {}


def room_facts_forget(session_id: int | None = None) -> None:
    """Drop this process's copy (of one session, or all): after linking sub-classrooms, in tests."""
    if session_id is None:
        _room_facts.clear()
    else:
        _room_facts.pop(session_id, None)


def _facts(session_id: int) -> tuple[Session, LiveRoom | None]:
    cached = _room_facts.get(session_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1], cached[2]
    session = Session.objects.select_related("training_class", "teacher").filter(pk=session_id).first()
    if session is None:
        raise NoSuchRoom(_("There is no such session."))
    room = LiveRoom.objects.select_related("parent").filter(session=session).first()
    _room_facts[session_id] = (time.monotonic() + ROOM_FACTS_SECONDS, session, room)
    return session, room


def room_admit(*, user, session_id: int, now: datetime | None = None) -> tuple[LiveRoom, str]:
    """`room_enter` for the websocket, in one query per entry: the same rules and refusals, with
    the session and room from this process's copy and the person's facts (may they be staff, a
    terminal of the township, enrolled; removed; the room ended) read together."""
    now = now or timezone.now()
    session, room = _facts(session_id)
    if not is_live(session):
        raise NoSuchRoom(_("This session is not taught live."))
    training_class = session.training_class
    person = User.objects.filter(pk=user.pk).annotate(
        maybe_staff=Exists(
            User.groups.through.objects.filter(
                user_id=OuterRef("pk"), group__name__in=[role.value for role in STAFF_ROLES]
            )
        ),
        terminal=Exists(
            Terminal.objects.filter(user_id=OuterRef("pk"), township_id=training_class.school_id)
        ),
        enrolled=Exists(
            Enrollment.objects.filter(
                member__user_id=OuterRef("pk"),
                training_class_id=training_class.pk,
                status=EnrollmentStatus.ENROLLED,
            )
        ),
    )
    if room is not None:
        ended = LiveRoom.objects.filter(pk__in=[room.pk, room.parent_id or room.pk], ended_at__isnull=False)
        person = person.annotate(
            removed=Exists(RoomRemoval.objects.filter(room_id=room.pk, user_id=OuterRef("pk"))),
            ended=Exists(ended),
        )
    facts = person.values(*(["maybe_staff", "terminal", "enrolled"] + (["removed", "ended"] if room else [])))
    facts = facts.first() or {}
    if session.teacher_id and session.teacher.user_id == user.pk:
        role = "teacher"
    elif (user.is_superuser or facts.get("maybe_staff")) and (
        is_org_dept(user) or can_manage_class(user, training_class)
    ):
        role = "staff"
    elif facts.get("terminal"):
        role = "terminal"
    elif facts.get("enrolled"):
        role = "member"
    else:
        raise PermissionDenied(_("Only the class's members, its teacher and staff may enter this room."))
    if room is None:
        room, _created = LiveRoom.objects.select_related("parent").get_or_create(session=session)
        room_facts_forget(session_id)
        facts.update(
            removed=RoomRemoval.objects.filter(room=room, user=user).exists(),
            ended=room.ended_at is not None or (room.parent_id and room.parent.ended_at is not None),
        )
    if facts["ended"]:
        raise PermissionDenied(_("The teacher has ended this class."))
    if facts["removed"]:
        raise PermissionDenied(_("The teacher or staff removed you from this class."))
    if role in ("member", "terminal") and now < room_opens_at(session):
        raise PermissionDenied(
            _("The room opens at %(time)s.")
            % {"time": timezone.localtime(room_opens_at(session)).strftime("%H:%M")}
        )
    if role == "member" and now >= session.ends_at:
        raise PermissionDenied(_("This session has ended."))
    return room, role


@transaction.atomic
def presence_set(
    *,
    room: LiveRoom,
    user,
    state: str | None,
    now: datetime | None = None,
    connection: str = "",
    role: str = "",
) -> None:
    """A connection's presence from now on: in the room, away, or gone (None). Closes that
    connection's open interval (each tab or reconnect is its own connection; minutes merge them)."""
    now = now or timezone.now()
    intervals_close(PresenceInterval.objects.filter(room=room, user=user, connection=connection), now)
    if state is not None:
        PresenceInterval.objects.create(
            room=room,
            user=user,
            connection=connection,
            role=role,
            state=PresenceState(state),
            started_at=now,
            seen_at=now,
        )


def intervals_close(intervals, now: datetime) -> int:
    """End the open ones of `intervals` at `now`. One that starts later (a server's clock ahead of
    this one's, a record moved by hand) ends where it starts and counts nothing, rather than breaking
    the rule that a presence cannot end before it starts."""
    still_open = intervals.filter(ended_at__isnull=True)
    closed = still_open.filter(started_at__gt=now).update(ended_at=F("started_at"))
    return closed + still_open.update(ended_at=now)


def presence_seen(*, connection: str, now: datetime | None = None) -> None:
    """The connection is alive (its client pings every half minute)."""
    PresenceInterval.objects.filter(connection=connection, ended_at__isnull=True).update(
        seen_at=now or timezone.now()
    )


def interval_end(interval: PresenceInterval, until: datetime) -> datetime:
    """Where an interval stops counting: its end, else now, but never long after the connection's last
    sign of life (a server that crashed could not close it)."""
    if interval.ended_at:
        return interval.ended_at
    return max(interval.started_at, min(until, interval.seen_at + timedelta(seconds=PRESENCE_STALE_SECONDS)))


def member_minutes(room: LiveRoom, user_id: int, until: datetime) -> int:
    """Minutes the user was in the room and not away, within the session."""
    session = room.session
    present, away = [], []
    for interval in PresenceInterval.objects.filter(room=room, user_id=user_id):
        span = (interval.started_at, interval_end(interval, until))
        (away if interval.state == PresenceState.AWAY else present).append(span)
    return present_minutes(present, away, (session.starts_at, min(session.ends_at, until)))


def live_attendance_close(*, room: LiveRoom, now: datetime | None = None) -> int:
    """Credit every enrolled member who was in the room with their minutes. Idempotent; returns how
    many records were written or kept."""
    now = now or timezone.now()
    session = room.session
    user_ids = PresenceInterval.objects.filter(room=room).values_list("user_id", flat=True).distinct()
    members = Member.objects.filter(
        user_id__in=user_ids,
        enrollments__training_class_id=session.training_class_id,
        enrollments__status=EnrollmentStatus.ENROLLED,
    )
    credited = 0
    for member in members:
        try:
            with transaction.atomic():  # a savepoint: one member's failure undoes only their own credit
                minutes = member_minutes(room, member.user_id, now)
                record = attendance_credit_live(session=session, member=member, minutes=minutes, now=now)
        except Exception:  # whatever one odd record causes, the others are still credited
            logger.exception("Live attendance of member %s in room %s not credited", member.pk, room.pk)
            continue
        credited += record is not None
    return credited


def room_end(*, actor, room: LiveRoom, now: datetime | None = None) -> int:
    """The teacher (or staff) ends the class: every presence closes and live attendance is credited,
    in the big classroom and in each sub-classroom following it."""
    if room.parent_id or participant_role(actor, room.session) not in MODERATORS:
        raise PermissionDenied(_("Only the teacher or staff may end the class."))
    return _room_close(room, now or timezone.now())


def _janus_room_end(room_id: int, session_id: int) -> None:
    """The Janus room goes (Janus closes its recording's files with it), then the recording becomes
    the session's video on demand (lms.vod). Neither raises."""
    janus.room_close(room_id)
    recording_start_after_class(room_id, session_id)


@transaction.atomic
def _room_close(room: LiveRoom, now: datetime) -> int:
    credited = 0
    for each in (
        LiveRoom.objects.select_for_update().filter(Q(pk=room.pk) | Q(parent_id=room.pk)).order_by("pk")
    ):
        if each.ended_at is None:
            each.ended_at = now
            each.save(update_fields=["ended_at"])
        if each.media == MediaMode.JANUS and each.parent_id is None:  # its Janus room goes, once committed
            transaction.on_commit(partial(_janus_room_end, each.pk, each.session_id), robust=True)
        intervals_close(PresenceInterval.objects.filter(room=each), now)
        credited += live_attendance_close(room=each, now=now)
    return credited


def rooms_sweep(*, now: datetime | None = None) -> list[LiveRoom]:
    """End the rooms nobody ended, CLASSROOM_SWEEP_GRACE_MINUTES after their session (so a class
    that runs over is not cut off), crediting attendance as the teacher's end would. Returns them
    (the caller tells any connection still open: sub-classrooms' are in their big room's group)."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CLASSROOM_SWEEP_GRACE_MINUTES)
    stale = list(
        LiveRoom.objects.filter(
            ended_at__isnull=True, parent__isnull=True, session__ends_at__lte=cutoff
        ).select_related("session__training_class")
    )
    ended = []
    for room in stale:  # sub-classrooms end with their big classroom
        try:
            _room_close(room, now)
        except Exception:  # one room that cannot be closed must not keep the others open
            logger.exception("Live room %s not swept", room.pk)
            continue
        ended.append(room)
    return ended


# --- Chat ------------------------------------------------------------------------------------------

CHAT_MAX_LENGTH = 500
MODERATORS = ("teacher", "staff")


def chat_post(*, room: LiveRoom, user, role: str, text: str, now: datetime | None = None) -> ChatMessage:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write something first."))
    if len(text) > CHAT_MAX_LENGTH:
        raise ValidationError(_("At most %(limit)s characters.") % {"limit": CHAT_MAX_LENGTH})
    if role not in MODERATORS and LiveRoom.objects.filter(pk=room.pk, chat_muted=True).exists():
        raise PermissionDenied(_("The teacher has muted the chat."))
    return ChatMessage.objects.create(room=room, author=user, text=text, sent_at=now or timezone.now())


def chat_delete(*, room: LiveRoom, role: str, actor, message_id: int) -> ChatMessage:
    if role not in MODERATORS:
        raise PermissionDenied(_("Only the teacher or staff may delete messages."))
    message = ChatMessage.objects.filter(room=room, pk=message_id).first()
    if message is None:
        raise ValidationError(_("There is no such message."))
    message.deleted_by = actor
    message.save(update_fields=["deleted_by"])
    return message


def chat_mute(*, room: LiveRoom, role: str, muted: bool) -> None:
    if role not in MODERATORS:
        raise PermissionDenied(_("Only the teacher or staff may mute the chat."))
    LiveRoom.objects.filter(pk=room.pk).update(chat_muted=muted)


# --- Hands, polls, removal -------------------------------------------------------------------------


def hand_raise(*, room: LiveRoom, user, now: datetime | None = None) -> None:
    """Raise the user's hand (again raising keeps their place in the queue)."""
    RaisedHand.objects.get_or_create(room=room, user=user, defaults={"raised_at": now or timezone.now()})


def hand_lower(*, room: LiveRoom, actor, role: str, user_id: int | None = None) -> None:
    """Lower one's own hand, or (teacher and staff) anyone's."""
    target = actor.pk if user_id is None else user_id
    if target != actor.pk and role not in MODERATORS:
        raise PermissionDenied(_("Only the teacher or staff may lower another's hand."))
    RaisedHand.objects.filter(room=room, user_id=target).delete()


POLL_OPTIONS_MAX = 8


@transaction.atomic
def poll_open(
    *, room: LiveRoom, role: str, question: str, options: list, now: datetime | None = None
) -> Poll:
    if role not in MODERATORS:
        raise PermissionDenied(_("Only the teacher or staff may open a poll."))
    question = (question or "").strip()
    texts = [option.strip() for option in options if isinstance(option, str) and option.strip()]
    if not question or len(question) > 200:
        raise ValidationError(_("A poll needs a question of at most 200 characters."))
    if not 2 <= len(texts) <= POLL_OPTIONS_MAX or len(texts) != len(options) or len(set(texts)) != len(texts):
        raise ValidationError(
            _("A poll needs 2 to %(limit)s different, non-empty options.") % {"limit": POLL_OPTIONS_MAX}
        )
    now = now or timezone.now()
    Poll.objects.filter(room=room, closed_at__isnull=True).update(closed_at=now)
    return Poll.objects.create(room=room, question=question, options=texts, opened_at=now)


def poll_close(*, room: LiveRoom, role: str, now: datetime | None = None) -> Poll | None:
    if role not in MODERATORS:
        raise PermissionDenied(_("Only the teacher or staff may close a poll."))
    poll = Poll.objects.filter(room=room, closed_at__isnull=True).first()
    if poll is not None:
        poll.closed_at = now or timezone.now()
        poll.save(update_fields=["closed_at"])
    return poll


def poll_vote(*, room: LiveRoom, user, choice) -> Poll:
    """Vote in the open poll (voting again changes the vote)."""
    poll = Poll.objects.filter(room=room, closed_at__isnull=True).first()
    if poll is None:
        raise ValidationError(_("No poll is open."))
    if not isinstance(choice, int) or isinstance(choice, bool) or not 0 <= choice < len(poll.options):
        raise ValidationError(_("Choose one of the poll's options."))
    PollVote.objects.update_or_create(poll=poll, user=user, defaults={"choice": choice})
    return poll


def participant_remove(
    *, stage: LiveRoom, actor, role: str, user_id: int, now: datetime | None = None
) -> None:
    """Teacher or staff remove someone from the class, for good: their connections are closed (by
    the consumer) and they cannot come back into this room. Their minutes so far still count."""
    if role not in MODERATORS:
        raise PermissionDenied(_("Only the teacher or staff may remove a participant."))
    rooms = LiveRoom.objects.filter(Q(pk=stage.pk) | Q(parent_id=stage.pk))
    joined = PresenceInterval.objects.filter(room__in=rooms, user_id=user_id).values_list(
        "room_id", flat=True
    )
    room_ids = set(joined)
    if not room_ids:
        raise ValidationError(_("That person is not in the room."))
    for room_id in room_ids:
        RoomRemoval.objects.get_or_create(
            room_id=room_id,
            user_id=user_id,
            defaults={"removed_by": actor, "removed_at": now or timezone.now()},
        )


# --- Sub-classrooms --------------------------------------------------------------------------------


@transaction.atomic
def sub_classroom_link(*, actor, big_session: Session, session: Session) -> LiveRoom:
    """A township's live session follows the city's big classroom: its members, staff and terminals
    get the big room's video, chat, hands and polls, while presence and attendance stay with the
    township session. Township staff link their own sessions; the city school may link any."""
    if not can_manage_class(actor, session.training_class):
        raise PermissionDenied(_("You may only link sessions of your own school's classes."))
    if not (is_live(big_session) and is_live(session)):
        raise ValidationError(_("Both sessions must be taught live and their classes published."))
    if big_session.pk == session.pk or big_session.training_class.school.specific_class is not CitySchoolPage:
        raise ValidationError(_("A big classroom is a live session of the city party school."))
    if session.training_class.school.specific_class is not TownshipSchoolPage:
        raise ValidationError(_("Only township schools' sessions can be sub-classrooms."))
    if session.starts_at >= big_session.ends_at or big_session.starts_at >= session.ends_at:
        raise ValidationError(_("The two sessions must overlap in time."))
    big_room, _created = LiveRoom.objects.get_or_create(session=big_session)
    room, _created = LiveRoom.objects.select_for_update().get_or_create(session=session)
    if big_room.ended_at or room.ended_at:
        raise ValidationError(_("That class has already ended."))
    if room.sub_rooms.exists():
        raise ValidationError(_("This session is itself a big classroom."))
    room.parent = big_room
    room.save(update_fields=["parent"])
    room_facts_forget(session.pk)
    return room


def sub_classroom_unlink(*, actor, session: Session) -> None:
    if not can_manage_class(actor, session.training_class):
        raise PermissionDenied(_("You may only link sessions of your own school's classes."))
    LiveRoom.objects.filter(session=session, ended_at__isnull=True).update(parent=None)
    room_facts_forget(session.pk)


# --- Terminals -------------------------------------------------------------------------------------


def terminals_for_user(user):
    """The terminals of the townships the user runs (the organization department: all)."""
    return Terminal.objects.filter(
        township__in=schools_for_user(user).type(TownshipSchoolPage)
    ).select_related("user", "township", "point")


def _terminal_place(actor, township, point):
    if township is None or township.specific_class is not TownshipSchoolPage:
        raise ValidationError({"township": _("Choose a township school.")})
    if not can_schedule_at(actor, township):
        raise PermissionDenied(_("You may only manage terminals of your own township."))
    if point is not None and (
        point.specific_class is not TeachingPointPage or not point.is_descendant_of(township)
    ):
        raise ValidationError({"point": _("Choose one of this township's teaching points.")})


@transaction.atomic
def terminal_create(*, actor, name: str, township, point=None, username: str, password: str) -> Terminal:
    """A screen's login: it may enter its township's live rooms (see participant_role)."""
    _terminal_place(actor, township, point)
    name, username = (name or "").strip(), (username or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the terminal a name, e.g. the place where it stands.")})
    if not username or User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This login name is taken; choose another.")})
    user = User(username=username, first_name=name[:150])
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return Terminal.objects.create(user=user, name=name, township=township, point=point)


@transaction.atomic
def terminal_update(
    *, actor, terminal: Terminal, name: str, point=None, password: str = "", active: bool = True
):
    _terminal_place(actor, terminal.township, point)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the terminal a name, e.g. the place where it stands.")})
    terminal.name, terminal.point = name, point
    terminal.save(update_fields=["name", "point"])
    user = terminal.user
    user.first_name, user.is_active = name[:150], active
    if password:
        validate_password(password, user)
        user.set_password(password)  # signs the terminal out everywhere
    user.save()
    return terminal


@transaction.atomic
def terminal_delete(*, actor, terminal: Terminal) -> None:
    _terminal_place(actor, terminal.township, None)
    terminal.user.delete()  # the terminal goes with its login; presence records keep nothing else
