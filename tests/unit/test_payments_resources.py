"""Provider resources: keys from environment variables, a provider without one is skipped."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.defs.payments.resources import (
    AdyenResource,
    GoCardlessResource,
    StripeResource,
    payment_resources,
)

VARIABLES = (
    "STRIPE_SECRET_KEY",
    "STRIPE_API_BASE",
    "GOCARDLESS_ACCESS_TOKEN",
    "GOCARDLESS_API_BASE",
    "ADYEN_API_KEY",
    "ADYEN_MERCHANT_ACCOUNT",
    "ADYEN_CHECKOUT_BASE",
)


@pytest.fixture
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_keys_every_provider_says_why_it_is_skipped(clean_env):
    resources = payment_resources().resources
    reasons = {
        name: resources[name].provider_settings() for name in ("stripe", "gocardless", "adyen")
    }
    assert reasons == {
        "stripe": "STRIPE_SECRET_KEY is not set",
        "gocardless": "GOCARDLESS_ACCESS_TOKEN is not set",
        "adyen": "ADYEN_API_KEY is not set",
    }


def test_set_variables_become_env_vars_read_at_run_time(clean_env):
    clean_env.setenv("STRIPE_SECRET_KEY", "sk_test_abc")
    clean_env.setenv("STRIPE_API_BASE", "http://127.0.0.1:1")
    stripe = payment_resources().resources["stripe"]
    assert stripe.secret_key == dg.EnvVar("STRIPE_SECRET_KEY")
    assert stripe.api_base == dg.EnvVar("STRIPE_API_BASE")
    adyen = payment_resources().resources["adyen"]
    assert adyen.checkout_base == "https://checkout-test.adyen.com/v71"  # unset: the default


def test_resources_hand_over_settings_with_the_key_out_of_sight():
    settings = StripeResource(api_base="http://x", secret_key="sk_test_hidden").provider_settings()
    assert settings.api_key == "sk_test_hidden" and "sk_test_hidden" not in repr(settings)
    assert (
        GoCardlessResource(access_token="sandbox_1")
        .provider_settings()
        .api_base.endswith("sandbox.gocardless.com")
    )
    assert AdyenResource(api_key="k").provider_settings() == "ADYEN_MERCHANT_ACCOUNT is not set"
