"""Signals the core sends after commit, so that other apps can react without the core
knowing them. Nothing is lost if a receiver misses one: the timeline rows are the record."""

from django.dispatch import Signal

# sender=LicenceApplication, application=..., event=ApplicationEvent
application_status_changed = Signal()
# sender=Licence, licence=...
licence_created = Signal()
# sender=CalendarOverride: the working-day calendar changed (an override or a published year
# was saved or deleted). Other apps recompute their own working-day deadlines (suppliers: the
# customs windows of held shipments); their periodic sweep repairs anything a receiver missed.
calendar_changed = Signal()
