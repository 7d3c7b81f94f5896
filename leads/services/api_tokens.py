"""API tokens: issue one (the secret is shown once), revoke one, and note when one is used."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from compliance.services import audit
from leads.exceptions import ApiTokenError, ApiTokenRefused
from leads.models import ApiToken

# "jrg_" marks our secrets (a secret scanner can recognise a leaked one); 32 random bytes.
SECRET_PREFIX = "jrg_"  # noqa: S105 (a marker, not a secret)
# last_used_at is written at most this often per token: not a write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; only its hash is stored


def hash_secret(secret: str) -> str:
    """The stored form of a secret (SHA-256: the secret is random, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_api_token(
    *, user: AbstractBaseUser, name: str, scope: str, by: AbstractBaseUser | None
) -> IssuedToken:
    """Make a token for ``user`` and return it with its secret, which is never stored."""
    if scope not in ApiToken.Scope.values:
        raise ApiTokenError(f"Unknown scope {scope!r}.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            scope=scope,
            prefix=secret[: len(SECRET_PREFIX) + 6],
            secret_hash=hash_secret(secret),
        )
        audit(
            action="api_token.issued",
            subject=token,
            user=by,
            data={"name": name, "scope": scope, "for": user.get_username()},
        )
    return IssuedToken(token=token, secret=secret)


def revoke_api_token(*, token: ApiToken, by: AbstractBaseUser | None) -> bool:
    """Refuse the token from now on; False when it was already revoked."""
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            audit(action="api_token.revoked", subject=token, user=by, data={"name": token.name})
    token.refresh_from_db(fields=["revoked_at"])
    return bool(changed)


def note_api_token_used(*, token: ApiToken) -> None:
    """Record that the token was just used (at most once a minute per token)."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def authenticate_api_token(*, secret: str) -> ApiToken:
    """The live token whose secret this is (its user loaded), noted as used; ApiTokenRefused
    when it is unknown, revoked or its user inactive. The REST API and the MCP server both
    let a program in through here."""
    token = ApiToken.objects.select_related("user").filter(secret_hash=hash_secret(secret)).first()
    if token is None:
        raise ApiTokenRefused("Unknown API token.")
    if token.is_revoked:
        raise ApiTokenRefused("This API token was revoked.")
    if not token.user.is_active:
        raise ApiTokenRefused("The token's user is inactive.")
    note_api_token_used(token=token)
    return token
