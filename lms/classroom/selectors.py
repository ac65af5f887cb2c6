"""Reads about a live room: who is in it now, and the recent chat (for a returning participant)."""

from django.db.models import Count

from lms.classroom.models import ChatMessage, LiveRoom, Poll, PresenceInterval, RaisedHand

CHAT_HISTORY = 100


def participants(room: LiveRoom) -> list[dict]:
    """Everyone with an open connection, once each: present if any of their connections is."""
    people: dict[int, dict] = {}
    for interval in PresenceInterval.objects.filter(room=room, ended_at__isnull=True).select_related("user"):
        entry = people.setdefault(
            interval.user_id,
            {
                "id": interval.user_id,
                "name": interval.user.get_full_name() or interval.user.get_username(),
                "role": interval.role,
                "state": interval.state,
            },
        )
        if interval.state == "present":
            entry["state"] = "present"
    return sorted(people.values(), key=lambda p: (p["role"] != "teacher", p["role"] != "staff", p["name"]))


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
    messages = ChatMessage.objects.filter(room=room).select_related("author").order_by("-sent_at", "-id")
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
