"""The whole cross-agency journey in a real headless Chromium, and every page passes axe-core.

A parent finds the baby bonus under "having a baby", signs in, lets the platform pre-fill what other agencies
already know, applies and gets a reference. The social security agency's case officer signs in with a
password and an authenticator code, finds the application in the queue, claims it and approves it. The parent
signs in again, reads the decision in the application and the inbox, and rates the service; the public
performance page counts the application, the decision and the rating.

Runs against pytest-django's live server. A live-server test's database is flushed, so it seeds its own small
nation; events are delivered on commit (DIGIGOV_DELIVER_EVENTS_INLINE) as the worker would deliver them, and
the test checks the outbox is empty at the end.
"""

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[3] / "frontend" / "dist" / "axe" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
OFFICER = "ssa.case"

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


def assert_error_summary_links(page, *targets: str) -> None:
    """The error summary is shown, the title says so, and each message links to its field."""
    page.wait_for_selector(".govuk-error-summary")
    assert page.title().startswith("Error:"), page.title()
    hrefs = page.eval_on_selector_all(".govuk-error-summary__list a", "links => links.map(a => a.getAttribute('href'))")
    for target in targets:
        assert target in hrefs, hrefs
        assert page.locator(target).count() == 1, target


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
        page.on("pageerror", lambda e: errors.append(f"Uncaught: {e}"))
        page.console_errors = errors
        try:
            yield page
        finally:
            browser.close()


def test_a_parent_applies_for_the_baby_bonus_and_an_officer_approves_it(live_server, seeded_nation, browser_page):
    import pyotp

    from digigov.platform.models import Event

    page, base_url = browser_page, live_server.url
    page.set_default_timeout(10_000)  # a step that fails says so quickly
    officer = next(o for o in seeded_nation.officers if o.username == OFFICER)
    checked: list[str] = []

    before = kpi_figures(page, base_url=base_url, checked=checked)

    reference = citizen_applies(page, base_url=base_url, checked=checked,
                                national_id=seeded_nation.demo_citizen_national_id,
                                password=seeded_nation.demo_password)
    sign_out(page)
    for path in ("/sign-in/passkey/", "/sign-in/unlock/", "/sign-in/unlock/not-a-token/"):
        page.goto(base_url + path)
        assert_accessible(page, checked)

    officer_approves(page, base_url=base_url, checked=checked, reference=reference, username=OFFICER,
                     password=seeded_nation.demo_password, totp=pyotp.TOTP(officer.totp_secret))
    sign_out(page)

    citizen_reads_the_decision_and_rates(page, base_url=base_url, checked=checked, reference=reference,
                                         national_id=seeded_nation.demo_citizen_national_id,
                                         password=seeded_nation.demo_password)

    after = kpi_figures(page, base_url=base_url, checked=checked, via_breakdown=True)
    assert after["submitted"] == before["submitted"] + 1, (before, after)
    assert after["prefilled"] == before["prefilled"] + 1, (before, after)
    assert after["decided"] == before["decided"] + 1, (before, after)
    assert after["ratings"] == before["ratings"] + 1, (before, after)
    assert after["satisfied"] == before["satisfied"] + 1, (before, after)
    assert after["satisfied_value"] != "–", after

    # Every event the journey published was delivered on commit, as the worker would have: none pending or failed.
    # (In a thread of its own: Playwright's event loop runs in this one, and Django refuses queries there.)
    with ThreadPoolExecutor(1) as pool:
        undelivered = pool.submit(
            lambda: list(Event.objects.filter(dispatched_at__isnull=True).values_list("type", "last_error"))
        ).result()
    assert not undelivered, undelivered
    # Chromium reports a blocked inline script or style as "... violates the following Content Security Policy
    # directive ..." (older versions: "Refused to ..."); a script that throws, as "Uncaught: ...".
    problems = [e for e in page.console_errors
                if "Content Security Policy" in e or e.startswith(("Refused to", "Uncaught"))]
    assert not problems, problems
    assert len(checked) >= 40, checked


# --- the citizen applies -------------------------------------------------------------------------------------

