"""The back office (Django's admin) made readable: the site with its index in sections, the base
class of every ModelAdmin, and the small formatters its lists and pages share (money, rates,
durations, times in the business's zone, JSON as labelled values).
"""

import re
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from config.search import IndexedSearch, indexed_search

EMPTY = "—"

# The index, in the order a person works through it. A model not named here (a new one) is
# listed under "Other" at the end, so nothing registered ever disappears from the index.
SECTIONS = [
    (
        "work",
        "Work queue",
        ["leads.escalationticket", "compliance.complianceticket"],
    ),
    (
        "leads",
        "Leads and conversations",
        [
            "leads.contact",
            "leads.conversation",
            "leads.message",
            "leads.appointment",
            "leads.deal",
        ],
    ),
    (
        "buyers",
        "Buyers",
        ["buyers.buyerprofile", "buyers.listingalert", "buyers.financialassessment"],
    ),
    (
        "sellers",
        "Sellers and homes",
        ["sellers.sellerqualification", "sellers.cmareport", "sellers.property"],
    ),
    (
        "settings",
        "Settings",
        [
            "analytics.businesssettings",
            "leads.agentprofile",
            "leads.botsettings",
            "leads.replytemplate",
        ],
    ),
    (
        "highlevel",
        "HighLevel traffic",
        ["leads.webhookevent", "leads.outboxmessage", "leads.sendledgerentry"],
    ),
    ("audit", "Audit trail", ["compliance.auditevent"]),
    (
        "access",
        "Users and API access",
        [
            "auth.user",
            "auth.group",
            "leads.apitoken",
            # The login protection's records (docs/security.md): deleting an account's or an
            # address's access attempts unlocks it.
            "axes.accessattempt",
            "axes.accesslog",
            "axes.accessfailurelog",
        ],
    ),
]


class BackOfficeSite(admin.AdminSite):
    """Django's admin site, with the index grouped by the work rather than by app."""

    site_header = "Jorge's real-estate AI · back office"
    site_title = "Jorge back office"
    index_title = "Tickets, leads, homes and settings"
    # The index and the breadcrumbs lead everywhere; on a laptop the sidebar took a quarter of
    # the width the lists need.
    enable_nav_sidebar = False

    def each_context(self, request):
        return {**super().each_context(request), "business_timezone": settings.BUSINESS_TIMEZONE}

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:
            return app_list  # an app's own page lists that app, as Django does
        return _in_sections(app_list, index_url=reverse("admin:index", current_app=self.name))


def _in_sections(app_list: list[dict], *, index_url: str) -> list[dict]:
    models = {m["model"]._meta.label_lower: m for app in app_list for m in app["models"]}
    sections = []
    for slug, name, labels in SECTIONS:
        rows = [models.pop(label) for label in labels if label in models]
        if rows:
            sections.append(_section(slug, name, rows, index_url))
    if models:
        sections.append(_section("other", "Other", list(models.values()), index_url))
    return sections


def _section(slug: str, name: str, rows: list[dict], index_url: str) -> dict:
    # app_url is an anchor on the index: it never matches a page's path, so the sidebar marks
    # no section as "current" by mistake.
    return {
        "name": name,
        "app_label": slug,
        "app_url": f"{index_url}#{slug}",
        "has_module_perms": True,
        "models": rows,
    }


RESULT_COUNT_CAP = 1000  # a big list counts its rows up to here and then says "1,000+"


