"""Card top-ups through Stripe Checkout (issue 26), against `imagegate stripe-emulator`, a fake Stripe written for
the suite because Stripe's own mock cannot be installed here. Its fidelity is checked with Stripe's official Python
library, as a client (form encoding, idempotency, errors) and as the verifier of the fake's signed events. Then the
money: a paid order is credited exactly once however its events arrive (three times, out of order, late), a bad or
stale signature credits nothing, an amount that is not the order's is flagged and not credited, and a refund after
half the credit was spent takes back the unspent half; the books audit is clean after each.
"""

import json
import re
import subprocess

import pytest
import requests
import stripe

from conftest import BINARY, Process, free_port, micros, wait_for

SECRET = "whsec_e2e_payments"
ADMIN = "payments-admin-token-0123456789abcdef"


class Payments:
    """The fake Stripe and `imagegate serve` wired to each other."""

    def __init__(self, tmp_path, *serve_options: str):
        self.stripe_port, port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.fake = f"http://127.0.0.1:{self.stripe_port}"
        self.fake_process = Process(["stripe-emulator", "--port", str(self.stripe_port), "--webhook-url", f"{self.base}/webhooks/stripe",
                                     "--webhook-secret", SECRET], f"stripe-{self.stripe_port}")
        wait_for(f"{self.fake}/_emulator/stats")
        self.data = str(tmp_path / "data")
        self.server = Process(["serve", "--port", str(port), "--data-dir", self.data, "--admin-token", ADMIN,
                               "--stripe-secret-key", "sk_test_e2e", "--stripe-webhook-secret", SECRET, "--stripe-api-base", self.fake,
                               *serve_options], f"payments-serve-{port}")
        wait_for(f"{self.base}/health")
        self.key = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", self.server.output()).group(1)

    def headers(self, key: str | None = None) -> dict:
        return {"Authorization": f"Bearer {key or self.key}"}

    def new_account(self, name: str) -> str:
        """An account with no credit, and its key."""
        admin = {"Authorization": f"Bearer {ADMIN}"}
        created = requests.post(f"{self.base}/admin/v1/accounts", headers=admin, json={"name": name}, timeout=10)
        assert created.status_code == 201, created.text
        key = requests.post(f"{self.base}/admin/v1/accounts/{name}/keys", headers=admin, json={}, timeout=10)
        assert key.status_code == 201, key.text
        return key.json()["key"]

    def checkout(self, amount: str, key: str | None = None) -> dict:
        answer = requests.post(f"{self.base}/v1/billing/checkout", headers=self.headers(key), json={"amount_usd": amount}, timeout=30)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def balance(self, key: str | None = None) -> int:
        return micros(requests.get(f"{self.base}/v1/account", headers=self.headers(key), timeout=10).json()["balance_usd"])

    def events(self) -> list:
        return requests.get(f"{self.fake}/_emulator/events", timeout=10).json()["data"]

    def resend(self, event_id: str, stale: bool = False) -> int:
        return requests.post(f"{self.fake}/_emulator/events/{event_id}/resend" + ("?stale=1" if stale else ""), timeout=30).json()["status"]

    def order(self, order_id: str, key: str | None = None) -> dict:
        return requests.get(f"{self.base}/v1/billing/checkout/{order_id}", headers=self.headers(key), timeout=10).json()

    def stop_and_audit(self):
        self.server.stop()
        self.fake_process.stop()
        audit = subprocess.run([BINARY, "audit", "--data-dir", self.data], capture_output=True, text=True, timeout=120)
        assert audit.returncode == 0 and "audit: clean" in audit.stdout, audit.stdout + audit.stderr


@pytest.fixture
def payments(tmp_path):
    started = Payments(tmp_path, "--topup-min-usd", "0.01")
    yield started
    started.server.stop()
    started.fake_process.stop()


def session_id(order: dict) -> str:
    return order["checkout_url"].rsplit("/", 1)[1]


def test_stripes_own_library_accepts_the_fake_as_stripe(tmp_path):
    """The official client creates, replays (Idempotency-Key), refuses a reused key, retrieves and expires sessions on
    the fake; the official verifier accepts the fake's signed events and refuses a tampered one."""
    port = free_port()
    fake = Process(["stripe-emulator", "--port", str(port), "--webhook-secret", SECRET], f"stripe-lib-{port}")
    try:
        wait_for(f"http://127.0.0.1:{port}/_emulator/stats")
        client = stripe.StripeClient("sk_test_library", base_addresses={"api": f"http://127.0.0.1:{port}"})
        params = {"mode": "payment", "client_reference_id": "ord_library", "success_url": "https://example.com/ok",
                  "cancel_url": "https://example.com/cancel", "metadata": {"order_id": "ord_library"},
                  "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 1234, "product_data": {"name": "credit"}}}]}
        session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "library-1"})
        assert session.amount_total == 1234 and session.currency == "usd" and session.status == "open"
        assert session.client_reference_id == "ord_library" and session.metadata["order_id"] == "ord_library"
        again = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": "library-1"})
        assert again.id == session.id, "the same key replays the first answer"
        with pytest.raises(stripe.IdempotencyError):
            client.v1.checkout.sessions.create(params={**params, "client_reference_id": "other"}, options={"idempotency_key": "library-1"})
        with pytest.raises(stripe.InvalidRequestError) as missing:
            client.v1.checkout.sessions.create(params={k: v for k, v in params.items() if k != "success_url"})
        assert missing.value.param == "success_url"
        with pytest.raises(stripe.AuthenticationError):
            stripe.StripeClient("rk_live_nope", base_addresses={"api": f"http://127.0.0.1:{port}"}).v1.checkout.sessions.retrieve(session.id)
        assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
        assert client.v1.checkout.sessions.expire(session.id).status == "expired"

        event = requests.get(f"http://127.0.0.1:{port}/_emulator/events", timeout=10).json()["data"][0]
        verified = stripe.Webhook.construct_event(event["payload"], event["signature"], SECRET)
        assert verified.type == "checkout.session.expired" and verified.data.object.id == session.id
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(event["payload"].replace("expired", "complete"), event["signature"], SECRET)
    finally:
        fake.stop()


