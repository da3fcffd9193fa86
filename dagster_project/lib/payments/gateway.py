"""What the push engine needs from a provider; each provider module implements it."""

from __future__ import annotations

import functools
import ssl
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import httpx

from dagster_project.lib.payments.calls import Call, FrozenRequest, Lookup
from dagster_project.lib.payments.candidates import Candidate
from dagster_project.lib.payments.outcome import Outcome


@dataclass(frozen=True)
class ProviderSettings:
    """A provider's endpoint and credentials. The key is never printed (repr=False) and
    only ever leaves this object in a request header."""

    api_base: str
    api_key: str = field(repr=False)
    api_version: str | None = None
    merchant_account: str | None = None


def http_client(
    settings: ProviderSettings, concurrency: int, connect_s: float, read_s: float
) -> httpx.Client:
    """One pooled client per provider, shared by the worker threads (httpx.Client is
    thread-safe). No transport retries: every retry goes through the ledger."""
    return httpx.Client(
        base_url=settings.api_base.rstrip("/"),
        verify=_ssl_context(),
        timeout=httpx.Timeout(
            connect=connect_s, read=read_s, write=read_s, pool=connect_s + read_s
        ),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        follow_redirects=False,
    )


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """httpx's default context (certifi's CAs), built once: loading the CAs takes ~60 ms."""
    return httpx.create_ssl_context()


class Gateway(ABC):
    """Builds and classifies one provider's requests. Stateless apart from its client."""

    provider: ClassVar[str]
    fetch_supported: ClassVar[bool] = False
    search_supported: ClassVar[bool] = False

    def __init__(self, settings: ProviderSettings, client: httpx.Client):
        self.settings = settings
        self.client = client

    @abstractmethod
    def is_live(self) -> bool:
        """Whether the key or endpoint moves real money."""

    @abstractmethod
    def find_payment_method(self, provider_customer_id: str) -> Lookup:
        """The customer's card / mandate / stored method (Lago reads it before charging)."""

    @abstractmethod
    def build_create(self, invoice: Candidate, key: str, payment_method: str) -> FrozenRequest:
        """The create request's body, frozen into the ledger when the payment is claimed."""

    @abstractmethod
    def create_request(self, frozen: FrozenRequest, key: str) -> httpx.Request:
        """The frozen body with the credentials and the idempotency key."""

    @abstractmethod
    def classify_create(self, response: httpx.Response, body: dict | None) -> Outcome:
        """A pure function of the response: status, headers, JSON body."""

    def fetch(self, provider_payment_id: str) -> Call:
        """The payment's current status (when `fetch_supported`)."""
        raise NotImplementedError(f"{self.provider} has no endpoint to read a payment back")

    def search(self, key: str) -> Call:
        """A payment created earlier under `key`, found by its metadata (when
        `search_supported`: Stripe, whose keys expire after 24 hours)."""
        raise NotImplementedError(f"{self.provider} needs no search by key")
