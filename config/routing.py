"""WebSocket routes; every app's consumers are listed here."""

from django.urls import path, re_path

from analytics.consumers import DashboardConsumer
from config.websocket import UnknownPathConsumer

websocket_urlpatterns = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
    # Last: any other path closes with 4404 instead of answering the handshake with a 500.
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
