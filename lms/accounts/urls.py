from django.urls import path

from lms.accounts import views
from lms.accounts.models import CodePurpose

app_name = "accounts"

urlpatterns = [
    path("activate/", views.code_request, {"purpose": CodePurpose.ACTIVATE}, name="activate"),
    path("activate/code/", views.code_enter, {"purpose": CodePurpose.ACTIVATE}, name="activate_code"),
    path("reset/", views.code_request, {"purpose": CodePurpose.RESET}, name="reset"),
    path("reset/code/", views.code_enter, {"purpose": CodePurpose.RESET}, name="reset_code"),
]
