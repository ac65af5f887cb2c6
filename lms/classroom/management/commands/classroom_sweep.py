"""`manage.py classroom_sweep`: end the live rooms nobody ended, CLASSROOM_SWEEP_GRACE_MINUTES after
their session, crediting live attendance as the teacher's "end the class" would, and closing any
connection still open. Run it from cron every few minutes (deploy/lms.cron); running it again
changes nothing."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management.base import BaseCommand

from lms.classroom.consumers import room_group
from lms.classroom.services import rooms_sweep


class Command(BaseCommand):
    help = "End live rooms whose session is over and credit their live attendance. Idempotent."

    def handle(self, *args, **options):
        rooms = rooms_sweep()
        layer = get_channel_layer()
        for room in rooms:
            stage = room.stage.pk  # the hub of each process serving the room reads which room it is
            async_to_sync(layer.group_send)(room_group(stage), {"type": "room.ended", "room": stage})
        self.stdout.write(f"{len(rooms)} live room(s) ended.")
