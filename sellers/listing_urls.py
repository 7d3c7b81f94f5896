"""Public listing pages, /p/<slug>/: no login, no personal data."""

from django.urls import path

from sellers import views

app_name = "listings"

urlpatterns = [
    path("<slug:slug>/", views.listing_page, name="detail"),
]
