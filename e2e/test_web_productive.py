"""What makes a newcomer productive in the browser (issue 27): small previews made by the server, a Copy button on
every code block, the playground's request as code (run verbatim here), example prompts that open the playground,
results that say how they were made (Remix, Use as reference) and a ledger whose amounts carry their sign.

Debian's chromium through Playwright, against the same server fixture as test_web.py.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

import pytest
import requests
from conftest import BINARY, WORK
from playwright.sync_api import expect
from test_web import (  # noqa: F401 (fixtures)
    browser, enter_key, generations, new_key, page, serious_violations, server, wait_for_end,
)

SETTINGS = ("model", "mode", "prompt", "aspect_ratio", "size", "num_images", "seed", "output_format")


def generate(server, key: str, **body) -> dict:
    response = requests.post(f"{server['base']}/v1/generate", json={"model": "seedream-5-lite", **body},
                             headers={"Authorization": f"Bearer {key}"}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def digest(url: str) -> str:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    return hashlib.sha256(response.content).hexdigest()


def open_playground(server, page, key: str, prompt: str, choices: dict | None = None):
    """The playground with `key`, its prompt filled in and the selects named in `choices` (label: value) chosen."""
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    page.get_by_label("Prompt", exact=True).fill(prompt)
    for label, value in (choices or {}).items():
        page.get_by_label(label, exact=True).select_option(value)


def run(page):
    """Generate, and wait for the run's end."""
    page.get_by_role("button", name="Generate").click()
    wait_for_end(page)


def test_the_history_shows_the_servers_small_thumbnails_with_the_full_image_one_click_away(server, page):
    key = new_key(server, "thumbnails", "1")
    made = [generate(server, key, prompt=f"Thumbnail {n}", size="2K", aspect_ratio="16:9") for n in range(3)]
    assert made[0]["images"][0]["width"] == 2848
    loaded = []
    page.on("response", lambda response: loaded.append(response) if response.request.resource_type == "image" else None)
    page.goto(server["base"] + "/playground")
    enter_key(page, key)
    thumbnails = page.locator("#history img")
    expect(thumbnails).to_have_count(3)
    for index in range(3):
        image = thumbnails.nth(index)
        expect(image).to_have_attribute("loading", "lazy")
        assert "/v1/thumbnails/" in image.get_attribute("src")
        image.scroll_into_view_if_needed()
        image.evaluate("img => img.decode()")
        assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [256, 144]
        # The full image is the link around it.
        link = page.locator("#history a:has(img)").nth(index)
        assert link.get_attribute("href") == made[2 - index]["images"][0]["url"]
    # What the page loaded for the list: thumbnails of a few kilobytes, never a full output.
    pictures = [response for response in loaded if "/v1/" in response.url]
    assert pictures and all("/v1/thumbnails/" in response.url for response in pictures), [r.url for r in pictures]
    for response in pictures:
        assert response.headers["content-type"] == "image/jpeg"
        assert len(response.body()) < 30_000, f"{len(response.body())} bytes"
    with page.expect_popup() as opened:
        page.locator("#history a:has(img)").first.click()
    full = opened.value
    full.wait_for_load_state()
    assert "/v1/outputs/" in full.url


