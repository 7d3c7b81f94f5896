"""Who may use the MCP tools: a program with an API token (leads.ApiToken, the REST API's,
checked by the same service) of Jorge or his staff, as the dashboard allows. Read scope is
enough: every tool only reads."""

from dataclasses import dataclass

from analytics.access import can_see_everything
from leads.exceptions import ApiTokenRefused
from leads.services.api_tokens import authenticate_api_token


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


def refusal_for(*, authorization: str) -> Refusal | None:
    """Why a request with this Authorization header may not use the tools, or None."""
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or " " in secret:
        return Refusal(
            401, "not_authenticated", "Send an API token: 'Authorization: Bearer <token>'."
        )
    try:
        token = authenticate_api_token(secret=secret)
    except ApiTokenRefused as exc:
        return Refusal(401, exc.code, exc.message)
    if not can_see_everything(token.user):
        return Refusal(403, "permission_denied", "The MCP tools are for Jorge and his staff.")
    return None
