"""Executors: the same seed gives the same numbers to the last bit on each; clear, quick failures."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest

from gmsim.cli import main
from gmsim.uncertainty.executors import (
    DaskExecutor,
    ExecutorError,
    InProcess,
    ProcessPool,
    get_executor,
    progress_bar,
)
from gmsim.uncertainty.montecarlo import monte_carlo
from gmsim.uncertainty.sensitivity import sensitivity
from gmsim.uncertainty.spec import UncertaintySpec

SPEC = UncertaintySpec.every_weight(0.2, seed=2012)


def run_on(executor):
    return monte_carlo(
        spec=SPEC,
        scenarios=["attention-boost"],
        runs=700,
        chunk_size=128,  # six chunks, spread over the workers
        stop=12,
        metrics=["effectiveness", "mean(funding)"],
        executor=executor,
    )


@pytest.fixture
def dask():
    """The dask extra (``pip install ".[cluster]"``); its tests skip without it."""
    return pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def reference():
    return run_on(InProcess())


def assert_identical(a, b):
    for s in a.scenarios:
        for name in ("bands", "mean", "sd", "low", "high", "metric_values"):
            assert np.array_equal(getattr(a, name)[s], getattr(b, name)[s], equal_nan=True), (s, name)


def test_process_pool_gives_the_same_numbers_to_the_last_bit(reference):
    with ProcessPool(workers=2) as pool:
        other = run_on(pool)
    assert other.settings["executor"] == "processes" and other.settings["workers"] == 2
    assert_identical(reference, other)


def test_dask_local_cluster_gives_the_same_numbers_to_the_last_bit(reference, dask):
    with DaskExecutor(workers=2, processes=False) as cluster:
        assert cluster.workers == 2
        other = run_on(cluster)
    assert other.settings["executor"] == "dask" and other.settings["scheduler"] == "local cluster"
    assert_identical(reference, other)


def test_a_running_scheduler_is_reached_by_its_address(reference, dask):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://", dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        with get_executor(scheduler=address) as client:
            other = run_on(client)
            again = run_on(client)  # an executor passed in stays open for the next analysis
    assert other.settings["scheduler"] == address
    assert_identical(reference, other)
    assert_identical(reference, again)


def test_sensitivity_indices_agree_across_executors(dask):
    options = {
        "scenario": "training-program",
        "method": "morris",
        "samples": 4,
        "stop": 12,
        "chunk_size": 64,
    }
    here = sensitivity(spec=SPEC, **options)
    with DaskExecutor(workers=2, processes=False) as cluster:
        there = sensitivity(spec=SPEC, executor=cluster, **options)
    assert np.array_equal(here.outputs, there.outputs)
    assert here.indices["effectiveness"].equals(there.indices["effectiveness"])


def test_results_come_back_in_task_order():
    with ProcessPool(workers=2) as pool:
        assert list(pool.map(pow, 2, range(12))) == [2**i for i in range(12)]


# -- failures that must be quick and clear ----------------------------------------------------------------
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_fails_within_seconds_with_a_clear_message(dask):
    began = time.monotonic()
    with pytest.raises(
        ExecutorError, match=r"cannot reach the dask scheduler at tcp://127\.0\.0\.1:\d+"
    ):
        monte_carlo(runs=4, scheduler=f"tcp://127.0.0.1:{closed_port()}")
    with pytest.raises(
        ExecutorError, match=r"cannot reach the dask scheduler at tcp://10\.255\.255\.1:8786"
    ):
        DaskExecutor("tcp://10.255.255.1:8786", timeout=1.0)  # no answer at all: the timeout
    assert time.monotonic() - began < 30  # a guard against hanging, not a speed test


def test_bad_executor_options():
    with pytest.raises(ExecutorError, match=r"write it as tcp://host:port"):
        DaskExecutor("tcp://scheduler-without-port")
    with pytest.raises(
        ExecutorError, match=r"unknown executor 'proceses' \(did you mean 'processes'\?\)"
    ):
        get_executor("proceses")
    with pytest.raises(ExecutorError, match="needs the dask executor"):
        get_executor("processes", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ExecutorError, match="`workers` must be a whole number >= 1"):
        get_executor("processes", workers=0)


def test_cli_unreachable_scheduler_exits_2(tmp_path, capsys, dask):
    port = closed_port()
    code = main(
        [
            "uncertainty",
            "--runs",
            "4",
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert (
        f"gmsim: error: cannot reach the dask scheduler at tcp://127.0.0.1:{port}"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "o").exists()


# -- progress ------------------------------------------------------------------------------------------
def test_progress_bar_only_on_a_terminal_or_when_asked(capsys):
    assert progress_bar(10, enabled=None) is None  # stderr is captured here, not a terminal
    assert progress_bar(10, enabled=False) is None
    bar = progress_bar(10, enabled=True)
    bar.update(10)
    assert bar.n == 10
    bar.close()
    assert "runs:" in capsys.readouterr().err
    monte_carlo(runs=300, chunk_size=100, stop=6, progress=True, metrics=["effectiveness"])
    assert "/300 [" in capsys.readouterr().err  # a bar counting the runs, cleared at the end
