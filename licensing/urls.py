"""UI pages of the licensing core (docs/architecture.md#ui). Licence list and detail show drawdown by
shipments, so they live in shipments/urls.py (licensing never imports shipments)."""

from django.urls import path

from .views import applications, calendar, documents, policy, reports

urlpatterns = [
    path("applications/", applications.application_list, name="application-list"),
    path("applications/new/", applications.application_create, name="application-create"),
    path("applications/<int:pk>/", applications.application_detail, name="application-detail"),
    path("applications/<int:pk>/edit/", applications.application_edit, name="application-edit"),
    path("applications/<int:pk>/transition/", applications.application_transition, name="application-transition"),
    path("applications/<int:pk>/correct/", applications.application_correct, name="application-correct"),
    path("applications/<int:pk>/documents/", documents.application_document_upload, name="application-document"),
    path("applications/<int:pk>/reports/", reports.application_report_decide, name="application-report-decide"),
    path("applications/<int:pk>/checklist/", reports.application_checklist_upload, name="application-checklist"),
    path("licences/<int:pk>/documents/", documents.licence_document_upload, name="licence-document"),
    path("documents/<int:pk>/download/", documents.document_download, name="document-download"),
    path("policy/", policy.policy_calendar, name="policy"),
    path("policy/calendar/", calendar.working_calendar, name="working-calendar"),
    path("policy/new/", policy.policy_create, name="policy-create"),
    path("policy/review/", policy.policy_mark_reviewed, name="policy-review"),
    path("policy/<int:pk>/", policy.policy_detail, name="policy-detail"),
    path("policy/<int:pk>/edit/", policy.policy_edit, name="policy-edit"),
]
