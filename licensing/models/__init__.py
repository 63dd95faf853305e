from .applications import ApplicationEvent, ApplicationLine, ApplicationStatus, LicenceApplication, TimeLimitExemption
from .calendar import CalendarOverride, PublishedCalendarYear
from .checklist import ApplicationDocumentKind, ChecklistItem, ChecklistStatus
from .documents import Document
from .items import ControlledItem, Form, TransportMode, Unit
from .licences import Licence, LicenceEvent, LicenceKind, LicenceLine, LicenceStatus
from .policy import LEAD_DAYS_MESSAGE, REVIEW_EVERY_DAYS, PolicyCalendarReview, PolicyEvent
from .reports import ReportStatus, SupplierMessage, SupplierReport
from .rules import ControlWindow, Outcome, PendingDecision, Scenario, ScenarioOutcome

__all__ = [
    "ApplicationDocumentKind",
    "ApplicationEvent",
    "ApplicationLine",
    "ApplicationStatus",
    "CalendarOverride",
    "ControlWindow",
    "ChecklistItem",
    "ChecklistStatus",
    "ControlledItem",
    "Document",
    "Form",
    "Licence",
    "LicenceApplication",
    "LicenceEvent",
    "LicenceKind",
    "LicenceLine",
    "LicenceStatus",
    "Outcome",
    "PendingDecision",
    "LEAD_DAYS_MESSAGE",
    "PolicyCalendarReview",
    "PolicyEvent",
    "REVIEW_EVERY_DAYS",
    "PublishedCalendarYear",
    "Scenario",
    "ScenarioOutcome",
    "ReportStatus",
    "SupplierMessage",
    "SupplierReport",
    "TimeLimitExemption",
    "TransportMode",
    "Unit",
]
