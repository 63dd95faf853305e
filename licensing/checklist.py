"""The application document checklist (docs/supplier-portal.md): the papers the importer and its
end user owe the exporter for one application, each with its status, validity and file.

missing -> uploaded (a file attached) -> shared (the supplier downloaded the pack); a supplement
request that names an item sets it to asked_again until a new file is uploaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from core.errors import field_error

from .documents import document_attach
from .models import ApplicationDocumentKind, ChecklistItem, ChecklistStatus, Document, LicenceApplication
from .models.applications import OPEN_STATUSES
from .models.checklist import OWED_STATUSES

# The attachment kind a checklist file is stored as (the attachment kinds predate the checklist).
DOCUMENT_KIND = {"END_USER_CERTIFICATE": Document.Kind.END_USER_CERTIFICATE, "CONTRACT": Document.Kind.CONTRACT}
OTHER = "OTHER"


def checklist_kinds() -> list[ApplicationDocumentKind]:
    """Kinds every application's checklist starts with: those the importer or end user give."""
    return [kind for kind in ApplicationDocumentKind.objects.all() if kind.owed_by_importer]


def checklist_ensure(application: LicenceApplication) -> QuerySet[ChecklistItem]:
    """The application's checklist, creating the items it lacks (a kind added to the reference
    data later joins every checklist the next time it is shown)."""
    kinds = checklist_kinds()
    have = set(application.checklist.values_list("kind_id", flat=True))
    missing = [ChecklistItem(application=application, kind=kind) for kind in kinds if kind.pk not in have]
    if missing:
        ChecklistItem.objects.bulk_create(missing, ignore_conflicts=True)
    return application.checklist.select_related("kind", "document").order_by("kind_id")


@transaction.atomic
def checklist_item_attach(
    *, item: ChecklistItem, file: UploadedFile, actor=None, valid_until: dt.date | None = None
) -> ChecklistItem:
    """Attach the file for one item (the same content checks as every upload): it is uploaded."""
    item = ChecklistItem.objects.select_for_update().select_related("kind").get(pk=item.pk)
    document = document_attach(
        file=file, kind=DOCUMENT_KIND.get(item.kind.code, Document.Kind.OTHER), actor=actor,
        application=item.application, valid_until=valid_until,
    )
    item.document, item.valid_until, item.status = document, valid_until, ChecklistStatus.UPLOADED
    item.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    item._change_reason = "uploaded"
    item.save()
    return item


def checklist_share(*, application: LicenceApplication) -> int:
    """The supplier has the pack: every uploaded item is now shared. Returns how many changed."""
    items = list(application.checklist.filter(status=ChecklistStatus.UPLOADED))
    for item in items:
        item.status = ChecklistStatus.SHARED
        item._change_reason = "shared with the supplier"
        item.save(update_fields=["status", "updated_at"])
    return len(items)


def checklist_codes_validate(codes: Iterable[str], *, field: str = "requested_kinds") -> list[str]:
    """The codes given, checked against the reference data (unknown ones refused by name)."""
    codes = list(dict.fromkeys(codes))
    known = set(ApplicationDocumentKind.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown := [c for c in codes if c not in known]:
        raise field_error(field, f"Unknown document kinds: {', '.join(unknown)}.", code="invalid_choice")
    return codes


@transaction.atomic
def checklist_reopen(*, application: LicenceApplication, codes: Iterable[str], note: str = "", actor=None) -> int:
    """A supplement request named these kinds: their items are asked again (created if the kind
    was not on the checklist, e.g. OTHER). Returns how many items were reopened."""
    codes = checklist_codes_validate(codes)
    checklist_ensure(application)
    kinds = ApplicationDocumentKind.objects.filter(code__in=codes)
    for kind in kinds:
        item, _ = ChecklistItem.objects.select_for_update().get_or_create(application=application, kind=kind)
        item.status, item.note = ChecklistStatus.ASKED_AGAIN, note
        item.updated_by = actor if getattr(actor, "is_authenticated", False) else None
        item._change_reason = "asked again by MOFCOM"
        item.save()
    return len(kinds)


def applications_waiting_on_papers() -> QuerySet[LicenceApplication]:
    """Open applications with a checklist item the importer still owes (missing or asked again)."""
    owed = ChecklistItem.objects.filter(application=OuterRef("pk"), status__in=OWED_STATUSES)
    return LicenceApplication.objects.filter(Exists(owed), status__in=OPEN_STATUSES)
