from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

# The dashboard at "/" lives in shipments (it reads suppliers, licensing and shipments).
urlpatterns = [
    path("favicon.ico", RedirectView.as_view(url=static("core/favicon.svg"), permanent=True)),
]
