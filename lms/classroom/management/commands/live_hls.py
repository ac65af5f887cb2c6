"""`manage.py live_hls`: the live HLS supervisor (lms/classroom/live_hls.py). One per site (it holds a
lock in LIVE_HLS_ROOT), on the machine whose LIVE_HLS_ROOT nginx serves: it watches the live rooms
whose video goes through Janus, starts one ffmpeg per room with a publisher (Janus forwards the
publisher's RTP to it), follows a change of publisher, starts a crashed or silent ffmpeg again and
removes the files of rooms gone. Run it as a service (deploy/lms-live-hls.service); SIGTERM stops
every ffmpeg it started."""

import logging
import shutil
import signal
import sys

from django.core.management.base import BaseCommand, CommandError

from lms.classroom import janus
from lms.classroom.live_hls import Supervisor


class Command(BaseCommand):
    help = "Run ffmpeg for every live room with a Janus publisher, writing live HLS into LIVE_HLS_ROOT."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between rounds")
        parser.add_argument("--ffmpeg", default="ffmpeg", help="the ffmpeg binary")
        parser.add_argument(
            "--stale-seconds",
            type=float,
            default=20,
            help="restart ffmpeg after this long without a new segment",
        )

    def handle(self, *args, **options):
        if not janus.enabled():
            raise CommandError("JANUS_URL is not set: there is no live video to forward.")
        if not shutil.which(options["ffmpeg"]):
            raise CommandError(f"{options['ffmpeg']} not found")
        log = logging.getLogger("lms.classroom.live_hls")  # what it does, to the service's journal
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
        signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
        supervisor = Supervisor(ffmpeg=options["ffmpeg"], stale_seconds=options["stale_seconds"])
        try:
            supervisor.lock()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"live HLS supervisor writing into {supervisor.root}", ending="\n")
        self.stdout.flush()
        supervisor.run(interval=options["interval"], stop=lambda: bool(stopping))
