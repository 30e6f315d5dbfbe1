"""The web face in a real browser: Debian's chromium driven by Playwright (nothing downloaded at run time).

A newcomer's path from `/` to an image, edits with uploads, the error messages, a double click, a hostile prompt,
the keyboard alone, the pasted quickstart, the operator's dashboard, axe-core's checks, and a screenshot of every
page (desktop and 390 px) saved to e2e/.screenshots/ (docs/screenshots/ with scripts/screenshots).
"""

import base64
import json
import os
import re
import struct
import subprocess
import tempfile
import time
import zlib

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from conftest import ROOT, WORK, Process, free_port, micros, wait_for
from playwright.sync_api import expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ADMIN_TOKEN = "web-admin-token-for-tests-0123456789"
# Each run's screenshots go to an ignored folder (a test run must not rewrite tracked files); `scripts/screenshots`
# refreshes the ones the README shows, in docs/screenshots/.
SCREENSHOTS = os.environ.get("IMAGEGATE_SCREENSHOTS") or os.path.join(ROOT, "e2e", ".screenshots")
PRICE = 14_000  # micro-dollars per image


def png(width: int, height: int, rgb=(200, 80, 40)) -> bytes:
    """A plain PNG of one colour, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" + bytes(rgb) * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def server():
    """One server for the module (local engine, SQLite), with the admin dashboard on."""
    port = free_port()
    data = tempfile.mkdtemp(prefix="web-", dir=WORK)
    process = Process(["serve", "--port", str(port), "--data-dir", data, "--admin-token", ADMIN_TOKEN], f"web-{port}")
    wait_for(f"http://127.0.0.1:{port}/health")
    key = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", process.output()).group(1)
    yield {"base": f"http://127.0.0.1:{port}", "key": key, "process": process}
    process.stop()


def admin(server, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{server['base']}/admin/v1{path}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                            timeout=30, **kwargs)


def new_key(server, name: str, credit: str, **limits) -> str:
    """A fresh account with `credit` dollars and a key for it, through the admin API."""
    assert admin(server, "POST", "/accounts", json={"name": name, "credit_usd": credit}).status_code == 201
    response = admin(server, "POST", f"/accounts/{name}/keys", json=limits)
    assert response.status_code == 201, response.text
    return response.json()["key"]


def account(server, key: str) -> dict:
    return requests.get(f"{server['base']}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=30).json()


def generations(server, key: str) -> list:
    response = requests.get(f"{server['base']}/v1/generations?limit=100", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return response.json()["data"]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs = []

    def answer(dialog):
        # A confirmation (revoking a key) is accepted; anything else (an alert) is recorded and must never happen.
        if dialog.type == "confirm":
            dialog.accept()
        else:
            dialogs.append(dialog.message)
            dialog.dismiss()

    page.on("dialog", answer)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.dialogs = dialogs
    yield page
    context.close()
    assert errors == [], f"script errors: {errors}"


def enter_key(page, key: str):
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_label("API key", exact=True).dispatch_event("change")
    expect(page.locator("#key-status")).to_contain_text("Balance:")


def test_a_key_typed_before_the_pages_script_has_run_is_kept(server, page):
    """The page's module script runs once the page has loaded; a key typed or pasted before that is kept (and used),
    not replaced by the saved one or by nothing. The script's download is held until the key is in the field."""
    held = []
    page.route(re.compile(r"/assets/playground\.[0-9a-f]+\.js$"), lambda route: held.append(route))
    page.goto(server["base"] + "/playground", wait_until="commit")
    page.get_by_label("API key", exact=True).fill(server["key"])
    deadline = time.time() + 30
    while not held and time.time() < deadline:
        page.wait_for_timeout(50)
    assert held, "the page never asked for its script"
    held[0].continue_()
    expect(page.locator("#key-status")).to_contain_text("Balance:")
    expect(page.get_by_label("API key", exact=True)).to_have_value(server["key"])


def wait_for_end(page, timeout=60_000):
    expect(page.locator("#run-status")).to_have_text(re.compile(r"^(Completed|Failed|Cancelled)"), timeout=timeout)


