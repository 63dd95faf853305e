"""Secret-link endpoints that work without a session, under /notifications/."""

from django.urls import path

from . import views

app_name = "notifications_public"
urlpatterns = [
    path("calendar/<str:token>.ics", views.ics_feed, name="ics"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
