"""What a live-room connection may send, checked before a frame is parsed.

A member pushing 30 frames of 1 MB made the process parse megabytes of JSON while everyone else's
chat waited (60 ms became 4.2 s), and a binary frame crashed the connection and left its presence
open. Each frame is now weighed first, for the price of a length: binary frames, frames longer than
any message the room takes, and frames beyond the connection's budget are refused with an error
(nothing parsed). A connection that keeps sending what is refused is closed.

The budget is a token bucket: `FRAME_BURST` frames at once, refilled at `FRAME_RATE` a second; a
frame costs one token plus one per `FRAME_COST_CHARS` characters, so large frames spend it faster.
Patience is a bucket too: each refused frame takes one of `PATIENCE` tokens, given back slowly, so a
page that sometimes sends too fast is only told so, and a client that keeps on is closed.

uvicorn refuses frames over `--ws-max-size` bytes before they reach the application (deploy/).
"""

import time
from dataclasses import dataclass, field

# The largest message the room takes is a video signal: SDP up to 60,000 characters (consumers.py),
# a little longer once escaped in JSON. Everything else is far shorter (chat: 500 characters).
MAX_FRAME_CHARS = 80_000
FRAME_BURST = 50
FRAME_RATE = 10.0  # tokens a second
FRAME_COST_CHARS = 8_192
PATIENCE = 20  # refused frames in a row before the connection is closed…
PATIENCE_RATE = 0.2  # …given back one per five seconds of good behaviour

TOO_FAST = "too_fast"
TOO_LONG = "too_long"
BINARY = "binary"


@dataclass
class TokenBucket:
    capacity: float
    per_second: float
    tokens: float = field(default=-1.0)
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self):
        if self.tokens < 0:
            self.tokens = self.capacity

    def take(self, cost: float = 1.0) -> bool:
        """Spend `cost` tokens if there are that many (after refilling for the time since)."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class FrameGuard:
    """One connection's budget. `check` answers None (parse it) or why the frame is refused;
    `exhausted` says the connection has been refused too often and should be closed."""

    def __init__(self):
        self.budget = TokenBucket(FRAME_BURST, FRAME_RATE)
        self.patience = TokenBucket(PATIENCE, PATIENCE_RATE)
        self.exhausted = False

    def check(self, text: str | None, data: bytes | None) -> str | None:
        if text is None:
            refusal = BINARY
        elif len(text) > MAX_FRAME_CHARS:
            refusal = TOO_LONG
        elif not self.budget.take(1 + len(text) // FRAME_COST_CHARS):
            refusal = TOO_FAST
        else:
            return None
        if not self.patience.take():
            self.exhausted = True
        return refusal