class CappedPaginator(Paginator):
    """A paginator that stops counting at ``cap``: ``SELECT COUNT(*)`` over a subquery with
    ``LIMIT cap + 1`` instead of over every match, so a search for a common word (or the
    whole list of a big table) costs a page, not the table. Past the cap the list says
    "1,000+" and offers the pages up to it; a later page (``?p=15``) counts to the end of the
    page after it (``count_cap``), so every page stays reachable, one step past the last seen."""

    def __init__(self, object_list, per_page, *args, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.cap = RESULT_COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        # No ORDER BY: a count needs no order, and without one the database stops at the cap.
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        if self.capped:
            return -(-self.cap // self.per_page)
        return super().num_pages


def count_cap(request, per_page: int) -> int:
    """How far a list counts: the cap, or to the end of the page after the one asked for."""
    page = request.GET.get(PAGE_VAR, "1") if request is not None else "1"
    page = int(page) if page.isdigit() else 1
    return max(RESULT_COUNT_CAP, (page + 1) * per_page)


class BackOfficeAdmin(admin.ModelAdmin):
    """The base of every ModelAdmin: a page where nothing can be edited has no Save button; a
    list of a big table searches through its indexes (``indexed_search``) and counts its rows
    only up to a cap (``CappedPaginator``)."""

    # What the list's search box looks in, answered by indexes (config.search); None: Django's
    # LIKE '%q%' over ``search_fields`` (fine for small tables). ``search_fields`` still shows
    # the box and names what is searched.
    indexed_search: IndexedSearch | None = None

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if self.indexed_search is None:
            return super().get_paginator(
                request, queryset, per_page, orphans, allow_empty_first_page
            )
        paginator = CappedPaginator(
            queryset, per_page, orphans, allow_empty_first_page, cap=count_cap(request, per_page)
        )
        if (count := getattr(request, "backoffice_result_count", None)) is not None:
            paginator.count = count  # the search counted them already (up to the cap)
        return paginator

    def get_search_results(self, request, queryset, search_term):
        if self.indexed_search is None or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        # Filters on the table's own columns and foreign keys: no duplicates to remove.
        found = indexed_search(queryset, self.indexed_search, search_term)
        if request is None:
            return found, False
        # Count the matches up to the cap, from the index (cheap); past it, the page is found by
        # walking the list's order and stopping at its LIMIT (indexed_search's ``many``).
        cap = count_cap(request, self.list_per_page)
        count = found.order_by()[: cap + 1].count()
        request.backoffice_result_count = count
        if count > cap:
            found = indexed_search(queryset, self.indexed_search, search_term, many=True)
        return found, False

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and not _anything_to_save(context):
            context.update(
                title=f"View {self.opts.verbose_name}",
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


def _anything_to_save(context) -> bool:
    if context["adminform"].form.fields:
        return True
    return any(
        inline.has_add_permission
        or (inline.has_change_permission and inline.formset.form.base_fields)
        for inline in context.get("inline_admin_formsets", [])
    )


# --- Formatters -----------------------------------------------------------------------------


def money(value) -> str:
    """725000 → "$725,000"; cents only when there are some; None → "—"."""
    if value is None or value == "":
        return EMPTY
    amount = Decimal(value)
    return f"${amount:,.2f}" if amount % 1 else f"${amount:,.0f}"


def money_cell(value) -> SafeString:
    """Money for a list column: right-aligned, digits lined up."""
    return format_html('<span class="money">{}</span>', money(value))


def percent(rate) -> str:
    """A fraction as a percentage: Decimal("0.0250") → "2.5%"; None → "—"."""
    if rate is None:
        return EMPTY
    value = (Decimal(rate) * 100).quantize(Decimal("0.01")).normalize()
    return f"{value:f}%"


def duration(seconds) -> str:
    """4.2 → "4.2 s", 200 → "3 min 20 s", 7500 → "2 h 5 min"; None → "—"."""
    if seconds is None:
        return EMPTY
    if seconds < 60:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def phone(number: str) -> str:
    """A North American number as people write it: +19095550123 → (909) 555-0123."""
    if re.fullmatch(r"\+1\d{10}", number or ""):
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number or EMPTY


def local_time(value: datetime | None, fmt: str = "M j, Y, g:i a T") -> str:
    """An aware datetime in the business's zone (BUSINESS_TIMEZONE), with the zone named."""
    if value is None:
        return EMPTY
    return date_format(timezone.localtime(value), fmt)


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _humanize_key(key) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _scalar(value) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str) and _ISO_TIME.match(value):
        moment = parse_datetime(value)
        if moment is not None and timezone.is_aware(moment):
            # A far-future time is how "until a person says otherwise" is stored.
            return (
                "no end (until a person changes it)" if moment.year >= 9000 else local_time(moment)
            )
    return str(value)


def readable_data(data) -> SafeString:
    """JSON (a bot's state, an audit row's data) as labelled values a person reads: keys as
    words, yes/no, lists joined, times in the business's zone, nesting as indented lists."""
    if isinstance(data, dict):
        if not data:
            return mark_safe(f'<span class="quiet">{EMPTY}</span>')  # noqa: S308 - a constant
        return format_html(
            '<dl class="readable">{}</dl>',
            format_html_join(
                "",
                "<dt>{}</dt><dd>{}</dd>",
                ((_humanize_key(k), readable_data(v)) for k, v in data.items()),
            ),
        )
    if isinstance(data, list):
        if not data:
            return mark_safe(f'<span class="quiet">{EMPTY}</span>')  # noqa: S308 - a constant
        if all(not isinstance(item, dict | list) for item in data):
            return format_html("{}", ", ".join(_scalar(item) for item in data))
        return format_html(
            '<ol class="readable">{}</ol>',
            format_html_join("", "<li>{}</li>", ((readable_data(item),) for item in data)),
        )
    return format_html("{}", _scalar(data))


class SingleRowAdmin(BackOfficeAdmin):
    """The admin of a table holding one row (settings, the agent's profile): the row is made on
    the first visit (``single_row``, a selector that creates it), and it is never added or
    deleted by hand."""

    def single_row(self):
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        self.single_row()  # the row exists from the first visit on
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