def test_every_code_block_has_a_copy_button_that_copies_it(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server["base"] + "/models/bytedance/seedream-5-lite")
    blocks = page.locator("pre")
    expect(page.locator(".code-block")).to_have_count(blocks.count())
    for index in range(blocks.count()):
        expect(page.locator(".code-block").nth(index).get_by_role("button", name="Copy", include_hidden=True)).to_have_count(1)
    # The quickstart's curl, copied, is exactly the block's text.
    page.locator("#panel-curl").get_by_role("button", name="Copy").click()
    expect(page.locator("#panel-curl").get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#quickstart-curl").inner_text()
    # The quickstart also shows an edit, with reference images given by URL.
    edit = page.locator("#quickstart-edit").inner_text()
    assert '"mode": "edit"' in edit and '"image_urls": [' in edit and "$IMAGEGATE_API_KEY" in edit
    page.locator("#quickstart-edit").locator("xpath=../..").get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == edit
    context.close()


def test_show_code_turns_the_form_into_code_that_makes_the_same_generation(server, page):
    key = new_key(server, "show-code", "2")
    open_playground(server, page, key, "A paper boat on a puddle, it's raining", {"Aspect ratio": "1:1", "Output format": "jpeg"})
    page.get_by_label("Number of images", exact=True).fill("2")
    page.get_by_label("Seed", exact=True).fill("4242")
    page.get_by_role("button", name="Show code").click()
    expect(page.get_by_role("button", name="Hide code")).to_have_attribute("aria-expanded", "true")
    curl = page.locator("#code-curl").inner_text()
    python = page.locator("#code-python").inner_text()
    cli = page.locator("#code-cli").inner_text()
    for code in (curl, python, cli):
        assert key not in code, "the key itself is never shown"
    assert "$IMAGEGATE_API_KEY" in curl and 'os.environ["IMAGEGATE_API_KEY"]' in python
    # The code follows the form.
    page.get_by_label("Seed", exact=True).fill("4243")
    expect(page.locator("#code-curl")).to_contain_text('"seed": 4243')
    page.get_by_label("Seed", exact=True).fill("4242")
    expect(page.locator("#code-curl")).to_have_text(curl)

    run(page)
    expect(page.locator("#run-status")).to_have_text("Completed: 2 images, charged $0.028.")
    from_page = generations(server, key)[0]

    environment = {**os.environ, "IMAGEGATE_API_KEY": key}
    ran = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=120, env=environment)
    from_curl = json.loads(ran.stdout)
    assert from_curl["status"] == "completed", ran.stdout
    assert {name: from_curl[name] for name in SETTINGS} == {name: from_page[name] for name in SETTINGS}
    assert [digest(image["url"]) for image in from_curl["images"]] == [digest(image["url"]) for image in from_page["images"]]

    # The Python (openai SDK) and the CLI make the same request through their own front doors.
    ran = subprocess.run([sys.executable, "-c", python], capture_output=True, text=True, timeout=120, env=environment)
    assert ran.returncode == 0, ran.stderr
    folder = tempfile.mkdtemp(dir=WORK)
    os.symlink(BINARY, os.path.join(folder, "imagegate"))
    ran = subprocess.run(["bash", "-c", cli], capture_output=True, text=True, timeout=120, cwd=folder,
                         env={**environment, "PATH": f"{folder}:{os.environ['PATH']}"})
    assert ran.returncode == 0, ran.stderr
    made = generations(server, key)[:2]
    for generation in made:
        assert generation["mode"] == "generate" and generation["num_images"] == 2 and generation["seed"] == 4242
        assert generation["resolved_aspect_ratio"] == "1:1" and generation["prompt"] == from_page["prompt"]
        assert generation["output_format"] == "jpeg"


def test_try_this_prompt_opens_the_playground_filled_in_and_generates(server, page):
    key = new_key(server, "examples", "1")
    page.goto(server["base"] + "/models/bytedance/seedream-5-lite")
    examples = page.locator(".examples li")
    expect(examples).not_to_have_count(0)
    prompt = examples.nth(1).locator("p").inner_text()
    examples.nth(1).get_by_role("link", name=re.compile("^Try this prompt")).click()
    expect(page).to_have_url(re.compile(r"/playground\?model=seedream-5-lite&prompt="))
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(prompt)
    expect(page.get_by_label("Model", exact=True)).to_have_value("seedream-5-lite")
    enter_key(page, key)
    run(page)
    expect(page.locator("#run-status")).to_have_text("Completed: 1 image, charged $0.014.")
    assert generations(server, key)[0]["prompt"] == prompt
    # An empty form says what a prompt looks like.
    page.goto(server["base"] + "/playground")
    assert page.get_by_label("Prompt", exact=True).get_attribute("placeholder")


