"""Reads about a live room: who is in it now, and the recent chat (for a returning participant)."""

from lms.classroom.models import ChatMessage, LiveRoom, PresenceInterval

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