def test_a_newcomer_goes_from_the_root_to_two_generated_images(server, page):
    page.goto(server["base"] + "/")
    expect(page).to_have_url(server["base"] + "/models")
    expect(page.locator(".card")).to_have_count(3)
    expect(page.locator(".card").first).to_contain_text("$0.014")
    expect(page.locator(".card").first).to_contain_text("Up to 60% off")
    page.get_by_role("link", name="Seedream 5 Lite", exact=True).click()
    expect(page).to_have_url(server["base"] + "/models/bytedance/seedream-5-lite")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seedream 5 Lite")
    page.get_by_role("link", name="Try it in the playground").click()
    expect(page).to_have_url(re.compile(r"/playground\?model=seedream-5-lite$"))

    key = new_key(server, "newcomer", "1")
    enter_key(page, key)
    before = micros(account(server, key)["balance_usd"])
    page.get_by_label("Prompt", exact=True).fill("A lighthouse on a cliff at dusk")
    page.get_by_label("Number of images", exact=True).fill("2")
    expect(page.locator("#cost")).to_have_text("2 images × $0.014 = $0.028")
    page.get_by_role("button", name="Generate").click()
    wait_for_end(page)
    expect(page.locator("#run-status")).to_have_text("Completed: 2 images, charged $0.028.")
    images = page.locator("#result img")
    expect(images).to_have_count(2)
    for index in range(2):
        images.nth(index).evaluate("img => img.decode()")
        assert images.nth(index).evaluate("img => img.naturalWidth") == 2848
    expect(page.locator("#result")).to_contain_text(re.compile(r"link expires in (6 days 23 hours|7 days)"))
    assert micros(account(server, key)["balance_usd"]) == before - 2 * PRICE
    expect(page.locator("#key-status")).to_contain_text("$0.972 available")
    expect(page.locator("#history li")).to_have_count(1)