def test_a_result_shows_its_seed_and_remix_restores_its_settings(server, page):
    key = new_key(server, "remix", "1")
    open_playground(server, page, key, "A teal bicycle against a brick wall", {"Aspect ratio": "3:2"})
    run(page)
    first = generations(server, key)[0]
    expect(page.locator("#result-settings")).to_have_text(
        f"Seed {first['seed']} · seedream-5-lite · generate · 3:2 (2K) · 1 image · png")
    # Another form, then Remix: the first run's settings, seed included, and the same picture again.
    page.get_by_label("Prompt", exact=True).fill("Something else")
    page.get_by_label("Aspect ratio", exact=True).select_option("1:1")
    page.get_by_label("Output format", exact=True).select_option("jpeg")
    page.locator("#result").get_by_role("button", name="Remix").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("A teal bicycle against a brick wall")
    expect(page.get_by_label("Aspect ratio", exact=True)).to_have_value("3:2")
    expect(page.get_by_label("Output format", exact=True)).to_have_value("png")
    expect(page.get_by_label("Seed", exact=True)).to_have_value(str(first["seed"]))
    run(page)
    again = generations(server, key)[0]
    assert again["generation_id"] != first["generation_id"]
    assert {name: again[name] for name in SETTINGS} == {name: first[name] for name in SETTINGS}
    assert digest(again["images"][0]["url"]) == digest(first["images"][0]["url"])
    # A history row restores its settings too, and says its mode and count.
    row = page.locator("#history li").nth(1)
    expect(row).to_contain_text("generate · 1 image")
    page.get_by_label("Prompt", exact=True).fill("Changed again")
    row.get_by_role("button", name=re.compile("^Remix")).click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("A teal bicycle against a brick wall")


def test_use_as_reference_adds_an_output_to_an_edit(server, page):
    key = new_key(server, "reference", "1")
    open_playground(server, page, key, "A white vase")
    run(page)
    source = generations(server, key)[0]
    page.get_by_role("button", name="Use image 1 as reference").click()
    expect(page.get_by_label("Mode", exact=True)).to_have_value("edit")
    expect(page.locator("#thumbs img")).to_have_count(1)
    expect(page.locator("#thumbs img")).to_have_attribute("alt", f"Reference 1: {source['generation_id']}-1.png")
    page.get_by_label("Prompt", exact=True).fill("The same vase in cobalt blue")
    run(page)
    expect(page.locator("#run-status")).to_have_text("Completed: 1 image, charged $0.014.")
    edit = generations(server, key)[0]
    assert edit["mode"] == "edit" and edit["prompt"] == "The same vase in cobalt blue"


