"""The policy simulation pages: who may use them, submitting a reform, following it while the worker computes
it in the background, reading its results (or why it failed) and downloading them."""

import csv
import io
import shutil

import duckdb
import pytest
from django.test import Client
from django.urls import reverse

from digigov.blocks.rules.models import SimulationRun
from digigov.blocks.rules.schemes import SCHEMES
from digigov.platform.outbox import dispatch_all
from tests.support import officer_account

REFORM = """name: Bigger first-child bonus
description: Raise the first-child cash gift.
changes:
  - parameter: ssa.baby_bonus.amount.first
    from: 2027-01-01
    value: 20000
"""


@pytest.fixture(autouse=True)
def warehouse(settings, tmp_path):
    settings.DIGIGOV_WAREHOUSE_DIR = tmp_path
    return tmp_path


@pytest.fixture
def supervisor(nation):
    return officer_account("ssa.supervisor")


def _submit(client: Client, **data) -> str:
    """Submit a reform; the address of its run's page."""
    response = client.post(reverse("backoffice:policy"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def _run(client: Client, **data) -> str:
    """Submit a reform and let the worker compute it, as `digigov worker` would."""
    url = _submit(client, **data)
    dispatch_all()
    return url


def _result_id(run_url: str) -> str:
    return SimulationRun.objects.get(pk=run_url.rstrip("/").rsplit("/", 1)[1]).result_id


def test_a_supervisor_runs_a_pasted_reform_and_reads_the_results(supervisor, signed_in):
    client = signed_in(supervisor)
    assert client.get(reverse("backoffice:policy")).status_code == 200
    page = client.get(_run(client, reform_text=REFORM))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Bigger first-child bonus" in html
    # Three charts, each with its table of the same figures.
    assert html.count("<svg") == 3
    for table in ("policy-schemes", "policy-deciles", "policy-age-groups"):
        assert f'id="{table}"' in html
    assert "Baby bonus" in html


def test_a_service_owner_can_run_a_shipped_example(nation, signed_in):
    client = signed_in(officer_account("ssa.owner"))
    page = client.get(_run(client, example="wider_senior_support"))
    assert "Wider senior support" in page.content.decode()


def test_an_uploaded_reform_file_is_run(supervisor, signed_in):
    client = signed_in(supervisor)
    upload = io.BytesIO(REFORM.encode())
    upload.name = "reform.yaml"
    assert _run(client, reform_file=upload)


def test_a_bad_reform_is_shown_beside_the_field(supervisor, signed_in):
    client = signed_in(supervisor)
    bad = "name: x\nchanges: [{parameter: ssa.no_such_thing, from: 2027-01-01, value: 1}]"
    response = client.post(reverse("backoffice:policy"), {"reform_text": bad})
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html and "ssa.no_such_thing" in html and 'href="#reform_text"' in html


def test_downloads_parse_as_csv_and_parquet(supervisor, signed_in, warehouse):
    client = signed_in(supervisor)
    run_id = _result_id(_run(client, reform_text=REFORM))
    response = client.get(reverse("backoffice:policy-download", args=[run_id, "schemes", "csv"]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    baby = next(row for row in rows if row["scheme"] == "baby_bonus")
    assert float(baby["cost_difference"]) > 0
    response = client.get(reverse("backoffice:policy-download", args=[run_id, "deciles", "parquet"]))
    parquet = warehouse / "download.parquet"
    parquet.write_bytes(b"".join(response.streaming_content))
    rows = duckdb.read_parquet(str(parquet)).fetchall()
    assert len(rows) == 10 * (len(SCHEMES) + 1)  # ten deciles for each scheme and for all schemes together


@pytest.mark.parametrize("username", ["ssa.case", "hsg.case"])
def test_officers_without_a_policy_role_are_refused(nation, signed_in, username):
    client = signed_in(officer_account(username))
    assert client.get(reverse("backoffice:policy")).status_code == 404
    assert client.post(reverse("backoffice:policy"), {"reform_text": REFORM}).status_code == 404


def test_citizens_and_anonymous_visitors_are_refused(citizen, signed_in):
    assert signed_in(citizen).get(reverse("backoffice:policy")).status_code == 404
    response = Client().get(reverse("backoffice:policy"))
    assert response.status_code == 302 and "next=" in response["Location"]


def test_a_supervisor_without_the_second_factor_is_sent_to_sign_in(supervisor, signed_in):
    response = signed_in(supervisor, mfa_verified=False).get(reverse("backoffice:policy"))
    assert response.status_code == 302


def test_another_agency_cannot_read_or_download_a_run(supervisor, nation, signed_in):
    run_url = _run(signed_in(supervisor), reform_text=REFORM)
    run_id = _result_id(run_url)
    other = signed_in(officer_account("hsg.supervisor"))
    assert other.get(run_url).status_code == 404
    assert other.get(reverse("backoffice:policy-run", args=[run_id])).status_code == 404
    assert other.get(reverse("backoffice:policy-download", args=[run_id, "schemes", "csv"])).status_code == 404
    assert "Bigger first-child bonus" not in other.get(reverse("backoffice:policy")).content.decode()


def test_a_submitted_reform_waits_for_the_worker_and_its_page_shows_where_it_stands(supervisor, signed_in):
    client = signed_in(supervisor)
    run_url = _submit(client, reform_text=REFORM)
    waiting = client.get(run_url).content.decode()
    assert "Queued" in waiting and 'id="simulation-waiting"' in waiting
    assert f'href="{run_url}"' in waiting, "a link to check again, no script needed"
    assert "<svg" not in waiting and 'http-equiv="refresh"' not in waiting
    listed = client.get(reverse("backoffice:policy")).content.decode()
    assert run_url in listed and "Queued" in listed

    dispatch_all()

    done = client.get(run_url).content.decode()
    assert 'id="policy-schemes"' in done and done.count("<svg") == 3
    assert "Done" in client.get(reverse("backoffice:policy")).content.decode()


def test_a_done_run_whose_results_were_removed_says_so(supervisor, signed_in, warehouse):
    client = signed_in(supervisor)
    run_url = _run(client, reform_text=REFORM)
    shutil.rmtree(warehouse / "simulations" / _result_id(run_url))
    html = client.get(run_url).content.decode()
    assert 'id="simulation-gone"' in html and "Done" in html


def test_a_reform_the_rules_cannot_compute_shows_why_it_failed(supervisor, signed_in):
    client = signed_in(supervisor)
    run_url = _run(client, reform_text=REFORM, as_of="2020-01-15")
    html = client.get(run_url).content.decode()
    assert "Failed" in html and 'id="simulation-failed"' in html
    assert "could not be computed as of 2020-01-15" in html
    assert 'id="policy-schemes"' not in html
