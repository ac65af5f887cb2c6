"""One-time codes that let a member set their password: sent by SMS (activation, reset) or printed
on an activation slip by the township's staff. Only a keyed hash of each code is stored."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class CodePurpose(models.TextChoices):
    ACTIVATE = "activate", _("Activation by SMS")
    RESET = "reset", _("Password reset by SMS")
    SLIP = "slip", _("Activation slip")


SMS_PURPOSES = (CodePurpose.ACTIVATE, CodePurpose.RESET)


class OneTimeCodeQuerySet(models.QuerySet):
    def open(self, now):
        """Codes that may still be redeemed at `now`: not used, not replaced, not expired, not locked."""
        return self.filter(
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
            attempts__lt=settings.ACCOUNTS_CODE_MAX_ATTEMPTS,
        )


class OneTimeCode(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="one_time_codes",
        verbose_name=_("user"),
    )
    phone = models.CharField(_("phone"), max_length=20, help_text=_("The number the code was issued for."))
    purpose = models.CharField(_("purpose"), max_length=10, choices=CodePurpose.choices)
    code_hash = models.CharField(_("code hash"), max_length=128)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(
        _("replaced at"), null=True, blank=True, help_text=_("A newer code or a new password replaced it.")
    )
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
        help_text=_("The staff member who printed the slip."),
    )

    objects = OneTimeCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone", "purpose"], name="accounts_code_phone_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"],
                condition=Q(used_at__isnull=True, revoked_at__isnull=True),
                name="one_open_code_per_user_and_purpose",
                violation_error_message=_("This member already has an open code for this purpose."),
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=CodePurpose.values),
                name="one_time_code_purpose_valid",
                violation_error_message=_("Unknown purpose of a one-time code."),
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="one_time_code_expires_after_creation",
                violation_error_message=_("A code must expire after it was created."),
            ),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.phone} {self.created_at:%Y-%m-%d %H:%M}"
