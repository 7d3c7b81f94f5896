"""Cursor pagination for every list of the API: stable under inserts, cheap on any page."""

from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Newest first by primary key (unique and indexed); ``?page_size=`` up to 200.

    A list ordered otherwise (contacts: by first contact, as the dashboard lists them) sets
    ``cursor_ordering`` on its view. The cursor is opaque: clients follow ``next`` and
    ``previous`` and never build one; a cursor that was tampered with gets 404.
    """

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "cursor_ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
