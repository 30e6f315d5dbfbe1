"""`/docs`: the API reference the server renders from its own OpenAPI document (issue 27), in a real browser.

Debian's chromium through Playwright, against the same server fixture as test_web.py.
"""

import pytest
import requests
from playwright.sync_api import expect
from test_web import browser, page, serious_violations, server  # noqa: F401 (fixtures)

METHODS = ("get", "head", "post", "put", "patch", "delete")


def test_docs_lists_every_operation_of_the_contract_and_post_generate_with_its_parameters(server, page):
    page.goto(server["base"] + "/models")
    page.get_by_role("link", name="API reference", exact=True).click()
    expect(page).to_have_url(server["base"] + "/docs")
    contract = requests.get(server["base"] + "/openapi.json", timeout=30).json()
    expected = sorted(f"{method.upper()} {path}" for path, item in contract["paths"].items() for method in METHODS if method in item)
    shown = sorted(text.replace("\xa0", " ") for text in page.locator("section > article.operation:not(.schema) > h3").all_inner_texts())
    assert shown == expected

    page.get_by_role("navigation", name="Operations").get_by_role("link", name="POST /v1/generate").click()
    expect(page).to_have_url(server["base"] + "/docs#op-generate")
    generate = page.locator("article#op-generate, article:has(> h3#op-generate)")
    expect(generate.locator(".summary")).to_have_text("Generate or edit images")
    body = {row.locator("th").inner_text(): row.locator("td").first.inner_text()
            for row in generate.get_by_role("region", name="Body of POST /v1/generate").locator("tbody tr").all()}
    assert body["model required"] == "ModelId" and body["prompt required"] == "Prompt"
    assert body["image_urls"] == "null (GenerateModeRequest); ImageUrls (EditModeRequest)"
    assert {"num_images", "seed", "size", "aspect_ratio", "output_format", "mode"} <= set(body)
    parameters = generate.get_by_role("region", name="Parameters of POST /v1/generate").locator("tbody th").all_inner_texts()
    assert parameters == ["Prefer", "Idempotency-Key"]
    expect(generate).to_contain_text("Only the required fields")
    expect(generate.locator("pre").first).to_contain_text('"model": "seedream-5-lite"')
    answers = generate.locator(".responses dt").all_inner_texts()
    assert any(answer.startswith("402") for answer in answers) and any(answer.startswith("200 CompletedGeneration") for answer in answers)
    # The shapes, with this thumbnail.
    expect(page.locator("#schema-generationimage").locator("xpath=..")).to_contain_text("thumbnail_url")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_docs_is_clean_for_axe_and_fits_a_phone(server, browser, scheme):
    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        context = browser.new_context(viewport=viewport, color_scheme=scheme)
        page = context.new_page()
        page.goto(server["base"] + "/docs")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        found = serious_violations(page)
        context.close()
        assert found == []
