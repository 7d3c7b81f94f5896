from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from analytics.urls import dashboard_urlpatterns
from config import health

admin.site.site_header = "Jorge's real-estate AI · back office"
admin.site.site_title = "Jorge back office"
admin.site.index_title = "Contacts, conversations, tickets and settings"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("dashboard/", include((dashboard_urlpatterns, "dashboard"))),
    path("webhooks/ghl/", include("leads.webhooks.ghl.urls")),
    path("api/v1/leads/", include("leads.urls")),
    path("api/v1/analytics/", include("analytics.urls")),
    path("api/v1/compliance/", include("compliance.urls")),
    path("sellers/", include("sellers.urls")),
    path("p/", include("sellers.listing_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
