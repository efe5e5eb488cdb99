"""The scan's chunks computed on a Dask distributed cluster (a small local one, with worker processes that
import the rules and set Django up on their own) give the same offers as local processes."""

import datetime as dt

import pytest
from distributed import LocalCluster

from digigov.blocks.rules.models import Offer, Scan
from digigov.blocks.rules.scan import scan_run

AS_OF = dt.date(2026, 6, 15)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


def test_a_scan_on_a_dask_cluster_offers_what_a_local_scan_offers(nation, cluster):
    local = scan_run(as_of=AS_OF, chunk_size=30, progress=False)
    offered_locally = set(Offer.objects.values_list("person_id", "scheme_key"))
    Offer.objects.all().delete()
    Scan.objects.all().delete()

    distributed = scan_run(as_of=AS_OF, chunk_size=30, scheduler=cluster.scheduler_address, progress=False)
    assert distributed.finished and distributed.scan.chunks_total > 2
    assert distributed.offers == local.offers > 0
    assert set(Offer.objects.values_list("person_id", "scheme_key")) == offered_locally
    # The chunks really ran on the cluster's workers.
    with cluster.get_client() as client:
        prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert "chunk_evaluate_task" in prefixes
