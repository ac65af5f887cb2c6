"""Roles are Django groups. Their names are data shown in the admin, so they are Chinese;
code refers to them only through `Role`.

Model permissions come from the role group; page permissions come from one group per school
("<school> 工作人员"), created by `services.staff_scope_grant`, so township staff can edit only their
own subtree of the page tree.
"""

from enum import StrEnum


class Role(StrEnum):
    MEMBER = "党员"
    TEACHER = "教师"
    TOWNSHIP_STAFF = "镇街党校工作人员"
    CITY_STAFF = "市委党校工作人员"
    ORG_DEPT = "组织部"


# Each role as a flag loaded with the user of every request (lms.people.backends), so that
# `selectors.user_roles` does not ask for the user's groups again: attribute name -> role.
ROLE_FLAGS = {f"role_{role.name.lower()}": role for role in Role}


# Model permissions per role: (app_label, model, actions).
PEOPLE_MODELS = ("branch", "member", "teacher", "teacherreview", "staffscope")
ROLE_MODEL_PERMISSIONS: dict[Role, list[tuple[str, str, tuple[str, ...]]]] = {
    Role.MEMBER: [],
    Role.TEACHER: [],
    Role.TOWNSHIP_STAFF: [
        ("people", "branch", ("add", "change", "delete", "view")),
        ("people", "member", ("add", "change", "delete", "view")),
        ("people", "teacher", ("view",)),
    ],
    Role.CITY_STAFF: [
        ("people", "branch", ("add", "change", "delete", "view")),
        ("people", "member", ("add", "change", "delete", "view")),
        ("people", "teacher", ("view",)),
    ],
    Role.ORG_DEPT: [("people", model, ("add", "change", "delete", "view")) for model in PEOPLE_MODELS],
}
# Scheduling: staff plan and run classes at their schools; the organization department oversees all.
SCHEDULING_STAFF_PERMISSIONS = [
    ("scheduling", "annualplan", ("add", "change", "delete", "view")),
    ("scheduling", "trainingclass", ("add", "change", "delete", "view")),
]
# Attendance: staff take attendance and decide leave; the organization department sets the rules.
ATTENDANCE_STAFF_PERMISSIONS = [
    ("attendance", "attendancerecord", ("add", "change", "view")),
    ("attendance", "leaverequest", ("change", "view")),
    ("attendance", "requirementrule", ("view",)),
]
for _role in (Role.TOWNSHIP_STAFF, Role.CITY_STAFF, Role.ORG_DEPT):
    ROLE_MODEL_PERMISSIONS[_role] = (
        ROLE_MODEL_PERMISSIONS[_role] + SCHEDULING_STAFF_PERMISSIONS + ATTENDANCE_STAFF_PERMISSIONS
    )
ROLE_MODEL_PERMISSIONS[Role.ORG_DEPT] = ROLE_MODEL_PERMISSIONS[Role.ORG_DEPT] + [
    ("attendance", "requirementrule", ("add", "change"))
]

STAFF_ROLES = (Role.TOWNSHIP_STAFF, Role.CITY_STAFF, Role.ORG_DEPT)

# Page permissions a school's staff group holds on that school's page (and so on its subtree).
SCHOOL_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
# Image and document permissions on the school's own collection.
SCHOOL_COLLECTION_PERMISSIONS = (
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
)
