"""Authenticity of HighLevel webhooks: public-key signatures over the raw request body.

HighLevel signs with its private key; we hold only public keys, so nothing here is a
secret. Two schemes exist (research notes, ``shared/ghl/NOTES.md`` §2):

- ``x-ghl-signature``: Ed25519, base64. When present it is the only header checked.
- ``x-wh-signature``: RSA-SHA256 PKCS#1 v1.5, base64 (the legacy scheme).

Which bytes HighLevel signs is not settled (its SDKs verify ``JSON.stringify`` of the
parsed body, third parties the raw body), so the raw bytes are tried first and the
compact re-serialised JSON second. A missing, empty, ``N/A`` or wrong signature fails
closed; HighLevel's own SDKs skip verification in that case, we do not.
"""

import base64
import binascii
import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.conf import settings

from config import json_input
from leads.ghl import events

ED25519_HEADER = "x-ghl-signature"
RSA_HEADER = "x-wh-signature"

# HighLevel's published RSA key, as printed in docs/oauth/WebhookAuthentication.md.
HIGHLEVEL_RSA_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEAokvo/r9tVgcfZ5DysOSC
Frm602qYV0MaAiNnX9O8KxMbiyRKWeL9JpCpVpt4XHIcBOK4u3cLSqJGOLaPuXw6
dO0t6Q/ZVdAV5Phz+ZtzPL16iCGeK9po6D6JHBpbi989mmzMryUnQJezlYJ3DVfB
csedpinheNnyYeFXolrJvcsjDtfAeRx5ByHQmTnSdFUzuAnC9/GepgLT9SM4nCpv
uxmZMxrJt5Rw+VUaQ9B8JSvbMPpez4peKaJPZHBbU3OdeCVx5klVXXZQGNHOs8gF
3kvoV5rTnXV0IknLBXlcKKAQLZcY/Q9rG6Ifi9c+5vqlvHPCUJFT5XUGG5RKgOKU
J062fRtN+rLYZUV+BjafxQauvC8wSWeYja63VSUruvmNj8xkx2zE/Juc+yjLjTXp
IocmaiFeAO6fUtNjDeFVkhf5LNb59vECyrHD2SQIrhgXpO4Q3dVNA5rw576PwTzN
h/AMfHKIjE4xQA1SZuYJmNnmVZLIZBlQAF9Ntd03rfadZ+yDiOXCCs9FkHibELhC
HULgCsnuDJHcrGNd5/Ddm5hxGQ0ASitgHeMZ0kcIOwKDOzOU53lDza6/Y09T7sYJ
PQe7z0cvj7aE4B+Ax1ZoZGPzpJlZtGXCsu9aTEGEnKzmsFqwcSsnw3JB31IGKAyk
T1hhTiaCeIY/OwwwNUY2yvcCAwEAAQ==
-----END PUBLIC KEY-----
"""

# Not read in a HighLevel-owned source (NOTES.md §2: UNCONFIRMED); it is the key many
# independent integrations hard-code from the live Webhook Integration Guide. Set
# GHL_WEBHOOK_ED25519_PUBLIC_KEY from the app's settings page to be sure.
HIGHLEVEL_ED25519_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=
-----END PUBLIC KEY-----
"""

_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)
_MISSING_VALUES = {"", "n/a", "na", "none", "null", "undefined"}


class KeyConfigurationError(Exception):
    """A configured public key cannot be read; verification must not silently pass."""


@dataclass(frozen=True)
class Verification:
    ok: bool
    scheme: str = ""
    reason: str = ""


def _pem_blocks(value: str | list | tuple | None, default: str) -> tuple[str, ...]:
    # Several keys may be trusted at once while HighLevel rotates: a list in settings,
    # or several PEM blocks in one environment variable.
    values = [default] if not value else [value] if isinstance(value, str) else list(value)
    blocks: list[str] = []
    for item in values:
        text = str(item).replace("\\n", "\n")
        found = _PEM_BLOCK.findall(text)
        if not found:
            raise KeyConfigurationError("A HighLevel webhook public key is not a PEM block.")
        blocks.extend(found)
    return tuple(blocks)


