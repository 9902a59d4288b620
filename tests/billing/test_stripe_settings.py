"""Stripe's settings (STRIPE_*): without them the portal takes no online payments; set partly or
wrongly, the portal refuses to start and names the variable."""

from __future__ import annotations

import pytest

from src.settings import Settings

STRIPE = {
    "STRIPE_SECRET_KEY": "sk_test_portal",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_portal",
    "STRIPE_WEBHOOK_SECRET": "whsec_portal",
}


def test_without_stripe_settings_no_online_payment() -> None:
    settings = Settings.from_env({})
    assert not settings.stripe_enabled
    assert settings.stripe_payment_methods == ("card", "ideal", "sepa_debit")


def test_with_stripe_settings_online_payment_with_the_chosen_methods() -> None:
    settings = Settings.from_env(
        {
            **STRIPE,
            "STRIPE_PAYMENT_METHODS": " Card, sepa_debit ",
            "STRIPE_API_BASE": "http://127.0.0.1:8420/",
        }
    )
    assert settings.stripe_enabled
    assert settings.stripe_payment_methods == ("card", "sepa_debit")
    assert settings.stripe_api_base == "http://127.0.0.1:8420"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"STRIPE_SECRET_KEY": "sk_test_portal"}, "STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET"),
        ({**STRIPE, "STRIPE_SECRET_KEY": "pk_test_wrong"}, "STRIPE_SECRET_KEY"),
        ({**STRIPE, "STRIPE_WEBHOOK_SECRET": "secret"}, "STRIPE_WEBHOOK_SECRET"),
        ({**STRIPE, "STRIPE_PAYMENT_METHODS": "card,bitcoin"}, "STRIPE_PAYMENT_METHODS"),
        ({**STRIPE, "STRIPE_API_BASE": "http://stripe.example.org"}, "STRIPE_API_BASE"),
    ],
)
def test_wrong_stripe_settings_stop_the_portal_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Settings.from_env(env)
