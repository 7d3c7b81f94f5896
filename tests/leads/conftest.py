"""Fixtures for HighLevel webhook tests: test key pairs configured through settings,
and a client that signs deliveries the way HighLevel does."""

import base64
import json
from pathlib import Path

import httpx2
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.test import Client

from leads.intelligence import claude
from leads.services import inbound
from tests.leads.claude_fake import FakeAnthropic

SAMPLES_DIR = Path(__file__).parent / "fixtures" / "ghl"
WEBHOOK_URL = "/webhooks/ghl/"
WORKFLOW_URL = "/webhooks/ghl/workflow/"


def load_sample(name: str) -> dict:
    return json.loads((SAMPLES_DIR / f"{name}.json").read_text())


def _public_pem(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="session")
def _key_pairs():
    # RSA key generation is slow; one set of pairs serves the whole session.
    return {
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed25519_next": ed25519.Ed25519PrivateKey.generate(),
        "ed25519_untrusted": ed25519.Ed25519PrivateKey.generate(),
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "rsa_untrusted": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


class Signer:
    """Signs bodies the way HighLevel does, with the test keys."""

    def __init__(self, keys):
        self.keys = keys

    def ed25519(self, body: bytes, key: str = "ed25519") -> str:
        return base64.b64encode(self.keys[key].sign(body)).decode()

    def rsa(self, body: bytes, key: str = "rsa") -> str:
        signature = self.keys[key].sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def headers(self, body: bytes, scheme: str = "ed25519") -> dict:
        if scheme == "ed25519":
            return {"HTTP_X_GHL_SIGNATURE": self.ed25519(body)}
        return {"HTTP_X_WH_SIGNATURE": self.rsa(body)}


@pytest.fixture
def ghl_keys(settings, _key_pairs):
    """Trust the test public keys (as GHL_WEBHOOK_*_PUBLIC_KEY would in the environment)."""
    settings.GHL_WEBHOOK_ED25519_PUBLIC_KEY = _public_pem(_key_pairs["ed25519"])
    settings.GHL_WEBHOOK_RSA_PUBLIC_KEY = _public_pem(_key_pairs["rsa"])
    return _key_pairs


@pytest.fixture
def signer(ghl_keys):
    return Signer(ghl_keys)


@pytest.fixture
def public_pem():
    return _public_pem


class WebhookPoster:
    def __init__(self, client: Client, signer: Signer, capture):
        self.client = client
        self.signer = signer
        self.capture = capture

    def post(self, payload, *, scheme="ed25519", url=WEBHOOK_URL, body=None, **extra):
        """POST ``payload`` (or raw ``body``) signed with ``scheme`` (None = unsigned)."""
        if body is None:
            body = json.dumps(payload).encode()
        headers = self.signer.headers(body, scheme) if scheme else {}
        headers.update(extra)
        headers.setdefault("content_type", "application/json")
        # Processing is enqueued on commit; run it as a worker would, right after.
        with self.capture(execute=True):
            return self.client.post(url, data=body, **headers)


@pytest.fixture
def ghl(db, signer, django_capture_on_commit_callbacks):
    """Posts signed HighLevel deliveries to the webhook endpoint; processing runs on commit."""
    return WebhookPoster(Client(), signer, django_capture_on_commit_callbacks)


@pytest.fixture
def inbound_handler_calls(monkeypatch):
    """Records the message ids handed to the inbound-message handlers (the bot's entry point)."""
    calls: list[int] = []
    monkeypatch.setattr(inbound, "INBOUND_MESSAGE_HANDLERS", [])
    inbound.register_inbound_handler(calls.append)
    return calls


@pytest.fixture
def claude_settings(settings):
    settings.ANTHROPIC_API_KEY = "test-key"
    settings.ANTHROPIC_BASE_URL = ""
    settings.ANTHROPIC_TIMEOUT = 20.0
    settings.ANTHROPIC_MAX_RETRIES = 1
    settings.ANTHROPIC_MODEL_FAST = "claude-haiku-4-5"
    settings.ANTHROPIC_MODEL_REPLY = "claude-sonnet-4-6"
    settings.BOT_ALLOWED_LINK_HOSTS = []
    return settings


@pytest.fixture
def fake_claude(claude_settings, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    fake = FakeAnthropic()
    claude.use_http_client(httpx2.Client(transport=httpx2.MockTransport(fake.handler)))
    yield fake
    claude.use_http_client(None)
