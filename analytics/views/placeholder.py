"""The answer of a page that is not built yet (the shell's stand-in)."""

from django.shortcuts import render


def render_placeholder(request, *, page: str, title: str):
    return render(request, "dashboard/placeholder.html", {"page": page, "page_title": title})
