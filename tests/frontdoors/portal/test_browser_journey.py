"""A citizen applies for the baby bonus in a real headless Chromium, and every page passes axe-core.

Runs against pytest-django's live server. A live-server test's database is flushed, so it seeds its own small
nation; events are delivered on commit so acknowledgements reach the inbox as they would with the worker.
"""

import json
import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[3] / "frontend" / "dist" / "axe" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Chromium at /usr/bin/chromium"),
    pytest.mark.skipif(not AXE.exists(), reason="run `make assets` to build frontend/dist first"),
]


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; return the serious and critical violations."""
    # Not add_script_tag: it inserts an inline <script>, which the page's CSP rightly blocks. Evaluating
    # through the DevTools protocol is not subject to the page's CSP, so the CSP stays as strict as in production.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page, checked: list[str]) -> None:
    violations = axe_violations(page)
    checked.append(page.url)
    summary = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["html"][:200] for n in v["nodes"][:5]]}
        for v in violations
    ]
    assert not violations, f"axe-core found problems on {page.url}:\n{json.dumps(summary, indent=2)}"


def assert_govuk_styles_loaded(page) -> None:
    """A broken static path leaves the page unstyled: no black header, no green button, the browser's font."""
    header_background = page.eval_on_selector(".govuk-generic-header", "e => getComputedStyle(e).backgroundColor")
    body_font = page.eval_on_selector(".govuk-heading-xl, .govuk-heading-l", "e => getComputedStyle(e).fontFamily")
    assert header_background == "rgb(11, 12, 12)", header_background
    assert body_font.startswith("arial"), body_font
    assert "GDS Transport" not in body_font  # GOV.UK's own typeface is not ours to use
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')"), "init.js did not run"


@pytest.fixture
def seeded_nation(transactional_db, settings):
    from django.core.management import call_command

    from digigov.platform.seeding import nation_seed

    # Whether the session's seed is still here depends on which transactional test ran before this one
    # (each flushes the database when it ends), so start from an empty database either way.
    call_command("flush", interactive=False, verbosity=0)
    settings.DIGIGOV_DELIVER_EVENTS_INLINE = True
    return nation_seed(residents=50, seed=3)


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.console_errors = errors
        try:
            yield page
        finally:
            browser.close()


def test_a_parent_applies_for_the_baby_bonus_from_the_home_page(live_server, seeded_nation, browser_page):
    journey(base_url=live_server.url, page=browser_page, national_id=seeded_nation.demo_citizen_national_id,
            password=seeded_nation.demo_password)


def journey(*, base_url: str, page, national_id: str, password: str) -> None:
    checked: list[str] = []
    page.goto(base_url + "/")
    assert_govuk_styles_loaded(page)
    assert_accessible(page, checked)

    page.get_by_role("link", name=re.compile("having a baby", re.I)).first.click()
    page.wait_for_url("**/life-events/**")
    assert_accessible(page, checked)

    page.get_by_role("link", name=re.compile("baby bonus", re.I)).first.click()
    page.wait_for_url("**/services/baby-bonus/")
    assert_accessible(page, checked)

    page.get_by_role("button", name="Start now").click()
    page.wait_for_url("**/sign-in/**")
    assert_accessible(page, checked)

    page.get_by_label("National ID number or username").fill(national_id)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/consent/")
    assert_accessible(page, checked)
    assert page.locator("#consent-elements tbody tr").count() >= 5

    page.get_by_role("button", name="Yes, fill in my details").click()
    page.wait_for_url("**/form/")
    assert "Verified by" in page.inner_text("#verified-answers")
    assert_accessible(page, checked)

    # Submitting with nothing typed shows the error summary, linked to the fields.
    page.get_by_role("button", name="Submit").click()
    page.wait_for_selector(".govuk-error-summary")
    assert page.title().startswith("Error:")
    assert_accessible(page, checked)

    page.get_by_label(re.compile("bank account", re.I)).fill("123-456789-0")
    page.locator(".govuk-radios--inline input[value=yes]").first.check()  # the yes/no declaration
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/submitted/")
    reference = page.inner_text("#reference")
    assert reference.count("-") == 2, reference
    assert_accessible(page, checked)

    page.get_by_role("link", name="Check the status of your application").click()
    page.wait_for_url("**/applications/*/")
    assert reference in page.inner_text("#reference")
    assert_accessible(page, checked)

    for path in ("/applications/", "/inbox/", "/my-data/", "/kpi/", "/services/?q=baby"):
        page.goto(base_url + path)
        assert_accessible(page, checked)

    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
    assert len(checked) >= 14