def test_an_edit_with_two_files_one_picked_and_one_dropped(server, page):
    key = new_key(server, "editor", "1")
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_label("Mode", exact=True).select_option("edit")
    page.get_by_label("Prompt", exact=True).fill("Put the two swatches side by side")
    picked = os.path.join(WORK, "picked.png")
    with open(picked, "wb") as f:
        f.write(png(64, 48))
    page.get_by_label("Reference images", exact=True).set_input_files(picked)
    transfer = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
            return transfer;
        }""",
        base64.b64encode(png(48, 64, (40, 80, 200))).decode(),
    )
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    expect(page.locator("#thumbs img")).to_have_count(2)
    # A file the server would refuse is refused here, before anything is sent.
    text = os.path.join(WORK, "notes.txt")
    with open(text, "w") as f:
        f.write("not an image")
    page.get_by_label("Reference images", exact=True).set_input_files(text)
    expect(page.locator("#image_urls-error")).to_contain_text("notes.txt is not a JPEG, PNG, WEBP image")
    expect(page.locator("#thumbs img")).to_have_count(2)
    page.get_by_role("button", name="Generate").click()
    wait_for_end(page)
    expect(page.locator("#run-status")).to_have_text("Completed: 1 image, charged $0.014.")
    (generation,) = generations(server, key)
    assert generation["mode"] == "edit"
    detail = requests.get(f"{server['base']}/v1/generations/{generation['generation_id']}",
                          headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
    assert detail["status"] == "completed"


def test_an_insufficient_balance_shows_the_402_and_moves_no_money(server, page):
    key = new_key(server, "broke", "0.01")
    rows = len(account(server, key)["ledger"])
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_label("Prompt", exact=True).fill("Anything")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#form-error")).to_have_text(
        "This request needs $0.014 and the available balance is $0.01. Nothing was charged: add credit (your account "
        "page, /account, says how), then try again.")
    state = account(server, key)
    assert micros(state["balance_usd"]) == 10_000 and micros(state["held_usd"]) == 0
    assert len(state["ledger"]) == rows
    assert generations(server, key) == []


def test_a_refused_field_is_named_next_to_its_control(server, page):
    key = new_key(server, "fields", "1")
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_role("button", name="Generate").click()  # no prompt
    expect(page.locator("#prompt-error")).to_contain_text("prompt")
    expect(page.get_by_label("Prompt", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Prompt", exact=True)).to_be_focused()


def test_a_rate_limited_key_is_told_when_to_retry(server, page):
    key = new_key(server, "hasty", "1", requests_per_minute=1)
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_label("Prompt", exact=True).fill("First")
    page.get_by_role("button", name="Generate").click()
    wait_for_end(page)
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#form-error")).to_have_text(re.compile(r"Try again in \d+ s\.$"))
    assert len(generations(server, key)) == 1


def test_a_double_click_makes_one_generation(server, page):
    key = new_key(server, "double", "1")
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_label("Prompt", exact=True).fill("Twice clicked")
    page.get_by_role("button", name="Generate").dblclick()
    wait_for_end(page)
    assert len(generations(server, key)) == 1
    assert micros(account(server, key)["balance_usd"]) == 1_000_000 - PRICE


def test_a_lost_answer_is_retried_with_the_same_idempotency_key(server, page):
    key = new_key(server, "flaky", "1")
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    sent = []

    def lose_the_answer(route):
        sent.append(route.request.headers["idempotency-key"])
        route.fetch()  # the request reaches the server and runs...
        route.abort()  # ...but its answer never comes back

    page.route("**/v1/generate", lose_the_answer)
    page.get_by_label("Prompt", exact=True).fill("Lost in transit")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_role("button", name="Retry the same request")).to_be_visible()
    expect(page.locator("#form-error")).to_contain_text("same Idempotency-Key")
    page.unroute("**/v1/generate")
    with page.expect_request("**/v1/generate") as retry:
        page.get_by_role("button", name="Retry the same request").click()
    assert retry.value.headers["idempotency-key"] == sent[0]
    wait_for_end(page)
    assert len(generations(server, key)) == 1
    assert micros(account(server, key)["balance_usd"]) == 1_000_000 - PRICE


def test_a_hostile_prompt_is_shown_as_text_everywhere(server, page):
    key = new_key(server, "mallory", "1")
    prompt = "<img src=x onerror=alert(1)>"
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate").click()
    wait_for_end(page)
    expect(page.locator("#history .prompt").first).to_have_text(prompt)
    page.reload()
    expect(page.locator("#history .prompt").first).to_have_text(prompt)
    assert page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []


def test_the_playground_works_with_the_keyboard_alone(server, page):
    key = new_key(server, "keyboard", "1")
    page.goto(server["base"] + "/playground")

    def tab_to(element_id: str):
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                return
        raise AssertionError(f"Tab never reached #{element_id}")

    tab_to("api-key")
    page.keyboard.type(key)
    tab_to("prompt")  # leaving the field stores the key
    expect(page.locator("#key-status")).to_contain_text("Balance:")
    page.keyboard.type("Typed without a mouse")
    tab_to("num_images")
    page.keyboard.press("ArrowUp")
    tab_to("generate")
    page.keyboard.press("Enter")
    wait_for_end(page)
    expect(page.locator("#run-status")).to_have_text("Completed: 2 images, charged $0.028.")


def test_the_pasted_curl_quickstart_works(server, page):
    page.goto(server["base"] + "/models/bytedance/seedream-5-lite")
    snippet = page.locator("#quickstart-curl").inner_text()
    assert snippet.startswith(f'curl -X POST "{server["base"]}/v1/generate"')
    result = subprocess.run(["bash", "-c", snippet], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "IMAGEGATE_API_KEY": server["key"]})
    body = json.loads(result.stdout)
    assert body["status"] == "completed", result.stdout
    assert requests.get(body["output_url"], timeout=30).status_code == 200
    # The tabs switch with the keyboard (arrow keys), as tabs do.
    page.get_by_role("tab", name="curl").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Python (openai)")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#quickstart-python")).to_be_visible()
    expect(page.locator("#quickstart-curl")).to_be_hidden()


def test_the_operator_creates_an_account_adds_credit_and_a_key_that_works_in_the_playground(server, page):
    page.goto(server["base"] + "/admin")
    page.get_by_label("Admin token", exact=True).fill(ADMIN_TOKEN)
    page.get_by_label("Admin token", exact=True).dispatch_event("change")
    expect(page.locator("#token-status")).to_contain_text("account")
    page.get_by_label("Account name", exact=True).fill("acme-web")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#create-account-status")).to_have_text("Account acme-web created with $0.00. The credit and key forms now point at it.")
    page.locator("#credit-account").select_option("acme-web")
    page.get_by_label("Amount (USD)", exact=True).fill("2.5")
    page.get_by_role("button", name="Add credit").click()
    expect(page.locator("#add-credit-status")).to_have_text("acme-web now has $2.50.")
    page.locator("#key-account").select_option("acme-web")
    page.get_by_label("Label", exact=True).fill("from the dashboard")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key")).to_be_visible()
    key = page.locator("#new-key-value").inner_text()
    assert key.startswith("ig_")
    expect(page.locator("#keys")).to_contain_text("from the dashboard")
    page.get_by_role("button", name="Run the audit").click()
    expect(page.locator("#audit-status")).to_contain_text("The books are clean")

    doomed = new_key(server, "doomed", "1")
    page.reload()
    expect(page.locator("#keys tbody tr")).to_have_count(len(admin(server, "GET", "/keys").json()["data"]))
    page.get_by_role("button", name=f"Revoke key {doomed[:11]}").click()
    expect(page.locator("#keys")).to_contain_text("revoked")
    assert requests.get(f"{server['base']}/v1/account", headers={"Authorization": f"Bearer {doomed}"}, timeout=30).status_code == 401

    playground = page.context.new_page()
    playground.goto(server["base"] + "/playground")
    enter_key(playground, key)
    expect(playground.locator("#key-status")).to_contain_text("$2.50 available")
    playground.get_by_label("Prompt", exact=True).fill("Made with a key from the dashboard")
    playground.get_by_role("button", name="Generate").click()
    wait_for_end(playground)
    expect(playground.locator("#key-status")).to_contain_text("$2.486 available")


def test_the_account_page_pages_through_the_ledger_and_charts_the_spend(server, page):
    key = new_key(server, "ledger", "1")
    headers = {"Authorization": f"Bearer {key}"}
    for index in range(11):
        response = requests.post(f"{server['base']}/v1/generate", headers=headers, timeout=60,
                                 json={"model": "seedream-5-lite", "prompt": f"row {index}"})
        assert response.status_code == 200, response.text
    page.goto(server["base"] + "/account")
    enter_key_on_account = page.get_by_label("API key", exact=True)
    enter_key_on_account.fill(key)
    enter_key_on_account.dispatch_event("change")
    expect(page.locator("#balance")).to_have_text("$0.846")
    # 20 ledger rows a page: 10 generations, each its hold and its charge on one line.
    expect(page.locator("#ledger tbody tr")).to_have_count(10)
    page.get_by_role("button", name="Show older").click()
    expect(page.locator("#ledger tbody tr")).to_have_count(12)  # 1 credit + 11 generations (23 rows)
    expect(page.get_by_role("button", name="Show older")).to_be_hidden()
    expect(page.locator("#spend-chart svg rect")).to_have_count(1)
    expect(page.locator("#spend-chart svg")).to_have_attribute("aria-label", re.compile(r"total \$0\.154"))


def test_expired_outputs_are_shown_as_expired_not_as_broken_images(server_factory, page):
    base, key, _ = server_factory("--output-retention", "2s")
    page.goto(base + "/playground")
    enter_key(page, key)
    page.get_by_label("Prompt", exact=True).fill("Short-lived")
    page.get_by_role("button", name="Generate").click()
    wait_for_end(page)
    expect(page.locator("#history img")).to_have_count(1)
    page.wait_for_timeout(3_000)
    page.reload()
    expect(page.locator("#history li")).to_have_count(1)
    expect(page.locator("#history .thumb.empty")).to_have_text("Expired")
    expect(page.locator("#history img")).to_have_count(0)
    expect(page.locator("#history")).to_contain_text("outputs expired")


def test_images_show_when_links_redirect_to_the_object_store(server_factory, page):
    """`--output-delivery redirect`: an output link answers 302 to the store's own origin (here SeaweedFS on another
    port), which the pages' `img-src` must allow, or every image would be blank (issue 23, item 9)."""
    from test_object_storage import S3Server

    store = S3Server("seaweedfs")
    try:
        base, key, _ = server_factory("--output-delivery", "redirect", *store.options)
        page.goto(base + "/playground")
        enter_key(page, key)
        page.get_by_label("Prompt", exact=True).fill("Served by the store")
        page.get_by_role("button", name="Generate").click()
        wait_for_end(page)
        expect(page.locator("#run-status")).to_have_text(re.compile(r"^Completed"))
        image = page.locator("#result img").first
        link = image.get_attribute("src")
        assert requests.get(link, allow_redirects=False, timeout=30).status_code == 302, "the link redirects"
        image.evaluate("img => img.decode()")
        assert image.evaluate("img => img.naturalWidth") > 0
        policy = requests.get(base + "/playground", timeout=30).headers["Content-Security-Policy"]
        assert store.endpoint in policy, policy
    finally:
        store.stop()


