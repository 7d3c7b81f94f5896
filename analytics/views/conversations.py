"""Dashboard page: Active conversations, a conversation's page, and their row actions.

Every action calls the service the admin and the API call (``leads.services.conversations``,
``leads.services.escalation``, ``sellers.services.cma``), which audits it. The table keeps its
state (filters, sort, page) in the URL; htmx swaps the table, a row, or the thread, and the
same URLs answer a browser without JavaScript with whole pages. See docs/dashboard.md,
"Active conversations".
"""

from urllib.parse import quote, urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from analytics.access import dashboard_view
from config.errors import ApplicationError
from leads import selectors
from leads.models import BotKind, Conversation, Intent, Language, Temperature
from leads.services import conversations as conversation_services
from leads.services import escalation
from sellers import selectors as seller_selectors
from sellers.models import CMAReport
from sellers.services.cma import trigger_cma

PER_PAGE_CHOICES = (10, 25, 50, 100)
FILTER_FIELDS = ("status", "bot", "stage", "temperature", "language", "review", "per_page")
SORT_LABELS = {
    "activity": "Last activity",
    "name": "Contact",
    "score": "Score",
    "started": "Started",
}


def _blank(choices) -> list[tuple[str, str]]:
    return [("", "Any"), *choices]


class FilterForm(forms.Form):
    """The table's state, read from the URL; an unknown value is a 400 that says which."""

    q = forms.CharField(
        required=False, max_length=100, label="Search", help_text="Name, phone or email"
    )
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("open", "Open (active or paused)"),
            *Conversation.Status.choices,
            ("all", "Any status"),
        ],
    )
    bot = forms.ChoiceField(required=False, choices=_blank(BotKind.choices))
    stage = forms.ChoiceField(required=False, choices=_blank(Conversation.Stage.choices))
    temperature = forms.ChoiceField(required=False, choices=_blank(Temperature.choices))
    language = forms.ChoiceField(required=False, choices=_blank(Language.choices))
    review = forms.ChoiceField(
        required=False,
        label="Needs a person",
        choices=[("", "Any"), ("yes", "Needs a person"), ("no", "Does not")],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(f"{d}{k}", k) for k in selectors.CONVERSATION_SORTS for d in ("", "-")],
    )
    page = forms.IntegerField(required=False, min_value=1)
    per_page = forms.TypedChoiceField(
        required=False,
        label="Per page",
        coerce=int,
        choices=[(n, n) for n in PER_PAGE_CHOICES],
        empty_value=25,
    )

    def filters(self) -> selectors.ConversationFilters:
        data = self.cleaned_data
        return selectors.ConversationFilters(
            status=data["status"] or "open",
            bot=data["bot"],
            stage=data["stage"],
            temperature=data["temperature"],
            language=data["language"],
            needs_review={"yes": True, "no": False}.get(data["review"]),
            q=data["q"],
        )

    def error_text(self) -> str:
        return "; ".join(
            f"{self[name].label if name in self.fields else name}: {' '.join(errors)}"
            for name, errors in self.errors.items()
        )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply as Jorge",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=conversation_services.MAX_REPLY_CHARS,
        error_messages={"required": "Write the reply first."},
    )


class CMAForm(forms.Form):
    address = forms.CharField(max_length=255, label="Street address")
    city = forms.CharField(max_length=100)


# --- The table ----------------------------------------------------------------------------------


def _state(form: FilterForm) -> dict[str, str]:
    """The table's state as it goes in a URL: only what differs from the defaults."""
    data = form.cleaned_data
    state = {
        key: str(data[key])
        for key in ("q", "status", "bot", "stage", "temperature", "language", "review", "sort")
        if data.get(key)
    }
    if state.get("status") == "open":
        del state["status"]
    if state.get("sort") == selectors.DEFAULT_CONVERSATION_SORT:
        del state["sort"]
    if data.get("per_page") and data["per_page"] != 25:
        state["per_page"] = str(data["per_page"])
    return state


def _url(state: dict, **changes) -> str:
    merged = {**state, **{k: str(v) for k, v in changes.items() if v not in (None, "")}}
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
    query = urlencode(merged)
    return reverse("dashboard:conversations") + (f"?{query}" if query else "")


