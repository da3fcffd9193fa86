"""Payment provider resources: endpoints and keys from environment variables.

| resource     | variables (unset: the default shown, or the provider is skipped)          |
|--------------|---------------------------------------------------------------------------|
| `stripe`     | STRIPE_SECRET_KEY, STRIPE_API_BASE (https://api.stripe.com)               |
| `gocardless` | GOCARDLESS_ACCESS_TOKEN, GOCARDLESS_API_BASE (api-sandbox.gocardless.com) |
| `adyen`      | ADYEN_API_KEY, ADYEN_MERCHANT_ACCOUNT, ADYEN_CHECKOUT_BASE (checkout-test)|

A variable that is set is passed as `dg.EnvVar`: read when a run starts, never shown in
the UI. Without a key the push says so and skips that provider's invoices, so a billing
run without payment credentials still succeeds.
"""

import dagster as dg

from dagster_project.lib.payments import adyen, gocardless, stripe
from dagster_project.lib.payments.gateway import ProviderSettings


class StripeResource(dg.ConfigurableResource):
    """Stripe's API (PaymentIntents)."""

    api_base: str = "https://api.stripe.com"
    secret_key: str | None = None
    api_version: str = stripe.API_VERSION

    def provider_settings(self) -> ProviderSettings | str:
        """The settings, or why the provider is skipped."""
        if not self.secret_key:
            return "STRIPE_SECRET_KEY is not set"
        return ProviderSettings(self.api_base, self.secret_key, self.api_version)


class GoCardlessResource(dg.ConfigurableResource):
    """GoCardless' API (payments against mandates). The default base URL is the sandbox."""

    api_base: str = "https://api-sandbox.gocardless.com"
    access_token: str | None = None
    api_version: str = gocardless.API_VERSION

    def provider_settings(self) -> ProviderSettings | str:
        if not self.access_token:
            return "GOCARDLESS_ACCESS_TOKEN is not set"
        return ProviderSettings(self.api_base, self.access_token, self.api_version)


class AdyenResource(dg.ConfigurableResource):
    """Adyen's Checkout API; the base URL includes the API version. Default: test."""

    checkout_base: str = "https://checkout-test.adyen.com/v71"
    api_key: str | None = None
    merchant_account: str | None = None

    def provider_settings(self) -> ProviderSettings | str:
        if not self.api_key:
            return "ADYEN_API_KEY is not set"
        if not self.merchant_account:
            return "ADYEN_MERCHANT_ACCOUNT is not set"
        return ProviderSettings(
            self.checkout_base, self.api_key, merchant_account=self.merchant_account
        )


GATEWAYS = {
    "stripe": stripe.StripeGateway,
    "gocardless": gocardless.GoCardlessGateway,
    "adyen": adyen.AdyenGateway,
}


def _set_env_vars(**fields: str) -> dict[str, dg.EnvVar]:
    """`field=EnvVar(name)` for each variable that is set; the others keep their default."""
    return {field: dg.EnvVar(name) for field, name in fields.items() if dg.EnvVar(name).get_value()}


@dg.definitions
def payment_resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "stripe": StripeResource(
                **_set_env_vars(api_base="STRIPE_API_BASE", secret_key="STRIPE_SECRET_KEY")
            ),
            "gocardless": GoCardlessResource(
                **_set_env_vars(
                    api_base="GOCARDLESS_API_BASE", access_token="GOCARDLESS_ACCESS_TOKEN"
                )
            ),
            "adyen": AdyenResource(
                **_set_env_vars(
                    checkout_base="ADYEN_CHECKOUT_BASE",
                    api_key="ADYEN_API_KEY",
                    merchant_account="ADYEN_MERCHANT_ACCOUNT",
                )
            ),
        }
    )
