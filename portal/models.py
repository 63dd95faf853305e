"""The supplier portal's own rows (docs/supplier-portal.md): per-contact links and the log of
every portal action. A link's token is shown once, in the invitation; only its SHA-256 is kept,
so a database leak gives no usable link."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core import validators as v


class PortalLink(models.Model):
    contact = models.ForeignKey("suppliers.SupplierContact", on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True, validators=v.SINGLE_LINE)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact"], name="portal_link_live_idx", condition=Q(revoked_at__isnull=True))]

    def __str__(self) -> str:
        return f"link {self.pk} of {self.contact_id}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class PortalAccess(models.Model):
    """One portal request: who (contact, link), from where (IP), what (action, application)."""

    at = models.DateTimeField(auto_now_add=True)
    contact = models.ForeignKey(
        "suppliers.SupplierContact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    link = models.ForeignKey(PortalLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=40, validators=v.SINGLE_LINE)
    path = models.CharField(max_length=300, validators=v.SINGLE_LINE)
    application_id = models.BigIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "portal accesses"
        indexes = [models.Index(fields=["contact", "-at"], name="portal_access_contact_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.ip}"


class PortalReminder(models.Model):
    """A reminder email sent to a contact; the weekly limit reads the latest one."""

    contact = models.ForeignKey("suppliers.SupplierContact", on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    applications = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_on", "-id"]
        indexes = [models.Index(fields=["contact", "-sent_on"], name="portal_reminder_idx")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.sent_on}"
