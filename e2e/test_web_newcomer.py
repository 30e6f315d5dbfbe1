"""A newcomer's traps in the browser (issue 27), each fixed and held here: bounds checked before a request is sent,
each message said once, no figures of a rejected key left on the page, 402 in the page's money format with where to
get credit, and browser addresses that end on a page (the short model address, unknown pages, the favicon).

Debian's chromium through Playwright, against the same server fixture as test_web.py.
"""

import re

import requests
from playwright.sync_api import expect
from test_web import ADMIN_TOKEN, admin, browser, enter_key, generations, new_key, page, server  # noqa: F401 (fixtures)


def text_of(page) -> str:
    return page.locator("main").inner_text()


def test_an_image_count_outside_the_models_bounds_is_refused_at_once_and_nothing_is_sent(server, page):
    key = new_key(server, "counting", "1")
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_label("Prompt", exact=True).fill("A red kite")
    count = page.get_by_label("Number of images", exact=True)
    for typed in ["0", "2.5", "7", ""]:
        count.fill(typed)
        expect(page.locator("#num_images-error")).to_have_text("Number of images must be a whole number from 1 to 6.")
        expect(count).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#cost")).to_have_text("")  # never "7 images × $0.014 = $0.098"
    page.get_by_role("button", name="Generate").click()
    expect(count).to_be_focused()
    expect(page.locator("#form-error")).to_have_text("Check the field marked above.")
    assert generations(server, key) == []
    count.fill("3")
    expect(page.locator("#num_images-error")).to_have_text("")
    expect(page.locator("#cost")).to_have_text("3 images × $0.014 = $0.042")


def test_an_empty_prompt_is_said_once_and_no_time_is_shown(server, page):
    key = new_key(server, "empty", "1")
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#prompt-error")).to_have_text("Write a prompt: it describes the image you want.")
    assert text_of(page).count("Write a prompt") == 1
    expect(page.locator("#elapsed")).to_have_text("")
    assert generations(server, key) == []


def test_a_field_the_server_refuses_is_said_once_beside_it(server, page):
    key = new_key(server, "no-refs", "1")
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_label("Mode", exact=True).select_option("edit")
    page.get_by_label("Prompt", exact=True).fill("Make it blue")
    page.get_by_role("button", name="Generate").click()
    error = page.locator("#image_urls-error")
    expect(error).not_to_have_text("")
    expect(page.locator("#form-error")).to_have_text("Check the field marked above.")
    assert text_of(page).count(error.inner_text()) == 1
    expect(page.locator("#elapsed")).to_have_text("")  # refused before a generation existed: no "Took 0 s."


def test_a_rejected_key_is_said_once(server, page):
    page.goto(server["base"] + "/playground")
    page.get_by_label("API key", exact=True).fill("ig_not_a_key_at_all_0123456789")
    page.get_by_label("API key", exact=True).dispatch_event("change")
    expect(page.locator("#key-status")).to_contain_text("This key was not accepted")
    page.get_by_label("Prompt", exact=True).fill("Anything")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#run-status")).to_have_text("Not generated: nothing was charged.")
    expect(page.get_by_label("API key", exact=True)).to_be_focused()
    assert text_of(page).count("This key was not accepted") == 1


def test_a_402_shows_cents_and_says_where_credit_comes_from(server, page):
    # An account made with no credit: $0.00, as the pages write it (the message said "$0").
    assert admin(server, "POST", "/accounts", json={"name": "penniless"}).status_code == 201
    key = admin(server, "POST", "/accounts/penniless/keys", json={}).json()["key"]
    page.goto(server["base"] + "/playground")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_label("API key", exact=True).dispatch_event("change")
    expect(page.locator("#key-status")).to_contain_text("Balance: $0.00 available")
    page.get_by_label("Prompt", exact=True).fill("Anything")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#form-error")).to_have_text(
        "This request needs $0.014 and the available balance is $0.00. Nothing was charged: add credit (your account "
        "page, /account, says how), then try again.")
    assert text_of(page).count("Nothing was charged: add") == 1


def test_the_account_page_forgets_the_previous_keys_figures_when_a_key_is_rejected(server, page):
    key = new_key(server, "figures", "3")
    page.goto(server["base"] + "/account")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_label("API key", exact=True).dispatch_event("change")
    expect(page.locator("#balance")).to_have_text("$3.00")
    expect(page.locator("#ledger tbody tr")).not_to_have_count(0)
    page.get_by_label("API key", exact=True).fill("ig_wrong_key_for_this_test_0123456789")
    page.get_by_label("API key", exact=True).dispatch_event("change")
    expect(page.locator("#key-status")).to_contain_text("This key was not accepted")
    expect(page.locator("#balance")).to_have_text("—")
    expect(page.locator("#held")).to_have_text("—")
    expect(page.locator("#ledger tbody tr")).to_have_count(0)
    expect(page.locator("#spend-chart")).to_be_empty()


def test_browser_addresses_end_on_pages(server, page):
    # The API's id, without the vendor: the model's page.
    page.goto(server["base"] + "/models/seedream-5-lite")
    expect(page).to_have_url(server["base"] + "/models/bytedance/seedream-5-lite")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seedream 5 Lite")
    # An address nothing serves: a page with a way back, not a JSON error.
    response = page.goto(server["base"] + "/models/no-such-model")
    assert response.status == 404 and response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    response = page.goto(server["base"] + "/pricing")
    assert response.status == 404 and response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("link", name="See every model")).to_be_visible()
    # The favicon browsers ask for on their own.
    icon = requests.get(server["base"] + "/favicon.ico", timeout=30)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    # The API's clients still get the API's errors.
    api = requests.get(server["base"] + "/v1/nothing-here", headers={"Accept": "text/html,application/json"}, timeout=30)
    assert api.status_code == 404 and api.json()["code"] == "not_found"


