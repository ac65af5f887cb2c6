from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PHONE_ATTRS = {"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800000000"}


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone number"), max_length=30, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )


class CodeForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone number"), max_length=30, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": "123456"}
        ),
    )
    password1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data
