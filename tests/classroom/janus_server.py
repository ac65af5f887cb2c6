"""A private Janus media server for tests: a generated configuration directory, free ports, secrets.

`start_janus()` writes the configuration into a temporary directory and runs `janus -F <dir>`:
- HTTP API (Django's calls, and long-poll clients) and WebSocket API (the browsers) on free ports,
  both on 127.0.0.1; the admin API on a free port with its own secret;
- `api_secret` on every request and `token_auth` with signed tokens (`token_auth_secret`): a request
  without the API secret needs a token Django signed, which expires;
- the VideoRoom plugin with an `admin_key`, so only Django creates rooms; no static rooms;
- only the plugins and transports used (VideoRoom; HTTP and WebSockets), no event handlers.

Janus checks a token's expiry on its own clock. By default it runs on the test's (frozen) clock
through faketime, as uvicorn does through time-machine; a test where browsers connect to it runs at
the real time instead (it moves the test's clock there first, so no faketime is needed), because
Chromium's DTLS certificate lasts 30 days and Janus would find it expired on a clock a month ahead.

`start_janus_instances(n)` starts n such servers, each with its own ports and secrets (the city's and
townships' instances of the cascade); `instances_setting` describes all but the first as
JANUS_INSTANCES, the first being the default instance (JANUS_URL).

The test skips without the `janus` binary (fails under REQUIRE_SERVICES=1, as tests/services.py).
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

import time_machine

from tests.clock import SHIFT_ENV, shift_env
from tests.servers import free_port
from tests.services import need

JANUS_LIBS = Path("/usr/lib/x86_64-linux-gnu/janus")
PLUGINS_USED = {"libjanus_videoroom.so"}
TRANSPORTS_USED = {"libjanus_http.so", "libjanus_websockets.so"}
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"  # Debian's faketime


def need_janus() -> str:
    found = shutil.which("janus")
    need(bool(found), "Janus is not installed (apt-get install janus janus-tools)")
    return found


@dataclass
class JanusServer:
    directory: Path
    http_port: int
    ws_port: int
    admin_port: int
    api_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    token_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    admin_key: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    admin_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    process: subprocess.Popen | None = None
    clock_shift: int = 0  # seconds Janus's clock is ahead of the real one (the test's clock, if faked)
    follow_test_clock: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/janus"

    @property
    def public_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/admin"

    @property
    def log(self) -> Path:
        return self.directory / "janus.log"

    def now(self) -> float:
        """The time as Janus sees it (which decides whether a token has expired)."""
        real = (
            time_machine.escape_hatch.time.time()
            if time_machine.escape_hatch.is_travelling()
            else time.time()
        )
        return real + self.clock_shift

    def settings(self) -> dict:
        """The Django settings (and environment variables, same names) that point at this server."""
        return {
            "JANUS_URL": self.url,
            "JANUS_PUBLIC_URL": self.public_url,
            "JANUS_API_SECRET": self.api_secret,
            "JANUS_TOKEN_SECRET": self.token_secret,
            "JANUS_ADMIN_KEY": self.admin_key,
        }

    def instance(self, townships: list) -> dict:
        """This server as one entry of JANUS_INSTANCES, serving those townships (page ids or slugs)."""
        return {
            "url": self.url,
            "public_url": self.public_url,
            "api_secret": self.api_secret,
            "token_secret": self.token_secret,
            "admin_key": self.admin_key,
            "townships": list(townships),
            "rtp_host": "127.0.0.1",
        }

    def write_config(self) -> None:
        unused = lambda folder, used: ",".join(  # noqa: E731
            sorted(p.name for p in (JANUS_LIBS / folder).glob("*.so") if p.name not in used)
        )
        empty = self.directory / "none"
        empty.mkdir(exist_ok=True)
        files = {
            "janus.jcfg": f"""
general: {{
    configs_folder = "{self.directory}"
    plugins_folder = "{JANUS_LIBS / "plugins"}"
    transports_folder = "{JANUS_LIBS / "transports"}"
    events_folder = "{empty}"
    loggers_folder = "{empty}"
    log_to_stdout = false
    log_to_file = "{self.log}"
    debug_level = 4
    server_name = "lms-test"
    api_secret = "{self.api_secret}"
    token_auth = true
    token_auth_secret = "{self.token_secret}"
    admin_secret = "{self.admin_secret}"
    session_timeout = 60
}}
media: {{
    rtp_port_range = "20000-40000"
}}
nat: {{
    ignore_mdns = true
    ice_ignore_list = "vmnet,docker"
}}
plugins: {{
    disable = "{unused("plugins", PLUGINS_USED)}"
}}
transports: {{
    disable = "{unused("transports", TRANSPORTS_USED)}"
}}
events: {{
    broadcast = false
}}
""",
            "janus.transport.http.jcfg": f"""
general: {{
    json = "plain"
    base_path = "/janus"
    http = true
    ip = "127.0.0.1"
    port = {self.http_port}
    https = false
}}
admin: {{
    admin_base_path = "/admin"
    admin_http = true
    admin_ip = "127.0.0.1"
    admin_port = {self.admin_port}
    admin_https = false
}}
""",
            "janus.transport.websockets.jcfg": f"""
general: {{
    json = "plain"
    ws = true
    ws_ip = "127.0.0.1"
    ws_port = {self.ws_port}
    wss = false
}}
admin: {{
    admin_ws = false
    admin_wss = false
}}
""",
            "janus.plugin.videoroom.jcfg": f"""
general: {{
    admin_key = "{self.admin_key}"
    lock_rtp_forward = true
}}
""",
        }
        for name, text in files.items():
            (self.directory / name).write_text(text.lstrip())

    def start(self) -> None:
        self.write_config()
        command = [need_janus(), "-F", str(self.directory), "-C", str(self.directory / "janus.jcfg")]
        env = dict(os.environ)
        # Janus checks a token's expiry against its own clock: it runs on the test's (frozen) clock, as
        # uvicorn does, so a token Django signs "now" is valid now. libfaketime is preloaded into Janus
        # itself (the `faketime` wrapper would fork, and stopping it would leave Janus running).
        shift = round(float(shift_env()[SHIFT_ENV]))
        if self.follow_test_clock and abs(shift) > 1 and os.path.exists(LIBFAKETIME):
            env |= {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": f"{shift:+d}", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
            self.clock_shift = shift
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(100):
            if self.process.poll() is not None:
                break
            try:
                with urlopen(f"{self.url}/info", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        raise RuntimeError(f"janus did not answer\n{log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_janus(follow_test_clock: bool = True) -> JanusServer:
    need_janus()
    server = JanusServer(
        follow_test_clock=follow_test_clock,
        directory=Path(tempfile.mkdtemp(prefix="janus-test-")),
        http_port=free_port(),
        ws_port=free_port(),
        admin_port=free_port(),
    )
    server.start()
    return server


def start_janus_instances(count: int, follow_test_clock: bool = True) -> list[JanusServer]:
    """`count` Janus servers (stopped again if one fails to start)."""
    servers: list[JanusServer] = []
    try:
        for _ in range(count):
            servers.append(start_janus(follow_test_clock=follow_test_clock))
    except BaseException:
        for server in servers:
            server.stop()
        raise
    return servers


def instances_setting(city: JanusServer, townships: dict[str, tuple[JanusServer, list]]) -> dict:
    """Settings (and environment, same names) for a city instance (the default one) and township
    instances: {"name": (server, [township page ids or slugs])}."""
    return {
        **city.settings(),
        "JANUS_INSTANCES": json.dumps(
            {name: server.instance(served) for name, (server, served) in townships.items()}
        ),
    }
