"""WebSocket routes; every app's consumers are listed here."""

from django.urls import path

from analytics.consumers import DashboardConsumer

websocket_urlpatterns = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
]
