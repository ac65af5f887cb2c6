"""The people admin: the 人员 (People) menu, scoped per role.

The permission policies are registered when this module is imported, before the viewsets are
registered: a viewset (or anything else) asking Wagtail for a model's policy first would get a
plain model-permission fallback, and registering a policy after that is an error.
"""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from lms.accounts.admin_views import LockedLoginsViewSet, SlipsViewSet
from lms.people.admin.import_views import MemberImportViewSet
from lms.people.admin.viewsets import PeopleViewSetGroup
from lms.people.models import Branch, Member, PeopleLogEntry
from lms.people.permissions import branch_permission_policy, member_permission_policy

register_permission_policy(Branch, branch_permission_policy)
register_permission_policy(Member, member_permission_policy)


@hooks.register("register_admin_viewset")
def register_people_viewsets():
    group = PeopleViewSetGroup()
    group.registerables.insert(1, MemberImportViewSet())  # 导入党员, right under 党员
    group.registerables.insert(2, SlipsViewSet())  # 激活单 (lms/accounts): members' first login
    group.registerables.insert(3, LockedLoginsViewSet())  # 登录锁定 (lms/accounts): too many wrong passwords
    return group


@hooks.register("register_log_actions")
def register_people_log_model(actions):
    # Their log entries are read per township (PeopleLogEntry.objects.viewable_by_user), not by model
    # permission like Wagtail's generic ModelLogEntry, which the teacher pool keeps.
    actions.register_model(Member, PeopleLogEntry)
    actions.register_model(Branch, PeopleLogEntry)
