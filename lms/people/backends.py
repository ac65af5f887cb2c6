"""The sign-in backend: Django's ModelBackend, except that the user of each request comes with their
member profile (branch and township) and teacher profile in the same query.

Every member page asks `member_profile(user)` and most ask `teacher_profile(user)`; loading both with
the user turns three queries per request into one (`selectors.member_profile` uses what is loaded)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

# What `member_profile` and `teacher_profile` need, joined to the user (reverse one-to-ones: a user
# without a member or teacher profile gets None cached, so asking again costs no query).
PROFILE_RELATIONS = ("member__branch__township", "teacher")


class ProfileBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related(*PROFILE_RELATIONS)
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
