from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from analytics.urls import dashboard_urlpatterns
from config import api_docs, health, monitoring
from leads.webchat.urls import api_urlpatterns as webchat_api
from leads.webchat.urls import page_urlpatterns as webchat_pages

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", monitoring.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("dashboard/", include((dashboard_urlpatterns, "dashboard"))),
    path("webhooks/ghl/", include("leads.webhooks.ghl.urls")),
    # The REST API v1 (docs/api.md): each app mounts its own paths under /api/v1/.
    path("api/v1/", include("leads.urls")),
    path("api/v1/", include("analytics.urls")),
    path("api/v1/", include("compliance.urls")),
    path("api/v1/", include("sellers.api_urls")),
    path("api/v1/ml/", include("leads.ml_urls")),
    path("api/v1/chat/", include((webchat_api, "webchat"))),
    path("chat/", include((webchat_pages, "chat"))),
    path("sellers/", include("sellers.urls")),
    path("p/", include("sellers.listing_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs.swagger, name="api-docs"),
    path("api/redoc/", api_docs.redoc, name="api-redoc"),
]

handler404 = "config.errors.not_found"
