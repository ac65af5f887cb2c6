"""Each existing per-session leave request becomes a request for that one session of its class,
covering it (with the member and the request's status copied onto the covered session)."""

from django.db import migrations


def forwards(apps, schema_editor):
    LeaveRequest = apps.get_model("attendance", "LeaveRequest")
    LeaveSession = apps.get_model("attendance", "LeaveSession")
    requests = LeaveRequest.objects.filter(session__isnull=False).select_related("session")
    batch = []
    for leave in requests.iterator(chunk_size=2000):
        leave.training_class_id = leave.session.training_class_id
        leave.scope = "session"
        leave.save(update_fields=["training_class", "scope"])
        batch.append(
            LeaveSession(
                leave=leave, session_id=leave.session_id, member_id=leave.member_id, status=leave.status
            )
        )
        if len(batch) >= 2000:
            LeaveSession.objects.bulk_create(batch)
            batch = []
    LeaveSession.objects.bulk_create(batch)


def backwards(apps, schema_editor):
    """Back to one request per session: a request's first covered session (a request covering
    several sessions keeps only its first one)."""
    LeaveRequest = apps.get_model("attendance", "LeaveRequest")
    LeaveSession = apps.get_model("attendance", "LeaveSession")
    for leave in LeaveRequest.objects.all().iterator():
        first = LeaveSession.objects.filter(leave=leave).order_by("session__starts_at").first()
        if first is None:
            leave.delete()
            continue
        leave.session_id = first.session_id
        leave.save(update_fields=["session"])


class Migration(migrations.Migration):
    dependencies = [("attendance", "0002_leave_scope")]

    operations = [migrations.RunPython(forwards, backwards)]