def test_a_card_payment_credits_exactly_once_however_its_events_arrive(payments):
    before = payments.balance()
    order = payments.checkout("10.00")
    assert order["status"] == "pending" and order["amount_usd"] == 10 and order["checkout_url"].startswith(payments.fake)
    # Paid on the fake's page, without delivering the event yet: nothing is credited before Stripe says so.
    completed = requests.post(f"{payments.fake}/_emulator/sessions/{session_id(order)}/complete?deliver=0", timeout=30).json()["events"][0]
    assert payments.balance() == before and payments.order(order["order_id"])["status"] == "pending"
    # A stale signature and a wrong one credit nothing.
    assert payments.resend(completed, stale=True) == 400
    forged = payments.events()[-1]
    answer = requests.post(f"{payments.base}/webhooks/stripe", data=forged["payload"].encode(), timeout=10,
                           headers={"Stripe-Signature": forged["signature"].replace("v1=", "v1=0"), "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_signature", answer.text
    assert payments.balance() == before
    # Delivered three times: credited once.
    assert [payments.resend(completed) for _ in range(3)] == [200, 200, 200]
    assert payments.balance() - before == 10_000_000
    assert payments.order(order["order_id"])["status"] == "paid"
    account = requests.get(f"{payments.base}/v1/account", headers=payments.headers(), timeout=10).json()
    topups = [row for row in account["ledger"] if row["kind"] == "topup"]
    assert len(topups) == 1 and micros(topups[0]["amount_usd"]) == 10_000_000, account["ledger"]

    # Out of order: the refund's event before the payment's is refused for a retry (409), then both arrive.
    second = payments.checkout("5.00")
    paid = requests.post(f"{payments.fake}/_emulator/sessions/{session_id(second)}/complete?deliver=0", timeout=30).json()["events"][0]
    refund = requests.post(f"{payments.fake}/_emulator/sessions/{session_id(second)}/refund?amount=100&deliver=0", timeout=30).json()["events"][0]
    assert payments.resend(refund) == 409, "a refund of a payment not yet recorded waits for Stripe's retry"
    assert payments.resend(paid) == 200 and payments.resend(refund) == 200 and payments.resend(paid) == 200
    assert payments.balance() - before == 10_000_000 + 5_000_000 - 1_000_000
    assert payments.order(second["order_id"])["status"] == "paid"
    payments.stop_and_audit()


def test_an_amount_that_is_not_the_orders_is_flagged_and_not_credited(payments):
    before = payments.balance()
    order = payments.checkout("10.00")
    requests.post(f"{payments.fake}/_emulator/sessions/{session_id(order)}/complete?amount_total=100", timeout=30).raise_for_status()
    assert payments.balance() == before
    assert payments.order(order["order_id"])["status"] == "mismatch"
    admin = {"Authorization": f"Bearer {ADMIN}"}
    listed = requests.get(f"{payments.base}/admin/v1/payments", headers=admin, timeout=10).json()["data"]
    assert next(o for o in listed if o["order_id"] == order["order_id"])["flag"], "the operator is told"
    # Stripe refunds the odd payment: acknowledged (not 409, which would have Stripe resend it for days), nothing taken.
    refund = requests.post(f"{payments.fake}/_emulator/sessions/{session_id(order)}/refund?amount=100&deliver=0", timeout=30).json()["events"][0]
    assert payments.resend(refund) == 200
    assert payments.balance() == before and payments.order(order["order_id"])["status"] == "mismatch"
    listed = requests.get(f"{payments.base}/admin/v1/payments", headers=admin, timeout=10).json()["data"]
    flag = next(o for o in listed if o["order_id"] == order["order_id"])["flag"]
    assert flag.startswith("Stripe reported 100 usd for an order of 1000 usd; refunded: 100 ") and "never credited" in flag, flag
    payments.stop_and_audit()


def test_a_refund_after_half_the_credit_was_spent_takes_back_the_unspent_half(payments):
    key = payments.new_account("refunded-customer")
    order = payments.checkout("0.28", key=key)
    requests.post(f"{payments.fake}/pay/{session_id(order)}", allow_redirects=False, timeout=30).raise_for_status()
    assert payments.balance(key) == 280_000
    # Half of it spent: ten images at $0.014.
    for count in (5, 5):
        spent = requests.post(f"{payments.base}/v1/generate", headers=payments.headers(key), timeout=120,
                              json={"model": "seedream-5-lite", "prompt": "a receipt", "num_images": count})
        assert spent.status_code == 200 and spent.json()["status"] == "completed", spent.text
    assert payments.balance(key) == 140_000
    # The whole payment refunded to the card: the unspent half is taken back; the spent half is the operator's loss.
    requests.post(f"{payments.fake}/_emulator/sessions/{session_id(order)}/refund?amount=28", timeout=30).raise_for_status()
    assert payments.balance(key) == 0
    rows = requests.get(f"{payments.base}/v1/account", headers=payments.headers(key), timeout=10).json()["ledger"]
    debits = [row for row in rows if row["kind"] == "debit"]
    assert len(debits) == 1 and abs(micros(debits[0]["amount_usd"])) == 140_000, rows
    listed = requests.get(f"{payments.base}/admin/v1/payments", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10).json()["data"]
    flag = next(o for o in listed if o["order_id"] == order["order_id"])["flag"]
    assert flag == "refunded: $0.28 returned to the card, $0.14 of it taken back", flag
    payments.stop_and_audit()


def test_checkout_bounds_and_a_server_without_stripe(tmp_path, server_factory):
    bounded = Payments(tmp_path)
    try:
        for amount in ("4.99", "500.01", "10.001", "ten"):
            answer = requests.post(f"{bounded.base}/v1/billing/checkout", headers=bounded.headers(), json={"amount_usd": amount}, timeout=10)
            assert answer.status_code == 400 and answer.json()["param"] == "amount_usd", (amount, answer.text)
        assert requests.post(f"{bounded.base}/v1/billing/checkout", json={"amount_usd": "10"}, timeout=10).status_code == 401
    finally:
        bounded.server.stop()
        bounded.fake_process.stop()
    base, key, _ = server_factory()
    answer = requests.post(f"{base}/v1/billing/checkout", headers={"Authorization": f"Bearer {key}"}, json={"amount_usd": "10"}, timeout=10)
    assert answer.status_code == 404 and answer.json()["code"] == "payments_not_configured", answer.text
    assert "operator" in answer.json()["message"]


def test_the_operator_sees_payments_and_cash_and_can_disable_an_account(payments):
    """`GET /admin/v1/payments` and `imagegate payments` list the orders with their flags; `imagegate usage` shows the
    cash received beside what was spent and what the suppliers bill; a disabled account's key answers 403 (its money
    kept), and works again once it is enabled."""
    key = payments.new_account("watched-customer")
    order = payments.checkout("0.04", key=key)
    requests.post(f"{payments.fake}/pay/{session_id(order)}", allow_redirects=False, timeout=30).raise_for_status()
    requests.post(f"{payments.fake}/_emulator/sessions/{session_id(order)}/refund?amount=1", timeout=30).raise_for_status()
    admin = {"Authorization": f"Bearer {ADMIN}"}
    listed = requests.get(f"{payments.base}/admin/v1/payments", headers=admin, timeout=10).json()["data"]
    row = next(o for o in listed if o["order_id"] == order["order_id"])
    assert row["status"] == "paid" and micros(row["taken_back_usd"]) == 10_000 and row["flag"].startswith("refunded"), row
    assert row["payment_reference"].startswith("pi_")

    disabled = requests.post(f"{payments.base}/admin/v1/accounts/watched-customer/disable", headers=admin, timeout=10)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True, disabled.text
    refused = requests.get(f"{payments.base}/v1/account", headers=payments.headers(key), timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "account_disabled", refused.text
    generate = requests.post(f"{payments.base}/v1/generate", headers=payments.headers(key), timeout=30,
                             json={"model": "seedream-5-lite", "prompt": "refused"})
    assert generate.status_code == 403
    enabled = requests.post(f"{payments.base}/admin/v1/accounts/watched-customer/enable", headers=admin, timeout=10)
    assert enabled.status_code == 200 and enabled.json()["disabled"] is False
    assert payments.balance(key) == 30_000, "the money was kept"

    served = requests.get(f"{payments.base}/admin/v1/cash", headers=admin, timeout=10)
    assert served.status_code == 200, served.text

    payments.server.stop()
    shown = subprocess.run([BINARY, "payments", "--data-dir", payments.data], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and order["order_id"] in shown.stdout and "refunded" in shown.stdout, shown.stdout + shown.stderr
    usage = subprocess.run([BINARY, "usage", "--json", "--data-dir", payments.data], capture_output=True, text=True, timeout=60)
    cash = json.loads(usage.stdout)["cash"]
    assert micros(cash["card_topups_usd"]) == 40_000 and micros(cash["taken_back_usd"]) == 10_000, cash
    assert served.json() == cash, "the admin API's cash is the usage report's"
    payments.stop_and_audit()
