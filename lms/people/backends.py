"""The sign-in backend: Django's ModelBackend, except that the user of each request comes with their
member profile (branch and township), teacher profile, terminal and roles in the same query.

Every member page asks `member_profile(user)` and most ask `teacher_profile(user)`; loading both with
the user turns three queries per request into one (`selectors.member_profile` uses what is loaded).
The home page's live classes ask for the terminal, "my training" for the calendar link, and every
page that shows or checks a role for the roles (one EXISTS per role, `selectors.user_roles`).
That query is compiled once per process (lms/compiled.py): building its SQL through the ORM on every
request cost about 1.5 ms of CPU, more than everything else a logged-in request does for its user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef

from lms.compiled import CompiledQuery, Slot
from lms.people.roles import ROLE_FLAGS

# What `member_profile` and `teacher_profile` need, joined to the user (reverse one-to-ones: a user
# without a member or teacher profile gets None cached, so asking again costs no query).
PROFILE_RELATIONS = ("member__branch__township", "teacher", "classroom_terminal", "calendar_token")


def with_role_flags(users):
    """The users, each with a boolean attribute per role (`ROLE_FLAGS`)."""
    membership = get_user_model().groups.through.objects
    return users.annotate(
        **{
            flag: Exists(membership.filter(user_id=OuterRef("pk"), group__name=role.value))
            for flag, role in ROLE_FLAGS.items()
        }
    )


USER_WITH_PROFILES = CompiledQuery(
    lambda s: (
        with_role_flags(get_user_model()._default_manager.select_related(*PROFILE_RELATIONS))
        .filter(pk=s.pk)
        .order_by("pk")[:1]
    ),
    Slot("pk", -774_000_001),  # any int in range that no other parameter of the query has
)


class ProfileBackend(ModelBackend):
    def get_user(self, user_id):
        user = USER_WITH_PROFILES.first(pk=get_user_model()._meta.pk.get_prep_value(user_id))
        return user if user is not None and self.user_can_authenticate(user) else None
