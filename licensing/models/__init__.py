from .applications import ApplicationEvent, ApplicationLine, ApplicationStatus, LicenceApplication, TimeLimitExemption
from .calendar import CalendarOverride, PublishedCalendarYear
from .documents import Document
from .items import ControlledItem, Form, TransportMode, Unit
from .licences import Licence, LicenceEvent, LicenceKind, LicenceLine, LicenceStatus
from .policy import PolicyEvent

__all__ = [
    "ApplicationEvent",
    "ApplicationLine",
    "ApplicationStatus",
    "CalendarOverride",
    "ControlledItem",
    "Document",
    "Form",
    "Licence",
    "LicenceApplication",
    "LicenceEvent",
    "LicenceKind",
    "LicenceLine",
    "LicenceStatus",
    "PolicyEvent",
    "PublishedCalendarYear",
    "TimeLimitExemption",
    "TransportMode",
    "Unit",
]