def test_every_data_table_is_a_list_of_cards_on_a_phone(server, browser):
    key = new_key(server, "phone", "1")
    requests.post(f"{server['base']}/v1/generate", json={"model": "seedream-5-lite", "prompt": "A phone-sized test"},
                  headers={"Authorization": f"Bearer {key}"}, timeout=60)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    overflowing = """(table) => ({
        wide: table.scrollWidth > table.parentElement.clientWidth,
        unlabelled: [...table.tBodies[0].querySelectorAll('td')].filter((cell) => !cell.dataset.label && cell.textContent.trim()).length,
        rows: table.tBodies[0].rows.length })"""
    page.goto(server["base"] + "/account")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_label("API key", exact=True).dispatch_event("change")
    expect(page.locator("#ledger tbody tr")).not_to_have_count(0)
    assert page.locator("#ledger").evaluate(overflowing) == {"wide": False, "unlabelled": 0, "rows": 2}
    page.goto(server["base"] + "/admin")
    page.get_by_label("Admin token", exact=True).fill(ADMIN_TOKEN)
    page.get_by_label("Admin token", exact=True).dispatch_event("change")
    expect(page.locator("#keys tbody tr").first).to_be_visible()
    expect(page.locator("#margin tbody tr").first).to_be_visible()
    expect(page.locator("#routes tbody tr").first).to_be_visible()
    for table in ["#accounts", "#keys", "#margin", "#routes"]:
        shape = page.locator(table).evaluate(overflowing)
        assert not shape["wide"] and shape["unlabelled"] == 0 and shape["rows"] > 0, (table, shape)
    # The Revoke button of every key is on the screen, not scrolled off it.
    box = page.locator("#keys tbody tr").first.get_by_role("button", name="Revoke").bounding_box()
    assert box and box["x"] + box["width"] <= 390
    context.close()


def test_every_data_table_is_a_table_on_a_desktop(server, page):
    """The cards are for phones: on a desktop each column's heading stands above its cells (the catalogue's grid of
    model cards once laid the heading row and the body side by side)."""
    aligned = """(table) => [...table.tHead.rows[0].cells].every((heading, index) => {
        const cell = table.tBodies[0].rows[0].cells[index];
        const [top, below] = [heading.getBoundingClientRect(), cell.getBoundingClientRect()];
        return Math.abs(top.left - below.left) < 2 && below.top >= top.bottom - 1;
    })"""
    page.goto(server["base"] + "/admin")
    page.get_by_label("Admin token", exact=True).fill(ADMIN_TOKEN)
    page.get_by_label("Admin token", exact=True).dispatch_event("change")
    for table in ["#accounts", "#keys", "#routes"]:
        expect(page.locator(f"{table} tbody tr").first).to_be_visible()
        assert page.locator(table).evaluate(aligned), table


def test_each_modes_table_states_that_modes_own_requirement(server, page):
    page.goto(server["base"] + "/models/bytedance/seedream-5-lite")
    page.get_by_role("tab", name="Edit").click() if page.get_by_role("tab", name="Edit").count() else None
    edit_mode = page.locator('#table-edit tr[data-parameter="mode"]')
    expect(edit_mode).to_contain_text('Required: "edit"')
    expect(edit_mode.locator("td").nth(1)).to_have_text("")  # no default that would make an edit a generation
    expect(page.locator('#table-generate tr[data-parameter="mode"]')).to_contain_text("generate")
    # What the table says is what the API does: an edit that leaves `mode` out is a generation's request.
    key = new_key(server, "modes", "1")
    answer = requests.post(f"{server['base']}/v1/generate", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                           json={"model": "seedream-5-lite", "prompt": "x", "image_urls": ["https://example.com/a.png"]})
    assert answer.status_code == 400 and answer.json()["param"] == "image_urls"


def test_the_admin_page_speaks_to_the_operator_and_follows_what_they_do(server, page):
    """Trap 4: a wrong token leaves nothing to press and is called a token, not a customer's key; a new account is
    where the credit and key forms then point; a refusal names the form's field, not the API's."""
    page.goto(server["base"] + "/admin")
    page.get_by_label("Admin token", exact=True).fill("not-the-token-of-this-server-0123456789")
    page.get_by_label("Admin token", exact=True).dispatch_event("change")
    expect(page.locator("#token-status")).to_have_text(re.compile("This admin token was not accepted"))
    assert "key was not accepted" not in page.locator("#token-status").inner_text()
    for button in ["Create account", "Add credit", "Create key", "Run the audit"]:
        expect(page.get_by_role("button", name=button)).to_be_disabled()
    expect(page.locator("#accounts tbody tr")).to_have_count(0)

    page.get_by_label("Admin token", exact=True).fill(ADMIN_TOKEN)
    page.get_by_label("Admin token", exact=True).dispatch_event("change")
    expect(page.get_by_role("button", name="Create account")).to_be_enabled()
    page.get_by_label("Account name").fill("trap-four")
    page.get_by_label("Starting credit (USD)").fill("lots")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#create-account-status")).to_have_text(re.compile("Starting credit"))
    assert "credit_usd" not in page.locator("#create-account-status").inner_text()
    page.get_by_label("Starting credit (USD)").fill("2")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#create-account-status")).to_have_text(re.compile("Account trap-four created"))
    expect(page.locator("#credit-account")).to_have_value("trap-four")
    expect(page.locator("#key-account")).to_have_value("trap-four")
