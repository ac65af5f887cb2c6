"""Forms of the videos' admin pages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lms.scheduling.selectors import schools_for_user

ACCEPTED = ".mp4,.m4v,.mov,.mkv,.webm,.avi,.flv,.ts,.mpg,.mpeg,.wmv"


class VideoDetailsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    published = forms.BooleanField(
        label=_("Published to members"),
        required=False,
        help_text=_(
            "Members of the school (a city school: of every township) can watch it once it is ready."
        ),
    )


class VideoUploadForm(VideoDetailsForm):
    school = forms.ModelChoiceField(label=_("School"), queryset=None, empty_label=None)
    file = forms.FileField(label=_("Video file"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED}))

    field_order = ["file", "title", "school", "description", "published"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools_for_user(user)
        self.fields["file"].help_text = _(
            "Up to %(limit)s MB. It is transcoded for phones and computers."
        ) % {"limit": settings.VOD_UPLOAD_MAX_MB}

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > settings.VOD_UPLOAD_MAX_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.") % {"limit": settings.VOD_UPLOAD_MAX_MB},
                code="too_large",
            )
        return uploaded