def test_the_ledger_shows_one_signed_line_per_generation_leading_to_its_page(server, page):
    key = new_key(server, "signed", "1")
    made = generate(server, key, prompt="Signed money", seed=31)
    page.goto(server["base"] + "/account")
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_label("API key", exact=True).dispatch_event("change")
    lines = page.locator("#ledger tbody tr")
    expect(lines).to_have_count(2)  # the credit, and the generation's hold and charge as one line
    cells = [lines.nth(index).locator("td").all_inner_texts() for index in range(2)]
    assert [cells[0][1], cells[0][2], cells[0][4], cells[0][5]] == ["Generation", "−$0.014", made["generation_id"],
                                                                    "held $0.014 · charged $0.014"]
    assert [cells[1][1], cells[1][2]] == ["Credit", "+$1.00"]
    # The generation's page: its images, settings, costs and attempts.
    lines.first.get_by_role("link", name=made["generation_id"]).click()
    expect(page).to_have_url(f"{server['base']}/generations/{made['generation_id']}")
    expect(page.locator("#generation-status")).to_contain_text("Completed")
    image = page.locator("#images img")
    expect(image).to_have_attribute("src", made["images"][0]["thumbnail_url"])
    expect(page.locator("#images a").first).to_have_attribute("href", made["images"][0]["url"])
    expect(page.locator("#settings")).to_contain_text("Signed money")
    expect(page.locator("#settings")).to_contain_text("31")
    expect(page.locator("#costs")).to_contain_text("−$0.014")
    expect(page.locator("#attempts tbody tr")).to_have_count(1)
    expect(page.locator("#attempts tbody td").first).to_have_text("local")
    # Another account's key sees nothing of it.
    other = new_key(server, "signed-other", "1")
    page.get_by_label("API key", exact=True).fill(other)
    page.get_by_label("API key", exact=True).dispatch_event("change")
    expect(page.locator("#images img")).to_have_count(0)
    expect(page.locator("#settings")).to_be_empty()
    page.get_by_label("API key", exact=True).fill(key)
    page.get_by_label("API key", exact=True).dispatch_event("change")
    # Its settings, back in the playground's form.
    page.get_by_role("link", name="Remix in the playground").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value("Signed money")
    expect(page.get_by_label("Seed", exact=True)).to_have_value("31")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_is_clean_on_the_new_controls(server, browser, scheme):
    """The shown code, a result's settings and buttons, the history's rows and the model page's examples."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    open_playground(server, page, server["key"], "A lantern in the fog")
    run(page)
    page.get_by_role("button", name="Show code").click()
    expect(page.locator("#code-curl")).not_to_be_empty()
    on_playground = serious_violations(page)
    page.goto(server["base"] + "/models/bytedance/seedream-5-lite")
    on_model_page = serious_violations(page)
    context.close()
    assert (on_playground, on_model_page) == ([], [])


def test_the_model_page_says_what_the_product_page_says(server, page):
    page.goto(server["base"] + "/models/bytedance/seedream-5-lite")
    expect(page.locator(".lead")).to_contain_text("reasoning-based image model with chain-of-thought before generation")
    expect(page.get_by_role("list", name="Tags")).to_contain_text("cheapest")
    summary = page.locator("#summary")
    expect(summary).to_contain_text("a mode field (one of: generate, edit)")
    expect(summary).to_contain_text("$0.014 per image, 60% off retail")
    expect(summary).to_contain_text("output links valid for 7 days")


def test_reference_images_can_be_given_by_address(server_factory, page):
    # The server fetches addresses as the API's image_urls; this one is its own output, on loopback.
    base, key, _ = server_factory("--allow-private-image-urls")
    headers = {"Authorization": f"Bearer {key}"}
    source = requests.post(f"{base}/v1/generate", json={"model": "seedream-5-lite", "prompt": "A green teapot"},
                           headers=headers, timeout=120).json()
    address = source["images"][0]["url"]
    page.goto(base + "/playground")
    enter_key(page, key)
    page.get_by_label("Mode", exact=True).select_option("edit")
    links = page.get_by_label("Or their addresses, one a line", exact=True)
    links.fill("ftp://example.com/teapot.png")
    page.get_by_label("Prompt", exact=True).fill("The teapot in red")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#reference_links-error")).to_have_text(
        "ftp://example.com/teapot.png is not an http(s) address or a data: URI.")
    expect(links).to_be_focused()
    links.fill(address)
    page.get_by_role("button", name="Show code").click()
    expect(page.locator("#code-curl")).to_contain_text(f'"image_urls": [\n    "{address}"\n  ]')
    run(page)
    expect(page.locator("#run-status")).to_have_text("Completed: 1 image, charged $0.014.")
    edit = requests.get(f"{base}/v1/generations?limit=1", headers=headers, timeout=30).json()["data"][0]
    assert edit["mode"] == "edit" and edit["prompt"] == "The teapot in red"
