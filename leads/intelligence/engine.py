"""The one door to lead intelligence: Claude when a key is set, the offline engine otherwise.

Claude failing in any way (timeout, API error, output that does not validate) never fails
the caller: the offline engine answers, and the reason is logged and, for replies, stored
with the message. An engine only words what the bot decided; it returns text, never
recipients or actions.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from django.conf import settings

from compliance.rules.privacy import without_sensitive_sentences
from compliance.rules.sensitive_topics import touches_sensitive_topic
from config import performance

from . import claude, mesh
from .offline import analyze_offline
from .replies import ReplyDraft, ReplyRequest, validate_reply
from .schema import LeadAnalysis
from .scoring import with_score
from .summaries import HandoverSummary, SummaryRequest, summarize_offline, validate_summary

logger = logging.getLogger(__name__)


def _reason(exc: Exception) -> str:
    if isinstance(exc, claude.ClaudeError):
        return exc.reason
    return f"error:{type(exc).__name__}"


def engine_calls_out() -> bool:
    """Whether analysing and wording go to Claude (a network call) rather than the offline engine."""
    return bool(settings.ANTHROPIC_API_KEY)


def analyze_lead(*, message: str, history: list[str] | None = None) -> LeadAnalysis:
    """Qualify a lead from its latest message (and earlier ones), scored by the shared rules.

    A sentence that carries sensitive data is not read: an SSN "for the pre-approval" is not
    a pre-approval, and its digits are not a budget.
    """
    message = without_sensitive_sentences(message)
    history = [without_sensitive_sentences(earlier) for earlier in history or []]
    offline = analyze_offline(message=message, history=history)
    if not settings.ANTHROPIC_API_KEY:
        return offline
    try:
        analysis = _analyze_with_claude(message=message, history=history)
    except Exception as exc:  # any failure of the optional engine falls back, by design
        logger.warning("claude_fallback task=analysis reason=%s", _reason(exc))
        spent = (getattr(exc, "usage", None) or {}).get("cost_usd", 0.0)
        return dataclasses.replace(offline, cost_usd=spent)
    if analysis.language != offline.language:
        # The reply language follows the whole conversation by one rule (offline._language),
        # not the model's reading of the latest message: "ok perfecto, thank you" changes nothing.
        analysis = dataclasses.replace(analysis, language=offline.language)
    if offline.opt_out and not analysis.opt_out:
        # An opt-out the deterministic rules see is never overruled by the model.
        analysis = with_score(dataclasses.replace(analysis, opt_out=True))
    return analysis


def _analyze_with_claude(*, message: str, history: list[str]) -> LeadAnalysis:
    if not mesh.mesh_enabled():
        return claude.analyze_with_claude(message=message, history=history)
    analysis, _route = mesh.call(
        "extraction",
        lambda model: claude.analyze_with_claude(message=message, history=history, model=model),
    )
    return analysis


def _compose_with_claude(request: ReplyRequest) -> ReplyDraft:
    if not mesh.mesh_enabled():
        return claude.compose_reply_with_claude(request)
    draft, route = mesh.call(
        "reply", lambda model: claude.compose_reply_with_claude(request, model=model)
    )
    return dataclasses.replace(draft, route=route.as_metadata())


def _offline_draft(request: ReplyRequest, *, reason: str = "", **spent) -> ReplyDraft:
    # The reason's kind ("timeout", "api_error", "invalid_reply"), without its details.
    kind = reason.split(":", 1)[0] if reason else "no_api_key"
    performance.tracker.count(performance.AI_OFFLINE_REPLY, kind)
    return ReplyDraft(text=request.fallback_text, engine="offline", fallback_reason=reason, **spent)


def compose_reply(request: ReplyRequest) -> ReplyDraft:
    """Word the bot's decided reply: Claude's text if it passes every check, else the template."""
    if not settings.ANTHROPIC_API_KEY:
        return _offline_draft(request)
    started = time.perf_counter()
    try:
        draft = _compose_with_claude(request)
    except Exception as exc:  # any failure of the optional engine falls back, by design
        reason = _reason(exc)
        logger.warning(
            "claude_fallback task=reply bot=%s goal=%s reason=%s", request.bot, request.goal, reason
        )
        spent = getattr(exc, "usage", None) or {}
        route = exc.route.as_metadata() if isinstance(exc, mesh.MeshExhaustedError) else {}
        return _offline_draft(
            request,
            reason=reason,
            latency_ms=(time.perf_counter() - started) * 1000,
            route=route,
            **spent,
        )
    problems = validate_reply(
        draft.text,
        language=request.language,
        max_chars=request.max_chars,
        allowed_link_hosts=settings.BOT_ALLOWED_LINK_HOSTS,
        reference_text=request.fallback_text,
        protected_texts=claude.PROTECTED_PROMPTS,
        require_disclosure=request.is_first_message,
    )
    if problems:
        reason = "invalid_reply:" + ",".join(problems)
        logger.warning(
            "claude_fallback task=reply bot=%s goal=%s reason=%s", request.bot, request.goal, reason
        )
        # Keep the model, tokens and cost: they were spent even though the text is not sent.
        performance.tracker.count(performance.AI_OFFLINE_REPLY, "invalid_reply")
        return dataclasses.replace(
            draft, text=request.fallback_text, engine="offline", fallback_reason=reason
        )
    return draft


def _mesh_calls_out() -> bool:
    # The summary and the second opinion are the mesh's tasks only: without the flag (or a
    # key) there is no call at all, as before the mesh.
    return mesh.mesh_enabled() and bool(settings.ANTHROPIC_API_KEY)


def summarize_conversation(request: SummaryRequest) -> HandoverSummary:
    """A hand-over summary: the mesh's ``summary`` task when it may call out and its text
    validates (``validate_summary``), else the rule-based one. Never call it holding a lock."""
    offline = summarize_offline(request)
    if not _mesh_calls_out():
        return HandoverSummary(text=offline, engine="offline")
    try:
        (text, usage), route = mesh.call(
            "summary",
            lambda model: claude.summarize_with_claude(
                reason=request.reason,
                facts=request.facts,
                transcript=request.transcript,
                model=model,
            ),
        )
    except Exception as exc:  # any failure of the optional engine falls back, by design
        reason = _reason(exc)
        logger.warning("claude_fallback task=summary reason=%s", reason)
        spent = (getattr(exc, "usage", None) or {}).get("cost_usd", 0.0)
        route = exc.route.as_metadata() if isinstance(exc, mesh.MeshExhaustedError) else {}
        return HandoverSummary(
            text=offline, engine="offline", cost_usd=spent, fallback_reason=reason, route=route
        )
    text, problems = validate_summary(text)
    if problems:
        reason = "invalid_summary:" + ",".join(problems)
        logger.warning("claude_fallback task=summary reason=%s", reason)
        return HandoverSummary(
            text=offline,
            engine="offline",
            model=usage["model"],
            cost_usd=usage["cost_usd"],
            fallback_reason=reason,
            route=route.as_metadata(),
        )
    return HandoverSummary(
        text=text,
        engine="claude",
        model=usage["model"],
        cost_usd=usage["cost_usd"],
        route=route.as_metadata(),
    )


def second_opinion(*, text: str, language: str) -> claude.SecondOpinion | None:
    """A model's compliance verdict on a bot reply the rules passed, when it touches a
    sensitive topic (``touches_sensitive_topic``) and the mesh may call out; ``None`` when
    no model is asked. When none can answer (or one answers badly) the verdict is "no
    violation" with its ``fallback_reason``: the rules alone decide, and an outage never
    blocks the conversation."""
    if not _mesh_calls_out() or not touches_sensitive_topic(text):
        return None
    try:
        opinion, route = mesh.call(
            "compliance",
            lambda model: claude.second_opinion_with_claude(
                text=text, language=language, model=model
            ),
        )
    except Exception as exc:  # an outage or a bad answer: the rules alone decide
        reason = _reason(exc)
        logger.warning("claude_fallback task=compliance reason=%s", reason)
        usage = getattr(exc, "usage", None) or {}
        return claude.SecondOpinion(
            violation=False,
            type="none",
            reason="",
            model=usage.get("model", ""),
            cost_usd=usage.get("cost_usd", 0.0),
            fallback_reason=reason,
            route=exc.route.as_metadata() if isinstance(exc, mesh.MeshExhaustedError) else {},
        )
    return dataclasses.replace(opinion, route=route.as_metadata())