def _columns(state: dict, sort: str) -> dict[str, dict]:
    """The sortable headers by sort key: their link (toggling the direction) and aria-sort."""
    current, descending = sort.removeprefix("-"), sort.startswith("-")
    columns = {}
    for key, label in SORT_LABELS.items():
        active = key == current
        # A first click sorts by name A→Z, and by the others newest/highest first.
        first = key if key == "name" else f"-{key}"
        target = (key if descending else f"-{key}") if active else first
        columns[key] = {
            "label": label,
            "url": _url(state, sort=target, page=None),
            "aria_sort": ("descending" if descending else "ascending") if active else "none",
        }
    return columns


def _is_partial(request: HttpRequest) -> bool:
    """An htmx swap of one section (not a history restore, which needs the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


@require_GET
@vary_on_headers("HX-Request")
@dashboard_view
def conversations(request: HttpRequest) -> HttpResponse:
    """The conversations table: filtered, sorted and paged on the server; state in the URL."""
    data = request.GET.copy()
    data.setdefault("status", "open")
    data.setdefault("per_page", "25")
    form = FilterForm(data)
    if not form.is_valid():
        context = {
            "error": form.error_text(),
            "form": form,
            "filter_fields": _filter_fields(form),
            "reset_url": _url({}),
        }
        template = "dashboard/conversations/_table.html" if _is_partial(request) else None
        return render(request, template or "dashboard/conversations/list.html", context, status=400)
    state = _state(form)
    sort = form.cleaned_data["sort"] or selectors.DEFAULT_CONVERSATION_SORT
    page = selectors.active_conversations(
        filters=form.filters(),
        sort=sort,
        page=form.cleaned_data["page"] or 1,
        per_page=form.cleaned_data["per_page"] or 25,
    )
    _add_cma(page.rows)
    here = _url(state, page=page.page if page.page > 1 else None)
    context = {
        "form": form,
        "filter_fields": _filter_fields(form),
        "partial": _is_partial(request),
        "sort": sort,
        "page": page,
        "rows": page.rows,
        "columns": _columns(state, sort),
        "here": here,
        "here_quoted": quote(here, safe=""),
        "previous_url": _url(state, page=page.page - 1) if page.page > 1 else "",
        "next_url": _url(state, page=page.page + 1) if page.page < page.pages else "",
        "filtered": bool({k for k in state if k not in ("sort", "per_page")}),
        "reset_url": _url({}),
    }
    template = "_table.html" if _is_partial(request) else "list.html"
    return render(request, f"dashboard/conversations/{template}", context)


def _may_want_cma(conversation: Conversation) -> bool:
    """A seller, or a lead who said they sell: the CMA action is offered."""
    return conversation.bot == BotKind.SELLER or conversation.contact.intent in (
        Intent.SELLER,
        Intent.BOTH,
    )


ROW_LINKS = ("detail", "pause", "resume", "advance", "cma")
_ANY_ID = 987654321


def _add_cma(rows: list[selectors.ConversationRow]) -> None:
    """Mark the rows that offer a CMA, with each one's latest report (one query), and give each
    row its links (reversed once per page, not once per row: a row has a dozen)."""
    for row in rows:
        row.offers_cma = _may_want_cma(row.conversation)
    cmas = seller_selectors.latest_cmas(
        contact_ids=[r.conversation.contact_id for r in rows if r.offers_cma]
    )
    patterns = {
        name: reverse(f"dashboard:conversations-{name}", args=[_ANY_ID]) for name in ROW_LINKS
    }
    for row in rows:
        row.cma = cmas.get(row.conversation.contact_id)
        pk = str(row.conversation.pk)
        row.links = {name: url.replace(str(_ANY_ID), pk) for name, url in patterns.items()}


def _filter_fields(form: FilterForm) -> list[dict]:
    """The filter selects, with their choices and the current value (drawn by a plain loop:
    Django's widget templates cost a template render per option)."""
    return [
        {
            "name": name,
            "id": f"id_{name}",
            "label": form[name].label,
            "value": str(form.data.get(name, "")),
            "choices": [(str(value), label) for value, label in form.fields[name].choices],
        }
        for name in FILTER_FIELDS
    ]


# --- A conversation's page ---------------------------------------------------------------------


def _conversation_or_404(conversation_id: int) -> Conversation:
    try:
        return selectors.conversation_with_contact(conversation_id=conversation_id)
    except Conversation.DoesNotExist as exc:
        raise Http404("No such conversation.") from exc


def _before(request: HttpRequest) -> int | None:
    """The ``before`` message id of an "Earlier messages" link (None: the latest)."""
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() else None


def _thread_context(
    conversation: Conversation,
    *,
    reply_form: ReplyForm | None = None,
    before: int | None = None,
) -> dict:
    items, earlier = selectors.conversation_thread(conversation=conversation, before=before)
    engines: dict[str, int] = {}
    for item in items:
        message = item.message
        if message is not None and message.sender == "bot" and message.ai_metadata.get("engine"):
            engine = message.ai_metadata["engine"]
            engines[engine] = engines.get(engine, 0) + 1
    return {
        "conversation": conversation,
        "items": items,
        "earlier": earlier,
        "before": before,
        "engines": sorted(engines.items(), key=lambda pair: -pair[1]),
        "reply_form": reply_form or ReplyForm(),
        "takeover_hours": settings.BOT_HUMAN_TAKEOVER_HOURS,
    }


@require_GET
@dashboard_view
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One conversation: the thread with the bot's reasoning, score history, tickets, CMA."""
    conversation = _conversation_or_404(conversation_id)
    return _render_detail(request, conversation)


def _render_detail(
    request: HttpRequest,
    conversation: Conversation,
    *,
    reply_form: ReplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    contact = conversation.contact
    [row] = selectors.conversation_rows(ids=[conversation.pk])
    scores = selectors.score_history(contact=contact)
    highlighted = request.GET.get("cma", "")
    context = _thread_context(conversation, reply_form=reply_form, before=_before(request)) | {
        "row": row,
        "contact": contact,
        "scores": scores,
        "sparkline": _sparkline([e.data["score"] for e in scores if "score" in e.data]),
        "escalations": selectors.escalation_tickets_of(conversation=conversation),
        "compliance_tickets": selectors.compliance_tickets_of(conversation=conversation),
        "cma_reports": seller_selectors.cma_reports_of(contact=contact),
        "offers_cma": _may_want_cma(conversation),
        "next_stage": conversation_services.next_stage_label(conversation),
        "highlighted_cma": int(highlighted) if highlighted.isdigit() else None,
        "list_url": _safe_next(request, default=reverse("dashboard:conversations")),
    }
    return render(request, "dashboard/conversations/detail.html", context, status=status)


def _sparkline(scores: list[int], *, width: int = 240, height: int = 48) -> dict | None:
    """An SVG polyline of the scores (0 at the bottom, 100 at the top); None for fewer than 2."""
    if len(scores) < 2:
        return None
    step = width / (len(scores) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - score / 100 * (height - 4):.1f}"
        for i, score in enumerate(scores)
    )
    return {
        "points": points,
        "width": width,
        "height": height,
        "first": scores[0],
        "last": scores[-1],
    }


@require_GET
@dashboard_view
def conversation_thread(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The thread and the reply form (the section live updates and replies re-render); with
    ``?before=<message id>``, only the page of messages before that one ("Earlier messages")."""
    conversation = _conversation_or_404(conversation_id)
    before = _before(request)
    template = "_thread.html" if before is None else "_thread_items.html"
    return render(
        request,
        f"dashboard/conversations/{template}",
        _thread_context(conversation, before=before),
    )


# --- Row actions -------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, *, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _done(
    request: HttpRequest, conversation: Conversation, note: str, *, error: int = 0
) -> HttpResponse:
    """After an action: the row again (htmx, from the table) with the note, or back to the
    page it came from with the note as a message. ``error``: the 4xx of a refused action."""
    if _is_partial(request) and request.POST.get("from") == "row":
        rows = selectors.conversation_rows(ids=[conversation.pk])
        _add_cma(rows)
        [row] = rows
        here = _safe_next(request, default=reverse("dashboard:conversations"))
        context = {
            "row": row,
            "note": note,
            "note_is_error": error,
            "here": here,
            "here_quoted": quote(here, safe=""),
        }
        return render(request, "dashboard/conversations/_row.html", context, status=error or 200)
    (messages.error if error else messages.success)(request, note)
    detail = reverse("dashboard:conversations-detail", args=[conversation.pk])
    return redirect(_safe_next(request, default=detail))


def _name(conversation: Conversation) -> str:
    return str(conversation.contact)


@require_POST
@dashboard_view
def pause_bot(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Stop the bot for this lead until someone resumes it."""
    conversation = _conversation_or_404(conversation_id)
    paused = escalation.pause_contact_bot(
        contact=conversation.contact, user=request.user, via="the dashboard"
    )
    name = _name(conversation)
    note = f"The bot is paused for {name}." if paused else f"The bot was already paused for {name}."
    return _done(request, _conversation_or_404(conversation_id), note)


@require_POST
@dashboard_view
def resume_bot(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Hand the lead back to the bot."""
    conversation = _conversation_or_404(conversation_id)
    resumed = escalation.resume_contact_bot(contact=conversation.contact, user=request.user)
    name = _name(conversation)
    note = f"The bot is back on for {name}." if resumed else f"The bot was not paused for {name}."
    return _done(request, _conversation_or_404(conversation_id), note)


@require_POST
@dashboard_view
def advance_stage(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Move the conversation to its next stage."""
    conversation = _conversation_or_404(conversation_id)
    try:
        change = conversation_services.advance_stage(conversation=conversation, user=request.user)
    except ApplicationError as exc:
        return _done(request, conversation, exc.message, error=exc.status_code)
    note = f"{_name(conversation)}: {change.label}."
    return _done(request, _conversation_or_404(conversation_id), note)


@require_POST
@dashboard_view
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Send Jorge's reply through HighLevel; the bot pauses. A reply that may not go is a 400
    that says why, with the text kept in the box."""
    conversation = _conversation_or_404(conversation_id)
    form = ReplyForm(request.POST)
    outcome = None
    if form.is_valid():
        try:
            outcome = conversation_services.reply_as_agent(
                conversation=conversation, user=request.user, body=form.cleaned_data["body"]
            )
        except ApplicationError as exc:
            form.add_error("body", exc.message)
    conversation = _conversation_or_404(conversation_id)  # as the reply left it
    if _is_partial(request):
        context = _thread_context(conversation, reply_form=form if form.errors else None)
        if outcome is not None:
            context |= {"reply_note": outcome.detail, "reply_sent": outcome.sent}
        status = 400 if form.errors else 200
        return render(
            request, "dashboard/conversations/_reply_response.html", context, status=status
        )
    if form.errors:
        return _render_detail(request, conversation, reply_form=form, status=400)
    (messages.success if outcome.sent else messages.warning)(request, outcome.detail)
    return redirect(reverse("dashboard:conversations-detail", args=[conversation.pk]) + "#reply")


# --- CMA ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@dashboard_view
def trigger_cma_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Confirm, then start a CMA of the lead's home; back on the conversation's page, its
    progress shows until the PDF is ready."""
    conversation = _conversation_or_404(conversation_id)
    contact = conversation.contact
    qualification = getattr(contact, "seller_qualification", None)
    initial = {
        "address": getattr(qualification, "address", ""),
        "city": getattr(qualification, "city", "") or contact.area,
    }
    form = CMAForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report = trigger_cma(
                    contact=contact,
                    by=request.user,
                    address=form.cleaned_data["address"],
                    city=form.cleaned_data["city"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"A CMA of {report.address} from the last 7 days still holds: reused."
                    if report.reused
                    else f"CMA requested for {report.address}.",
                )
                detail = reverse("dashboard:conversations-detail", args=[conversation.pk])
                return redirect(f"{detail}?cma={report.pk}#cma")
        status = 400
    context = {
        "conversation": conversation,
        "contact": contact,
        "form": form,
        "recent": seller_selectors.cma_reports_of(contact=contact, limit=1),
        "cancel_url": _safe_next(
            request, default=reverse("dashboard:conversations-detail", args=[conversation.pk])
        ),
    }
    return render(request, "dashboard/conversations/cma_confirm.html", context, status=status)


@require_GET
@dashboard_view
def cma_progress(request: HttpRequest, report_id: int) -> HttpResponse:
    """A CMA report's progress panel; it polls itself while the report is being generated."""
    try:
        report = seller_selectors.cma_report_status(report_id=report_id)
    except CMAReport.DoesNotExist as exc:
        raise Http404("No such CMA report.") from exc
    return render(request, "dashboard/conversations/_cma_progress.html", {"report": report})
