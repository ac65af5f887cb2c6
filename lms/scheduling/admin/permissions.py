"""Permission policies for classes and plans: the role's model permissions, narrowed to the rows
the scoped selectors give (own township, everything under the city, or all for the organization
department). Registered in `lms/scheduling/wagtail_hooks.py`."""

from lms.people.permissions import TownshipScopedPermissionPolicy
from lms.scheduling import selectors
from lms.scheduling.models import AnnualPlan, TrainingClass

training_class_permission_policy = TownshipScopedPermissionPolicy(
    TrainingClass,
    scoped_queryset=selectors.classes_for_user,
    township_of=lambda training_class: training_class.school if training_class.school_id else None,
)

annual_plan_permission_policy = TownshipScopedPermissionPolicy(
    AnnualPlan,
    scoped_queryset=selectors.plans_for_user,
    township_of=lambda plan: plan.school if plan.school_id else None,
)
