from .applications import ApplicationEvent, ApplicationLine, ApplicationStatus, LicenceApplication, TimeLimitExemption
from .calendar import CalendarOverride, PublishedCalendarYear
from .documents import Document
from .items import ControlledItem, Form, TransportMode, Unit
from .licences import Licence, LicenceEvent, LicenceKind, LicenceLine, LicenceStatus
from .policy import PolicyEvent
from .rules import ControlWindow, Outcome, PendingDecision, Scenario, ScenarioOutcome

__all__ = [
    "ApplicationEvent",
    "ApplicationLine",
    "ApplicationStatus",
    "CalendarOverride",
    "ControlWindow",
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
    "PolicyEvent",
    "PublishedCalendarYear",
    "Scenario",
    "ScenarioOutcome",
    "TimeLimitExemption",
    "TransportMode",
    "Unit",
]
