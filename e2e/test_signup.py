"""Customers serve themselves (issue 26): sign up, the verification mail through a real SMTP server (aiosmtpd, a
local sink), sign in, create a key, add $10 by card on the fake Stripe's page, generate with the new key in the
playground, sign out — in Debian's chromium. Then the defences: a cross-site form post that carries the session
cookie is refused; sign-in guessing is limited; unknown emails and wrong passwords get one answer; the session is
stored in the database (a second server on the same data knows it) and ends at sign-out and at a password reset.
"""

import email
import email.policy
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from aiosmtpd.controller import Controller
from playwright.sync_api import expect
from test_payments import SECRET
from test_web import SCREENSHOTS as SHOTS
from test_web import browser, page, serious_violations  # noqa: F401 (fixtures)

from conftest import Process, free_port, micros, wait_for

PASSWORD = "correct horse battery"
ADMIN = "signup-admin-token-0123456789abcdefghij"


class Sink:
    """An SMTP server on loopback that keeps every message it is given."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Condition()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with sink.arrived:
                    sink.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                    sink.arrived.notify_all()
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def wait(self, count: int, timeout: float = 30):
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.messages) >= count, timeout), f"{len(self.messages)} of {count} mails arrived"
        return self.messages[count - 1]

    def link(self, message) -> str:
        return re.search(r"https?://\S+token=[0-9a-f]+", message.get_body(("plain",)).get_content()).group(0)

    def stop(self):
        self.controller.stop()


class Site:
    """`imagegate serve` with sign-up open, mail to the sink, and card payments through the fake Stripe."""

    def __init__(self, tmp_path, *options: str, data: str | None = None, sink: Sink | None = None):
        self.sink = sink or Sink()
        self.stripe_port, port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.fake = f"http://127.0.0.1:{self.stripe_port}"
        self.stripe = Process(["stripe-emulator", "--port", str(self.stripe_port), "--webhook-url", f"{self.base}/webhooks/stripe",
                               "--webhook-secret", SECRET], f"signup-stripe-{self.stripe_port}")
        wait_for(f"{self.fake}/_emulator/stats")
        self.data = data or str(tmp_path / "data")
        self.server = Process(["serve", "--port", str(port), "--data-dir", self.data, "--public-url", self.base,
                               "--signup", "open", "--smtp-url", f"smtp://127.0.0.1:{self.sink.port}",
                               "--mail-from", "ImageGate <noreply@imagegate.test>",
                               "--stripe-secret-key", "sk_test_signup", "--stripe-webhook-secret", SECRET,
                               "--stripe-api-base", self.fake, "--admin-token", ADMIN, *options], f"signup-serve-{port}")
        wait_for(f"{self.base}/health")

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.base}/admin/v1{path}", headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30, **kwargs)

    def stop(self):
        self.server.stop()
        self.stripe.stop()


@pytest.fixture
def site(tmp_path):
    started = Site(tmp_path)
    yield started
    started.stop()
    started.sink.stop()


def sign_up_verified(site: Site, address: str) -> requests.Session:
    """A person signed up through the form (as a browser posts it), with the email verified."""
    session = requests.Session()
    mails = len(site.sink.messages)
    answer = session.post(f"{site.base}/signup", data={"email": address, "password": PASSWORD},
                          headers={"Origin": site.base}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account?welcome=1", answer.text
    mail = site.sink.wait(mails + 1)
    assert session.get(site.sink.link(mail), timeout=30).status_code == 200
    return session


def test_a_newcomer_signs_up_pays_by_card_and_generates_in_the_browser(site, page):
    base = site.base
    # Sign up.
    page.goto(base + "/models")
    page.get_by_role("banner").get_by_role("link", name="Sign up").click()
    page.get_by_label("Email", exact=True).fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/account\?welcome=1$"))
    expect(page.locator("#welcome")).to_have_text("Account created. We mailed you a link to verify your email.")
    expect(page.locator("#verify-panel")).to_be_visible()
    expect(page.locator("#new-key")).to_be_hidden()
    expect(page.locator("#add-credit")).to_be_hidden()
    cookie = next(c for c in page.context.cookies() if c["name"] == "imagegate_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]  # http: not Secure
    page.screenshot(path=f"{SHOTS}/signup-unverified-desktop.png", full_page=True)
    # The mail arrives at the SMTP sink; sign out, follow it, sign in.
    mail = site.sink.wait(1)
    assert mail["To"] == "newcomer@example.com" and "Verify" in mail["Subject"]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(site.sink.link(mail))
    expect(page.locator("h1")).to_have_text("Email verified")
    page.locator("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email", exact=True).fill("newcomer@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.screenshot(path=f"{SHOTS}/signin-desktop.png", full_page=True)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator("#signed-in")).to_have_text("Signed in as newcomer@example.com.")
    expect(page.locator("#verify-panel")).to_be_hidden()
    expect(page.locator("#balance")).to_have_text("$0.00")
    expect(page.locator("#keys tbody")).to_have_text("No keys yet: create one above.")
    # A key, shown once.
    page.locator("#new-key").get_by_label("Label", exact=True).fill("laptop")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-secret-value")
    expect(secret).to_have_text(re.compile(r"^ig_[A-Za-z0-9_-]{43}$"))
    key = secret.inner_text()
    expect(page.locator("#keys tbody tr")).to_have_count(1)
    page.screenshot(path=f"{SHOTS}/account-new-key-desktop.png", full_page=True)
    # Relabel it and give it a daily limit, then take the limit off again; a key cannot edit keys.
    page.get_by_role("button", name="Edit key laptop").click()
    editor = page.get_by_role("dialog", name="Edit key")
    editor.get_by_label("Label", exact=True).fill("laptop (home)")
    editor.get_by_label("Daily limit (USD, optional)", exact=True).fill("1.50")
    page.screenshot(path=f"{SHOTS}/account-edit-key-desktop.png")
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    row = page.locator("#keys tbody tr").first
    expect(row).to_contain_text("laptop (home)")
    expect(row).to_contain_text("$1.50")
    expect(page.get_by_role("button", name="Edit key laptop (home)")).to_be_focused()
    page.get_by_role("button", name="Edit key laptop (home)").click()
    editor.get_by_label("Daily limit (USD, optional)", exact=True).fill("")
    editor.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("none")
    session = next(c["value"] for c in page.context.cookies() if c["name"] == "imagegate_session")
    listed = requests.get(f"{base}/v1/keys", cookies={"imagegate_session": session}, timeout=30).json()["data"]
    assert [(k["label"], k["daily_limit_usd"]) for k in listed] == [("laptop (home)", None)], listed
    by_key = requests.patch(f"{base}/v1/keys/{listed[0]['id']}", headers={"Authorization": f"Bearer {key}"}, json={"label": "x"}, timeout=30)
    assert by_key.status_code == 403 and by_key.json()["code"] == "session_required", by_key.text
    # $10 by card on the fake Stripe's page, back to the account page with exactly $10.00.
    page.get_by_label("Amount (USD)", exact=True).fill("10.00")
    page.get_by_role("button", name="Add credit").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(site.fake)}/pay/"))
    page.get_by_role("button", name="Pay $10.00").click()
    expect(page).to_have_url(re.compile(r"/account\?payment=ord_"))
    expect(page.locator("#credit-status")).to_have_text("Payment received: $10.00 added to your balance.", timeout=30_000)
    expect(page.locator("#balance")).to_have_text("$10.00")
    expect(page.locator("#payments tbody tr")).to_have_count(1)
    expect(page.locator("#ledger tbody")).to_contain_text("Card top-up")
    page.screenshot(path=f"{SHOTS}/account-signed-in-desktop.png", full_page=True)
    # The payment's receipt: the amount, when it was paid, Stripe's payment; printable.
    page.locator("#payments").get_by_role("button", name=re.compile(r"^Receipt for \$10\.00 paid ")).click()
    receipt = page.get_by_role("dialog", name="Receipt")
    expect(receipt).to_be_visible()
    expect(receipt.locator("dl")).to_contain_text("$10.00")
    expect(receipt.locator("dl")).to_contain_text("Stripe Checkout")
    expect(receipt.locator("dl code").first).to_have_text(re.compile(r"^pi_"))
    assert serious_violations(page) == []
    page.screenshot(path=f"{SHOTS}/account-receipt-desktop.png")
    page.emulate_media(media="print")  # printed, the receipt stands alone: the page around it is hidden
    expect(page.locator("#payments-heading")).to_be_hidden()
    expect(page.locator("#receipt-lines")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/account-receipt-print.png")
    page.emulate_media(media="screen")
    receipt.get_by_role("button", name="Close").click()
    expect(receipt).to_be_hidden()
    # Generate in the playground with the new key.
    page.get_by_role("link", name="Playground").click()
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_label("API key", exact=True).dispatch_event("change")
    expect(page.locator("#key-status")).to_contain_text("Balance: $10.00 available")
    page.get_by_label("Prompt", exact=True).fill("A lighthouse at dawn")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#run-status")).to_contain_text("Completed: 1 image", timeout=60_000)
    expect(page.locator("#result img")).to_have_count(1)
    answer = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
    assert micros(answer["balance_usd"]) == 10_000_000 - 14_000
    # Sign out: the session is over on the server too.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    assert requests.get(f"{base}/v1/account", cookies={"imagegate_session": cookie["value"]}, timeout=30).status_code == 401


class Attacker(BaseHTTPRequestHandler):
    """Another origin on the same host (so the same site: SameSite=Lax still sends the cookie) with a form that
    posts itself to ImageGate on load."""

    target = ""

    def do_GET(self):
        body = (f'<form id="f" method="post" action="{self.target}"><input name="x" value="1"></form>'
                '<script>document.getElementById("f").submit()</script>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_cross_site_form_post_with_the_session_cookie_is_refused(site, page):
    session = sign_up_verified(site, "victim@example.com")
    before = session.get(f"{site.base}/v1/account", timeout=30).json()["webhook_secret"]
    token = session.cookies["imagegate_session"]
    # Without a same-origin signal, a request with the cookie changes nothing (curl, an old browser).
    for headers in [{}, {"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}]:
        answer = requests.post(f"{site.base}/v1/account/webhook-secret/rotate", cookies={"imagegate_session": token},
                               headers=headers, timeout=30)
        assert answer.status_code == 403 and answer.json()["code"] == "cross_site_request", (headers, answer.text)
    # In the browser: the person is signed in, then visits another origin whose page posts to ImageGate.
    page.context.add_cookies([{"name": "imagegate_session", "value": token, "url": site.base, "httpOnly": True, "sameSite": "Lax"}])
    page.goto(site.base + "/account")
    expect(page.locator("#signed-in")).to_be_visible()
    attacker_port = free_port()
    for target in [f"{site.base}/v1/account/webhook-secret/rotate", f"{site.base}/signout"]:
        Attacker.target = target
        server = ThreadingHTTPServer(("127.0.0.1", attacker_port), Attacker)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with page.expect_response(target) as refused:
                page.goto(f"http://127.0.0.1:{attacker_port}/")
            assert refused.value.status == 403, refused.value.status
        finally:
            server.shutdown()
            server.server_close()
    assert session.get(f"{site.base}/v1/account", timeout=30).json()["webhook_secret"] == before
    # Still signed in, and the site's own button works (Sec-Fetch-Site: same-origin).
    page.goto(site.base + "/account")
    expect(page.locator("#signed-in")).to_be_visible()
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.locator("#webhook-status")).to_contain_text("Rotated")
    assert session.get(f"{site.base}/v1/account", timeout=30).json()["webhook_secret"] != before


def test_sign_in_guessing_is_limited_and_tells_nobody_which_emails_exist(site):
    sign_up_verified(site, "target@example.com")
    for email_address in ["target@example.com", "nobody@example.com"]:
        answer = requests.post(f"{site.base}/signin", data={"email": email_address, "password": "not the password"},
                               headers={"Origin": site.base}, allow_redirects=False, timeout=30)
        assert answer.status_code == 401 and "The email or the password is wrong." in answer.text
    for attempt in range(9):
        answer = requests.post(f"{site.base}/signin", data={"email": "target@example.com", "password": f"guess {attempt}"},
                               headers={"Origin": site.base}, allow_redirects=False, timeout=30)
        assert answer.status_code == 401, attempt
    # The eleventh attempt on this email is refused, even with the right password.
    answer = requests.post(f"{site.base}/signin", data={"email": "target@example.com", "password": PASSWORD},
                           headers={"Origin": site.base}, allow_redirects=False, timeout=30)
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0 and "Too many attempts" in answer.text


def test_sessions_live_in_the_database_and_end_at_a_password_reset(tmp_path, site):
    session = sign_up_verified(site, "reset@example.com")
    # A second server on the same data (another replica) knows the session.
    other = Site(tmp_path, data=site.data, sink=site.sink)
    try:
        assert requests.get(f"{other.base}/v1/account", cookies=session.cookies, timeout=30).json()["email"] == "reset@example.com"
    finally:
        other.stop()
    # A key cannot manage keys; the session can, same-origin.
    created = session.post(f"{site.base}/v1/keys", json={"label": "ci"}, headers={"Sec-Fetch-Site": "same-origin"}, timeout=30)
    assert created.status_code == 201, created.text
    by_key = requests.get(f"{site.base}/v1/keys", headers={"Authorization": f"Bearer {created.json()['key']}"}, timeout=30)
    assert by_key.status_code == 403 and by_key.json()["code"] == "session_required"
    # The reset form answers the same for an unknown email, and mails only the known one.
    mails = len(site.sink.messages)
    for address in ["nobody@example.com", "reset@example.com"]:
        answer = requests.post(f"{site.base}/reset", data={"email": address}, headers={"Origin": site.base}, timeout=30)
        assert answer.status_code == 200 and "If this email has an account" in answer.text
    link = site.sink.link(site.sink.wait(mails + 1))
    assert len(site.sink.messages) == mails + 1
    token = link.split("token=")[1]
    changed = requests.post(f"{site.base}/reset/confirm", data={"token": token, "password": "a new horse battery"},
                            headers={"Origin": site.base}, timeout=30)
    assert changed.status_code == 200 and "Your password is changed" in changed.text
    assert session.get(f"{site.base}/v1/account", timeout=30).status_code == 401
    again = requests.post(f"{site.base}/reset/confirm", data={"token": token, "password": "a third horse battery"},
                          headers={"Origin": site.base}, timeout=30)
    assert again.status_code == 400


def test_invite_only_sign_up_takes_one_person_per_code_and_the_operator_sees_them(tmp_path, page):
    site = Site(tmp_path, "--signup", "invite")
    try:
        form = {"email": "invited@example.com", "password": PASSWORD}
        refused = requests.post(f"{site.base}/signup", data=form, headers={"Origin": site.base}, allow_redirects=False, timeout=30)
        assert refused.status_code == 403 and "needs an invite code" in refused.text
        created = site.admin("POST", "/invites", json={"note": "for the e2e"})
        assert created.status_code == 201, created.text
        code = created.json()["code"]
        joined = requests.post(f"{site.base}/signup", data={**form, "invite": code}, headers={"Origin": site.base},
                               allow_redirects=False, timeout=30)
        assert joined.status_code == 303, joined.text
        again = requests.post(f"{site.base}/signup", data={"email": "second@example.com", "password": PASSWORD, "invite": code},
                              headers={"Origin": site.base}, allow_redirects=False, timeout=30)
        assert again.status_code == 403 and "not valid" in again.text
        users = site.admin("GET", "/users").json()["data"]
        assert [(user["email"], user["verified_at"]) for user in users] == [("invited@example.com", None)]
        assert site.admin("GET", "/invites").json()["data"][0]["used_by"] == "invited@example.com"
        assert users[0]["payment_flag"] is None
        # The operator disables the person's account from the admin page (its session is refused), then enables it.
        person = requests.Session()
        person.cookies.update(joined.cookies)
        assert person.get(f"{site.base}/v1/account", timeout=30).status_code == 200
        page.goto(site.base + "/admin")
        page.get_by_label("Admin token", exact=True).fill(ADMIN)
        page.get_by_label("Admin token", exact=True).dispatch_event("change")
        row = page.locator("#users tbody tr", has_text="invited@example.com")
        expect(row).to_contain_text("active")
        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name="Disable invited@example.com").click()
        expect(row).to_contain_text("disabled")
        refused = person.get(f"{site.base}/v1/account", timeout=30)
        assert refused.status_code == 403 and refused.json()["code"] == "account_disabled", refused.text
        page.screenshot(path=f"{SHOTS}/admin-people-desktop.png", full_page=True)
        row.get_by_role("button", name="Enable invited@example.com").click()
        expect(row).to_contain_text("active")
        expect(row.get_by_role("button", name="Disable invited@example.com")).to_be_focused()
        assert person.get(f"{site.base}/v1/account", timeout=30).status_code == 200
    finally:
        site.stop()
        site.sink.stop()
