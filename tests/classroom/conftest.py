import pytest
from channels.layers import channel_layers

from lms.classroom import services
from lms.scheduling.models import Delivery, Session
from tests import factories
from tests.attendance.conftest import held  # noqa: F401 (the class and lecture the rooms are for)


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each async test runs its own event loop; the Redis layer keeps locks and pools bound to the
    loop that first used it, so every test starts with a new layer."""
    channel_layers.backends = {}
    services.room_facts_forget()  # a process's copy of rooms must not outlive the test's database
    yield
    channel_layers.backends = {}
    services.room_facts_forget()


def live(session: Session, **fields) -> Session:
    """The session taught live (with other `fields` changed too), fresh from the database."""
    Session.objects.filter(pk=session.pk).update(delivery=Delivery.LIVE, **fields)
    session.refresh_from_db()
    return session


@pytest.fixture
def big(held):  # noqa: F811 (the imported fixture)
    """The city school's live big-classroom lecture at the same hour as township A's (`held`)."""
    city_class = factories.training_class(
        held["city"],
        held["lecture"].starts_at.date(),
        teacher=factories.TeacherFactory(),
        point=held["point_b"],
        publish=True,
    )
    big_lecture = live(city_class.sessions.get(kind="leader_lecture"))
    return {**held, "big": big_lecture, "sub": live(held["lecture"])}
