import pytest
from channels.layers import channel_layers

from tests.attendance.conftest import held  # noqa: F401 (the class and lecture the rooms are for)


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each async test runs its own event loop; the Redis layer keeps locks and pools bound to the
    loop that first used it, so every test starts with a new layer."""
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}
