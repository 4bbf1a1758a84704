"""The restartable ASE MD driver (lidendrite.md.driver): frames, fixed atoms, restart, bad input.

A cheap Lennard-Jones argon crystal stands in for DP-QEq where only the driver is
tested; the ``qeq_every`` test uses the real QEq engine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from lidendrite.errors import InputError
from lidendrite.io.trajectory import read_frames
from lidendrite.md.driver import MDSettings, MDStop, run_md


def _argon(n_fixed: int = 4):
    a = bulk("Ar", "fcc", 5.26, cubic=True).repeat(2)
    a.set_array("region", np.array(["electrolyte"] * len(a), dtype="U16"))
    a.set_array("layer", np.full(len(a), -1))
    fixed = np.zeros(len(a), bool)
    fixed[:n_fixed] = True
    a.set_array("fixed", fixed)
    return a


def _lj():
    return LennardJones(sigma=3.4, epsilon=0.0104, rc=8.0, smooth=True)


def _settings(**kw):
    base = dict(
        ensemble="nvt",
        n_steps=40,
        timestep_fs=5.0,
        temperature_K=60.0,
        sample_every=10,
        restart_every=10,
        log_every=100,
    )
    base.update(kw)
    return MDSettings(**base)


def test_nvt_frames_fixed_atoms_and_info(tmp_path):
    a = _argon()
    out = run_md(
        a,
        _lj(),
        _settings(),
        traj=tmp_path / "traj.extxyz",
        final=tmp_path / "final.extxyz",
        workdir=tmp_path / "work",
        info={"mode": "constq", "round": 0},
        frame_arrays=lambda at, c: {"bias": np.zeros(len(at))},
    )
    frames = read_frames(tmp_path / "traj.extxyz")
    assert out["n_frames"] == len(frames) == 5  # step 0 and every 10 of 40
    assert [int(f.info["step"]) for f in frames] == [0, 10, 20, 30, 40]
    assert np.allclose([f.info["time_ps"] for f in frames], [0, 0.05, 0.1, 0.15, 0.2])
    for f in frames:
        assert {"mode", "round", "energy", "temperature_K"} <= set(f.info)
        assert {"region", "layer", "fixed", "bias"} <= set(f.arrays)
        # fixed atoms never move (FixAtoms): exactly the start positions
        assert np.array_equal(f.positions[:4], a.positions[:4])
    assert np.abs(frames[-1].positions[4:] - a.positions[4:]).max() > 1e-3
    fin = read_frames(tmp_path / "final.extxyz")[-1]
    assert fin.has("momenta") and np.all(fin.get_momenta()[:4] == 0)


def test_resume_after_an_interrupted_run_gives_the_same_frames(tmp_path):
    a = _argon()
    s = _settings(n_steps=40, restart_every=20, sample_every=10)
    ref = run_md(a, _lj(), s, traj=tmp_path / "ref.extxyz", workdir=tmp_path / "ref")

    def die(atoms, calc, step):
        if step == 27:  # after the state at step 20, before the frame at step 30
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_md(a, _lj(), s, traj=tmp_path / "traj.extxyz", workdir=tmp_path / "work", check=die)
    assert not (tmp_path / "traj.extxyz").exists()  # only a complete run is published
    out = run_md(a, _lj(), s, traj=tmp_path / "traj.extxyz", workdir=tmp_path / "work")
    assert out["resumed_from_step"] == 20
    frames = read_frames(tmp_path / "traj.extxyz")
    assert out["n_frames"] == ref["n_frames"] == len(frames) == 5
    assert [int(f.info["step"]) for f in frames] == [0, 10, 20, 30, 40]
    # same thermostat variables and momenta restored: the resumed run matches the reference
    ref_last = read_frames(tmp_path / "ref.extxyz")[-1]
    # (1e-6 A: the state stores positions and momenta with 8 decimals)
    assert np.allclose(frames[-1].positions, ref_last.positions, atol=1e-6)


def test_state_of_another_potential_is_not_resumed(tmp_path):
    """A state written with one potential (calculator ``fingerprint``, e.g. the model
    file's hash) is not continued by another: the run starts again from step 0."""
    a = _argon()
    s = _settings(n_steps=40, restart_every=20, sample_every=10)

    def die(atoms, calc, step):
        if step == 27:
            raise KeyboardInterrupt

    old, new = _lj(), _lj()
    old.fingerprint, new.fingerprint = "model-a", "model-b"
    with pytest.raises(KeyboardInterrupt):
        run_md(a, old, s, traj=tmp_path / "traj.extxyz", workdir=tmp_path / "work", check=die)
    out = run_md(a, new, s, traj=tmp_path / "traj.extxyz", workdir=tmp_path / "work")
    assert out["resumed_from_step"] == 0
    assert [int(f.info["step"]) for f in read_frames(tmp_path / "traj.extxyz")] == [
        0,
        10,
        20,
        30,
        40,
    ]


def test_check_hook_and_lost_atoms_stop_with_one_line(tmp_path):
    a = _argon()

    def stop(atoms, calc, step):
        if step == 3:
            raise MDStop("no biased Li on the anode")

    with pytest.raises(InputError, match=r"^round 2 step 3: no biased Li on the anode$"):
        run_md(
            a,
            _lj(),
            _settings(),
            traj=tmp_path / "t.extxyz",
            workdir=tmp_path / "w",
            check=stop,
            name="round 2",
        )
    b = _argon()
    b.positions[7, 2] = b.cell[2, 2] + 1.0  # outside the cell along z
    with pytest.raises(InputError, match="atom 7 .* left the cell along z"):
        run_md(
            b,
            _lj(),
            _settings(confine_z=True),
            traj=tmp_path / "t2.extxyz",
            workdir=tmp_path / "w2",
        )
    c = _argon()
    c.positions[5] = np.nan
    with pytest.raises(InputError, match="atom 5 .*non-finite position"):
        run_md(c, _lj(), _settings(), traj=tmp_path / "t3.extxyz", workdir=tmp_path / "w3")


def test_settings_reject_bad_values():
    with pytest.raises(InputError, match="ensemble"):
        MDSettings(ensemble="nph")
    with pytest.raises(InputError, match="multiple of qeq_every"):
        MDSettings(sample_every=10, qeq_every=3)
    with pytest.raises(InputError, match="unknown key 'tstep'"):
        MDSettings.from_config({"tstep": 1})


def test_npt_changes_the_cell_under_anisotropic_pressure(tmp_path):
    a = _argon(n_fixed=0)
    del a.arrays["fixed"]
    s = _settings(
        ensemble="npt",
        n_steps=20,
        pressure_bar=(1.0, 1.0, 5000.0),
        bulk_modulus_GPa=1.0,
        ptime_fs=100.0,
    )
    run_md(a, _lj(), s, traj=tmp_path / "traj.extxyz", workdir=tmp_path / "w")
    last = read_frames(tmp_path / "traj.extxyz")[-1]
    assert not np.allclose(last.cell.array, a.cell.array)
    assert np.allclose(last.cell.array, np.diag(np.diag(last.cell.array)))  # stays orthorhombic


def test_qeq_every_holds_charges_between_solves(tmp_path):
    pytest.importorskip("jax")
    from ase import Atoms

    from lidendrite.qeq.calculator import QEqCalculator, ShortPlusQEqCalculator

    # LiF-like ion pairs in a box: QEq charges change as the atoms move
    rng = np.random.default_rng(0)
    grid = np.stack(np.meshgrid(*[np.arange(3)] * 3, indexing="ij"), -1).reshape(-1, 3) * 3.0
    atoms = Atoms(
        ["Li", "F"] * 13 + ["Li"],
        positions=grid + 0.1 * rng.standard_normal(grid.shape),
        cell=[9.0, 9.0, 9.0],
        pbc=True,
    )
    seen = []

    class SpyQEq(QEqCalculator):
        def calculate(self, *args, **kwargs):
            super().calculate(*args, **kwargs)
            seen.append(
                (self.hold_charges, self.results["iterations"], self.results["charges"].copy())
            )

    class Outer(ShortPlusQEqCalculator):  # the driver sets hold_charges on the outer calculator
        @property
        def hold_charges(self):
            return self.qeq.hold_charges

        @hold_charges.setter
        def hold_charges(self, value):
            self.qeq.hold_charges = value

    qeq = SpyQEq(params="ec", slab_correction=False, tol=1e-8)
    spy = Outer(LennardJones(sigma=2.0, epsilon=0.01, rc=5.0, smooth=True), qeq)
    s = _settings(
        n_steps=6,
        timestep_fs=1.0,
        temperature_K=300.0,
        sample_every=3,
        restart_every=3,
        qeq_every=3,
    )
    out = run_md(atoms, spy, s, traj=tmp_path / "t.extxyz", workdir=tmp_path / "w")
    held = [h for h, _, _ in seen]
    assert held[:7] == [False, True, True, False, True, True, False]  # steps 0..6
    for (h, it, q), (_, _, q_prev) in zip(seen[1:], seen[:-1], strict=True):
        if h:
            assert it == 0 and np.array_equal(q, q_prev)  # no CG iteration, same charges
    assert out["qeq_solves"] == 3  # steps 3 and 6 after the start
    assert abs(seen[-1][2].sum()) < 1e-10


@pytest.mark.slow
def test_a_killed_process_resumes(tmp_path):
    """Real SIGKILL of a running MD process; the rerun finishes with the full frame count."""
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_md_driver import _argon, _lj, _settings
        from lidendrite.md.driver import run_md
        slow = len(sys.argv) > 1
        def nap(atoms, calc, step):
            if slow:
                time.sleep(0.05)
        run_md(_argon(), _lj(), _settings(n_steps=200, restart_every=20, sample_every=10),
               traj={str(tmp_path / "traj.extxyz")!r}, workdir={str(tmp_path / "work")!r},
               check=nap)
    """)
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, str(script), "slow"], env=env)
    state = tmp_path / "work" / "state.extxyz"
    t0 = time.time()
    while not state.exists() and time.time() - t0 < 60:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert state.exists() and not (tmp_path / "traj.extxyz").exists()
    subprocess.run([sys.executable, str(script)], env=env, check=True)
    frames = read_frames(tmp_path / "traj.extxyz")
    assert [int(f.info["step"]) for f in frames] == list(range(0, 201, 10))


def test_minimisation_before_md_removes_the_heat_of_a_strained_start(tmp_path):
    """A compressed LJ crystal started at once heats far above the target in NVE;
    minimised first (fixed atoms held), it starts at the minimum and stays cold."""
    a = _argon()
    a.set_cell(a.cell * 0.93, scale_atoms=True)  # 7 % compression: well above the minimum
    a.rattle(0.15, seed=2)
    a.positions[:4] = _argon().positions[:4] * 0.93  # fixed atoms unrattled
    common = dict(ensemble="nve", n_steps=40, temperature_K=20.0, sample_every=40)
    hot = run_md(
        a, _lj(), _settings(**common), traj=tmp_path / "hot.extxyz", workdir=tmp_path / "h"
    )
    cold = run_md(
        a,
        _lj(),
        _settings(**common, minimize_steps=500, minimize_fmax=0.001),
        traj=tmp_path / "cold.extxyz",
        workdir=tmp_path / "c",
    )
    assert hot["minimized"] is None
    m = cold["minimized"]
    assert m["energy_drop_eV"] > 0 and m["max_force_eV_A"] <= 0.001
    # the rattle's energy turns into heat without the minimisation
    assert hot["final_temperature_K"] > 3 * cold["final_temperature_K"]
    frames = read_frames(tmp_path / "cold.extxyz")
    assert np.array_equal(frames[0].positions[:4], a.positions[:4])  # fixed atoms held
    # a resumed run does not minimise again and keeps the record
    again = run_md(
        a,
        _lj(),
        _settings(**common, minimize_steps=500, minimize_fmax=0.001),
        traj=tmp_path / "cold.extxyz",
        workdir=tmp_path / "c",
    )
    assert again["minimized"] == m


def test_a_run_that_passes_max_temperature_stops_with_one_line(tmp_path):
    a = _argon()
    a.set_cell(a.cell * 0.9, scale_atoms=True)  # compressed and rattled: its energy turns into heat
    a.rattle(0.2, seed=4)
    s = _settings(ensemble="nve", n_steps=40, temperature_K=20.0, max_temperature_K=200.0)
    with pytest.raises(InputError) as err:
        run_md(a, _lj(), s, traj=tmp_path / "t.extxyz", workdir=tmp_path / "w", name="hot run")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("hot run step") and "max_temperature_K 200 K" in msg
    assert not (tmp_path / "t.extxyz").exists()  # nothing half-written published as the trajectory


@pytest.mark.parametrize(
    "squeeze, rattle, t_max, kept_step, minimize",
    # after the first restart; before it (the kept start frame is then the minimised one)
    [(0.94, 0.12, 150.0, 10, 0), (0.9, 0.2, 200.0, 0, 2)],
)
def test_overheat_stop_ends_the_run_at_its_last_restart_and_says_why(
    tmp_path, squeeze, rattle, t_max, kept_step, minimize
):
    a = _argon()
    a.set_cell(a.cell * squeeze, scale_atoms=True)  # compressed and rattled: it heats up
    a.rattle(rattle, seed=4)
    s = _settings(
        ensemble="nve",
        n_steps=60,
        temperature_K=20.0,
        sample_every=2,
        restart_every=10,
        max_temperature_K=t_max,
        overheat="stop",
        minimize_steps=minimize,
    )
    out = run_md(
        a,
        _lj(),
        s,
        traj=tmp_path / "t.extxyz",
        final=tmp_path / "f.extxyz",
        workdir=tmp_path / "w",
        name="hot run",
    )
    stop = out["stopped_at_step"]
    assert out["stopped"].startswith(f"hot run step {stop}:")
    assert f"max_temperature_K {t_max:g} K" in out["stopped"]
    # the trajectory and the final frame end at the last restart state before the stop
    assert out["n_steps_run"] == kept_step < stop
    frames = read_frames(tmp_path / "t.extxyz")
    assert [int(f.info["step"]) for f in frames] == list(range(0, kept_step + 1, 2))
    final = read_frames(tmp_path / "f.extxyz")[-1]
    assert int(final.info["step"]) == kept_step
    assert np.allclose(final.positions, frames[-1].positions)
    assert final.get_temperature() < t_max
    # the frames after it (if one was sampled before the stop) stay in the workdir
    assert len(read_frames(tmp_path / "w" / "traj.partial.extxyz")) >= len(frames)


def test_overheat_takes_error_or_stop():
    with pytest.raises(InputError):
        _settings(overheat="ignore")