@functools.lru_cache(maxsize=16)
def _load_keys(pems: tuple[str, ...], kind: str) -> tuple:
    keys = []
    for pem in pems:
        try:
            key = serialization.load_pem_public_key(pem.encode())
        except ValueError as exc:
            raise KeyConfigurationError(f"Cannot read a HighLevel {kind} key: {exc}") from exc
        expected = ed25519.Ed25519PublicKey if kind == "ed25519" else rsa.RSAPublicKey
        if not isinstance(key, expected):
            raise KeyConfigurationError(f"The configured HighLevel {kind} key is of another type.")
        keys.append(key)
    return tuple(keys)


def ed25519_public_keys() -> tuple[ed25519.Ed25519PublicKey, ...]:
    """The Ed25519 keys trusted for ``x-ghl-signature`` (settings, else HighLevel's)."""
    pems = _pem_blocks(
        getattr(settings, "GHL_WEBHOOK_ED25519_PUBLIC_KEY", ""), HIGHLEVEL_ED25519_PUBLIC_KEY
    )
    return _load_keys(pems, "ed25519")


def rsa_public_keys() -> tuple[rsa.RSAPublicKey, ...]:
    """The RSA keys trusted for ``x-wh-signature`` (settings, else HighLevel's)."""
    pems = _pem_blocks(
        getattr(settings, "GHL_WEBHOOK_RSA_PUBLIC_KEY", ""), HIGHLEVEL_RSA_PUBLIC_KEY
    )
    return _load_keys(pems, "rsa")


def _header(headers, name: str) -> str:
    value = (headers.get(name) or "").strip()
    return "" if value.lower() in _MISSING_VALUES else value


def _decode(signature: str) -> bytes | None:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return None


def _compact_json(raw: bytes) -> bytes | None:
    # What the official SDKs sign: JSON.stringify(JSON.parse(body)), which writes a lone
    # surrogate as its \uXXXX escape. Read within bounds: the body is not authentic yet.
    try:
        parsed = json_input.loads(raw)
    except ValueError:
        return None
    compact = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False)
    return events.storable_json_text(compact).encode()


def _verify_ed25519(key: ed25519.Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _verify_rsa(key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def verify_signature(*, headers, body: bytes) -> Verification:
    """Check ``body`` against HighLevel's signature headers; ``headers`` is case-insensitive."""
    ed_signature = _header(headers, ED25519_HEADER)
    if ed_signature:
        scheme, header, keys, check = (
            "ed25519",
            ED25519_HEADER,
            ed25519_public_keys(),
            _verify_ed25519,
        )
        signature = ed_signature
    else:
        signature = _header(headers, RSA_HEADER)
        if not signature:
            return Verification(ok=False, reason="missing_signature")
        scheme, header, keys, check = "rsa-sha256", RSA_HEADER, rsa_public_keys(), _verify_rsa

    decoded = _decode(signature)
    if not decoded:
        return Verification(ok=False, scheme=scheme, reason=f"malformed {header}")
    if any(check(key, decoded, body) for key in keys):
        return Verification(ok=True, scheme=scheme)
    compact = _compact_json(body)
    if compact is not None and compact != body and any(check(k, decoded, compact) for k in keys):
        return Verification(ok=True, scheme=f"{scheme}-json")
    return Verification(ok=False, scheme=scheme, reason="invalid_signature")


def timestamp_problem(*, timestamp: datetime | None, now: datetime) -> str:
    """Why a payload ``timestamp`` is outside the replay window, or "" when acceptable.

    The window is wide on the past side on purpose: HighLevel redelivers the same signed
    payload for over an hour, and duplicate ``webhookId``s are stopped by the database.
    A payload without a timestamp (all the documented examples) is accepted.
    """
    if timestamp is None:
        return ""
    if timestamp > now + timedelta(seconds=settings.GHL_WEBHOOK_MAX_FUTURE_SKEW_SECONDS):
        return "timestamp_in_future"
    if timestamp < now - timedelta(seconds=settings.GHL_WEBHOOK_MAX_AGE_SECONDS):
        return "timestamp_too_old"
    return ""
