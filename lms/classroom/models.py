"""Live rooms of live and hybrid sessions, and the presence intervals that become attendance minutes.

A city big-classroom room may have township sub-classrooms (`parent`): their participants share the
big room's media, while presence and attendance are kept per sub-classroom's own session.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class MediaMode(models.TextChoices):
    MESH = "mesh", _("Browser to browser (small rooms)")
    JANUS = "janus", _("Media server (Janus)")


class LiveRoom(models.Model):
    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.CASCADE, related_name="live_room", verbose_name=_("session")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sub_rooms",
        verbose_name=_("big classroom followed"),
    )
    media = models.CharField(_("media"), max_length=8, choices=MediaMode.choices, default=MediaMode.MESH)
    chat_muted = models.BooleanField(_("chat muted"), default=False)
    # Who is sending video now (one publisher per room), from which connection, camera or screen.
    publisher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    publisher_connection = models.CharField(max_length=100, blank=True)
    publisher_source = models.CharField(max_length=8, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("live room")
        verbose_name_plural = _("live rooms")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="live_room_not_its_own_parent",
                violation_error_message=_("A live classroom cannot follow itself."),
            ),
            models.CheckConstraint(
                condition=Q(media__in=MediaMode.values),
                name="live_room_media_valid",
                violation_error_message=_("This is not a valid video mode."),
            ),
        ]

    def __str__(self):
        return str(self.session)

    @property
    def stage(self) -> "LiveRoom":
        """The room whose media, chat, hands and polls this room shares: its big classroom, or itself."""
        return self.parent if self.parent_id else self


class PresenceState(models.TextChoices):
    PRESENT = "present", _("In the room")
    AWAY = "away", _("Away (tab hidden or out of focus)")


class PresenceInterval(models.Model):
    """One stretch of one connection in a room: in the room, or away while connected. Open
    (`ended_at` empty) while it lasts."""

    room = models.ForeignKey(LiveRoom, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connection = models.CharField(_("connection"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=8, blank=True)  # teacher, staff or member
    state = models.CharField(_("state"), max_length=8, choices=PresenceState.choices)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    # Last sign of life of the connection (its pings). An interval a crashed server never closed
    # counts only until shortly after this.
    seen_at = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("presence interval")
        verbose_name_plural = _("presence intervals")
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["room", "user", "started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=PresenceState.values),
                name="presence_state_valid",
                violation_error_message=_("This is not a valid presence state."),
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="presence_ends_after_start",
                violation_error_message=_("A presence cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.state} {self.started_at:%H:%M}–{self.ended_at or ''}"


class ChatMessage(models.Model):
    """A chat line, kept so that a returning participant catches up; deleted lines keep who deleted."""

    room = models.ForeignKey(LiveRoom, on_delete=models.CASCADE, related_name="chat")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(_("message"), max_length=500)
    sent_at = models.DateTimeField(_("sent at"))
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["sent_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="chat_message_not_empty",
                violation_error_message=_("A chat message cannot be empty."),
            )
        ]

    def __str__(self):
        return self.text[:50]


class RaisedHand(models.Model):
    """A raised hand, in the order raised; lowered by its owner or the teacher."""

    room = models.ForeignKey(LiveRoom, on_delete=models.CASCADE, related_name="hands")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    raised_at = models.DateTimeField(_("raised at"))

    class Meta:
        verbose_name = _("raised hand")
        verbose_name_plural = _("raised hands")
        ordering = ["raised_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user"],
                name="one_raised_hand_per_user",
                violation_error_message=_("Your hand is already raised."),
            )
        ]

    def __str__(self):
        return f"{self.user_id} ✋"


class Poll(models.Model):
    """A quick single-choice poll the teacher opens and closes; results are live."""

    room = models.ForeignKey(LiveRoom, on_delete=models.CASCADE, related_name="polls")
    question = models.CharField(_("question"), max_length=200)
    options = models.JSONField(_("options"))
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["room"],
                condition=Q(closed_at__isnull=True),
                name="one_open_poll_per_room",
                violation_error_message=_("Another poll is still open in this classroom."),
            ),
        ]

    def __str__(self):
        return self.question


class PollVote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    choice = models.PositiveSmallIntegerField(_("choice"))

    class Meta:
        verbose_name = _("poll vote")
        verbose_name_plural = _("poll votes")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "user"],
                name="one_vote_per_poll_and_user",
                violation_error_message=_("You have already voted in this poll."),
            )
        ]

    def __str__(self):
        return f"{self.poll_id}: {self.choice}"


class MediaViewer(models.Model):
    """A connection receiving the publisher's video browser-to-browser; counted against the mesh
    viewer limit (CLASSROOM_MESH_VIEWERS) and released when the connection goes."""

    room = models.ForeignKey(LiveRoom, on_delete=models.CASCADE, related_name="media_viewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connection = models.CharField(max_length=100)
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room", "connection"],
                name="one_media_viewer_per_connection",
                violation_error_message=_("This screen is already receiving the video."),
            )
        ]

    def __str__(self):
        return f"{self.user_id} @ {self.room_id}"


class RoomRemoval(models.Model):
    """Someone the teacher or staff removed: they may not come back into this room."""

    room = models.ForeignKey(LiveRoom, on_delete=models.CASCADE, related_name="removals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    removed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("removal from a live room")
        verbose_name_plural = _("removals from live rooms")
        constraints = [
            models.UniqueConstraint(
                fields=["room", "user"],
                name="one_removal_per_room_and_user",
                violation_error_message=_("This person has already been removed from the classroom."),
            )
        ]

    def __str__(self):
        return f"{self.user_id} ✕ {self.room_id}"


class Terminal(models.Model):
    """终端: the login of a screen in a township sub-classroom or at a village teaching point. It may
    enter the live rooms of its township's classes (and so follow the big classroom they are linked
    to); its presence is shown, but it is not a member and gets no attendance."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="classroom_terminal",
        verbose_name=_("login"),
    )
    name = models.CharField(_("name"), max_length=100)
    township = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.PROTECT,
        related_name="terminals",
        verbose_name=_("township school"),
    )
    point = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="point_terminals",
        verbose_name=_("teaching point"),
        help_text=_("Where the screen stands, if at a village teaching point."),
    )

    class Meta:
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")
        ordering = ["township__path", "name"]

    def __str__(self):
        return self.name