PAGES = ["/models", "/models/bytedance/seedream-5-lite", "/playground", "/account", "/generations", "/admin"]


def open_filled(page, server, path: str):
    """A page as a person sees it after signing in: key (or token) entered, data loaded. `/generations` is the page of
    the key's latest generation."""
    if path == "/generations":
        latest = generations(server, server["key"])[0]["generation_id"]
        page.goto(f"{server['base']}/generations/{latest}")
        page.get_by_label("API key", exact=True).fill(server["key"])
        page.get_by_label("API key", exact=True).dispatch_event("change")
        page.locator("#images img").first.evaluate("img => img.decode()")
        return
    page.goto(server["base"] + path)
    if path in ("/playground", "/account"):
        page.get_by_label("API key", exact=True).fill(server["key"])
        page.get_by_label("API key", exact=True).dispatch_event("change")
        if path == "/playground":
            expect(page.locator("#key-status")).to_contain_text("Balance:")
            page.get_by_label("Prompt", exact=True).fill("A red fox in fresh snow, golden hour")
            page.get_by_role("button", name="Generate").click()
            wait_for_end(page)
            page.locator("#result img").first.evaluate("img => img.decode()")
        else:
            expect(page.locator("#ledger tbody tr").first).to_be_visible()
    if path == "/admin":
        page.get_by_label("Admin token", exact=True).fill(ADMIN_TOKEN)
        page.get_by_label("Admin token", exact=True).dispatch_event("change")
        expect(page.locator("#accounts tbody tr").first).to_be_visible()
        page.get_by_role("button", name="Run the audit").click()
        expect(page.locator("#audit-status")).to_contain_text("The books are clean")