def citizen_applies(page, *, base_url: str, checked: list[str], national_id: str, password: str) -> str:
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
    reference = page.inner_text("#reference").strip()
    assert reference.count("-") == 2, reference
    assert_accessible(page, checked)

    page.get_by_role("link", name="Check the status of your application").click()
    page.wait_for_url("**/applications/*/")
    assert reference in page.inner_text("#reference")
    assert_accessible(page, checked)

    page.goto(base_url + "/inbox/")
    # The acknowledgement, delivered on commit by the messaging block's subscriber.
    assert page.get_by_role("link", name=f"We have received your application {reference}").count() == 1
    assert_accessible(page, checked)

    for path in (
        "/applications/", "/my-data/", "/services/?q=baby", "/offers/", "/account/apps/", "/kpi/blueprint/",
        "/kpi/blueprint/digital_end_to_end/", "/account/security/", "/account/businesses/",
    ):
        page.goto(base_url + path)
        assert_accessible(page, checked)
    return reference


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("link", name="Sign in").count() == 1


# --- the officer decides -------------------------------------------------------------------------------------

def officer_approves(page, *, base_url: str, checked: list[str], reference: str, username: str, password: str,
                     totp) -> None:
    # The back office sends someone not signed in to the sign-in page, and back again afterwards.
    page.goto(base_url + "/backoffice/")
    page.wait_for_url(re.compile(r"/sign-in/\?next=/backoffice/$"))
    assert_accessible(page, checked)
    page.get_by_label("National ID number or username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/sign-in/code/")
    assert_accessible(page, checked)

    # A wrong code first: the page says so, linked to the box.
    page.get_by_label("Enter the code from your authenticator app").fill(wrong_code(totp))
    page.get_by_role("button", name="Continue").click()
    assert_error_summary_links(page, "#code")
    assert_accessible(page, checked)

    page.get_by_label("Enter the code from your authenticator app").fill(totp.now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/backoffice/$"))
    assert_govuk_styles_loaded(page)
    assert_accessible(page, checked)

    link = page.locator("#tasks").get_by_role("link", name=reference)
    assert link.count() == 1, page.inner_text("main")
    row = page.locator("#tasks tbody tr", has=page.get_by_role("link", name=reference))
    assert "Baby Bonus" in row.inner_text() and "Nobody yet" in row.inner_text()
    link.click()
    page.wait_for_url("**/backoffice/tasks/*/")
    assert page.inner_text("h1").strip() == reference
    assert "Verified by" in page.inner_text("#answers")  # the answers other agencies vouched for
    assert page.locator("#decision-form").count() == 0  # not before claiming
    assert_accessible(page, checked)

    page.get_by_role("button", name="Claim this task").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    assert f"You are now working on {reference}." in page.inner_text(".govuk-notification-banner--success")
    assert page.locator("#decision-form").count() == 1
    assert_accessible(page, checked)

    # Rejecting needs a reason the applicant will read.
    page.get_by_label("Reject").check()
    page.get_by_role("button", name="Save decision").click()
    assert_error_summary_links(page, "#reason")
    assert page.locator("#reason-error").count() == 1
    assert page.get_by_label("Reject").is_checked()  # the choice is kept
    assert_accessible(page, checked)

    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    assert f"Application {reference} approved." in page.inner_text(".govuk-notification-banner--success")
    assert "Done" in page.inner_text("#task-summary")
    assert "Approve" in page.inner_text("#decisions")
    assert page.locator("#decision-form").count() == 0
    assert_accessible(page, checked)

    page.get_by_role("link", name="Back to the queue").click()
    page.wait_for_url(re.compile(r"/backoffice/$"))
    page.get_by_role("link", name=re.compile(r"^Done \(")).click()
    page.wait_for_url(re.compile(r"/backoffice/\?status=done$"))
    assert page.locator("#tasks").get_by_role("link", name=reference).count() == 1
    assert_accessible(page, checked)

    for path in ("/backoffice/offers/", "/backoffice/investigations/"):
        page.goto(base_url + path)
        assert_accessible(page, checked)


def wrong_code(totp) -> str:
    """A six-digit code that no window the server accepts would give."""
    import time

    now = time.time()
    near = {totp.at(now + drift) for drift in range(-90, 91, 30)}
    return next(code for n in range(1_000_000) if (code := f"{n:06d}") not in near)


# --- the citizen reads the decision and rates the service ----------------------------------------------------

def citizen_reads_the_decision_and_rates(page, *, base_url: str, checked: list[str], reference: str,
                                         national_id: str, password: str) -> None:
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url("**/sign-in/")
    page.get_by_label("National ID number or username").fill(national_id)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/applications/")
    row = page.locator("#applications tbody tr", has=page.get_by_text(reference, exact=True))
    assert "Approved" in row.inner_text(), row.inner_text()
    assert_accessible(page, checked)

    inbox_link = page.get_by_role("link", name=re.compile(r"^Inbox \(2 unread\)$"))
    assert inbox_link.count() == 1, page.inner_text(".govuk-service-navigation")
    inbox_link.click()
    page.wait_for_url("**/inbox/")
    assert_accessible(page, checked)

    page.get_by_role("link", name=f"Your application {reference} has been approved").click()
    page.wait_for_url("**/inbox/*/")
    body = page.inner_text("#message-body")
    assert "approved your application for Baby Bonus" in body
    assert_accessible(page, checked)
    application_path = re.search(r"/applications/[0-9a-f-]{36}/", body)
    assert application_path, body

    page.get_by_role("link", name="Go to your application").click()
    page.wait_for_url("**" + application_path.group(0))
    assert page.inner_text("#status").strip() == "Approved"
    assert "Your application has been approved." in page.inner_text("#decision")
    assert_accessible(page, checked)  # with the rating form

    # Sending feedback without a rating shows the error, linked to the first choice.
    page.get_by_role("button", name="Send feedback").click()
    assert_error_summary_links(page, "#score")
    assert_accessible(page, checked)

    page.get_by_label("Extremely satisfied").check()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_selector("#rating")
    assert page.get_by_role("button", name="Send feedback").count() == 0  # one rating per application
    assert_accessible(page, checked)

    # The officer's reading of the application is in the parent's record of who looked at her data.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Your data").click()
    page.wait_for_url("**/my-data/")
    assert f"Case review of application {reference}" in page.inner_text("#accesses")
    assert_accessible(page, checked)


# --- the public performance page -----------------------------------------------------------------------------

def _table_total(page, key: str) -> int:
    """The sum of the last column (the count each month's figure is based on) of a KPI card's table."""
    table = page.locator(f"#kpi-{key}-table")
    if not table.count():
        return 0
    cells = table.locator("tbody tr td:last-child").all_inner_texts()
    return sum(int(c.strip()) for c in cells)


def _share(text: str) -> float:
    return 0.0 if text.strip() == "–" else float(text.strip().rstrip("%")) / 100


def kpi_figures(page, *, base_url: str, checked: list[str], via_breakdown: bool = False) -> dict:
    """The Baby Bonus figures on the public performance page."""
    if via_breakdown:
        # Reached as a member of the public would: all services -> the agency -> the service.
        page.goto(base_url + "/kpi/")
        assert_accessible(page, checked)
        page.locator('#kpi-breakdown a[href="?agency=SSA"]').click()
        page.wait_for_url(re.compile(r"/kpi/\?agency=SSA$"))
        assert_accessible(page, checked)
        row = page.locator("#kpi-breakdown tbody tr", has=page.get_by_role("link", name="Baby Bonus"))
        assert row.locator("td").nth(3).inner_text().strip() != "–"  # very or extremely satisfied
        row.get_by_role("link", name="Baby Bonus").click()
    else:
        page.goto(base_url + "/kpi/?service=baby-bonus")
    page.wait_for_url(re.compile(r"/kpi/\?service=baby-bonus$"))
    assert page.inner_text("h1").strip() == "Baby Bonus"
    assert_accessible(page, checked)
    based_on = re.search(r"Based on (\d+) application", page.inner_text(".govuk-body-l"))
    assert based_on, page.inner_text(".govuk-body-l")
    ratings = _table_total(page, "satisfied")
    satisfied_value = page.inner_text("#kpi-satisfied-value").strip()
    return {
        "submitted": int(based_on.group(1)),
        "prefilled": round(_share(page.inner_text("#kpi-prefilled-value")) * _table_total(page, "prefilled")),
        "decided": _table_total(page, "digital"),
        "ratings": ratings,
        "satisfied": round(_share(satisfied_value) * ratings),
        "satisfied_value": satisfied_value,
    }
