"""The project's URLs plus one view that fails, for the 500 page's test."""

from django.urls import path

from config.urls import urlpatterns as project_urls


def fails(request):
    raise RuntimeError("a bug")


urlpatterns = [*project_urls, path("fails/", fails)]