def serious_violations(page) -> list:
    """axe-core's serious and critical findings on the page as it is now: rule, impact and the first three places."""
    results = Axe().run(page)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation_on_any_page(server, browser, scheme):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    found = {}
    for path in PAGES:
        open_filled(page, server, path)
        serious = serious_violations(page)
        if serious:
            found[path] = serious
    context.close()
    assert found == {}


def test_screenshots_of_every_page_on_a_desktop_and_a_phone(server, browser):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    for label, viewport, scheme in [("desktop", {"width": 1280, "height": 900}, "light"),
                                    ("phone", {"width": 390, "height": 844}, "light"),
                                    ("desktop-dark", {"width": 1280, "height": 900}, "dark")]:
        context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1)
        page = context.new_page()
        for path in PAGES:
            if label == "desktop-dark" and path not in ("/models/bytedance/seedream-5-lite", "/playground"):
                continue
            open_filled(page, server, path)
            # Nothing may be wider than the screen (no sideways scrolling of the whole page).
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], f"{path} overflows at {label}"
            name = "models" if path == "/models" else path.strip("/").split("/")[-1]
            page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}-{label}.png"), full_page=True)
        context.close()


def test_a_rule_changed_in_the_catalog_changes_the_page_and_the_api(server_factory, browser, tmp_path):
    with open(os.path.join(ROOT, "Sources", "Catalog", "catalog.json")) as f:
        seedream = json.load(f)["models"][0]
    seedream["parameters"]["num_images"]["max"] = 3
    flux = {**seedream, "id": "flux-mini", "vendor": "blackforest", "vendor_name": "Black Forest", "display_name": "Flux Mini",
            "tags": ["text-to-image", "fast"], "modes": ["generate"], "price_per_image_micros": 3000, "retail_per_image_micros": 4000}
    plain = {**seedream, "id": "plain-draw", "vendor": "blackforest", "display_name": "Plain Draw", "tags": ["fast"],
             "modes": ["generate"], "price_per_image_micros": 10000, "retail_per_image_micros": 10000}
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"models": [seedream, flux, plain]}))
    base, key, _ = server_factory("--catalog", str(catalog))

    page = browser.new_page()
    page.goto(base + "/models")
    expect(page.locator(".card")).to_have_count(3)
    page.get_by_role("link", name="fast", exact=True).click()
    expect(page.locator(".card")).to_have_count(2)
    expect(page.locator(".card").first).to_contain_text("Up to 25% off")
    page.goto(base + "/models/bytedance/seedream-5-lite")
    expect(page.locator('#table-generate tr[data-parameter="num_images"]')).to_contain_text("Range: 1–3.")
    page.goto(base + "/playground?model=seedream-5-lite")
    expect(page.get_by_label("Number of images", exact=True)).to_have_attribute("max", "3")
    page.close()
    refused = requests.post(f"{base}/v1/generate", headers={"Authorization": f"Bearer {key}"}, timeout=30,
                            json={"model": "seedream-5-lite", "prompt": "four", "num_images": 4})
    assert refused.status_code == 400 and refused.json()["param"] == "num_images"
    assert "1 to 3" in refused.json()["message"]
