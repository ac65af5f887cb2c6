from django.urls import path

from lms.files import views

urlpatterns = [path("<path:path>", views.media, name="files_media")]
