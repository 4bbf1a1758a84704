"""LAMMPS (in-process) + PLUMED through fix external: forces, virial, restraint, restarts."""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest
from _sampling_toy import CV, N_ANODE_LAYERS, SWITCH, TOY_SPECIES, toy_interface

from lidendrite.config import schema_default
from lidendrite.errors import InputError
from lidendrite.io.colvar import read_colvar
from lidendrite.sampling.cv import (
    cv_coordination_numpy,
    cv_groups,
    moving_restraint_plumed_input,
    restraint_period_fs,
)
from lidendrite.sampling.lammps_env import check_deepmd_plugin, create_lammps, write_lmp_launcher
from lidendrite.sampling.moving_restraint import SimulationFailed, run_moving_restraint
from lidendrite.sampling.plumed_bridge import PlumedBridge, check_plumed_coupling

pytestmark = pytest.mark.lammps

#: LAMMPS metal-unit pressure conversion (force->nktv2p), eV/A^3 -> bar
NKTV2P_METAL = 1.6021765e6
#: the toy MD used by the run tests (weak LJ keeps the toy stable; not physics).
#: run_moving_restraint has no defaults: thermostat, barostat, seed and guard come from
#: the config's lpsc.sampling (its one source), the CV is the paper's all-pairs form
TOY_MD = dict(
    **{
        k: schema_default(f"lpsc.sampling.{k}")
        for k in (
            "timestep_fs",
            "temperature_k",
            "pressure_bar",
            "thermostat_damping_fs",
            "barostat_damping_fs",
            "stretch",
            "seed",
            "max_omega_dt",
            "plumed_threads",
        )
    },
    **CV,
    d_max=None,
    nl_cutoff=None,
    nl_stride=None,
    pair_style="lj/cut 5.0",
    pair_coeff="* * 0.01 2.0",
    type_map=TOY_SPECIES,
    ensemble="nvt",
    kappa_ev=2.0,  # omega*dt = 0.44 on the toy at 1 fs (5 eV: 0.69, refused by the guard)
    thermo_every=5,
    dump_every=5,
    colvar_every=1,
    restart_every=10,
)


def _biased_lammps(atoms, tmp_path, *, lag, kappa_ev, print_stride=10):
    """LAMMPS with pair_style zero, zero velocities and the PLUMED restraint; after run 0."""
    from ase.io.lammpsdata import write_lammps_data

    data = tmp_path / "data.lmp"
    with open(data, "w") as fd:
        write_lammps_data(fd, atoms, specorder=list(TOY_SPECIES), masses=True, units="metal")
    s = cv_coordination_numpy(atoms, **CV)["cv"]
    text = moving_restraint_plumed_input(
        cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS),
        s_start=s - lag,
        s_end=s - lag,
        n_steps=10,
        kappa_ev=kappa_ev,
        colvar_file=str(tmp_path / "COLVAR"),
        print_stride=print_stride,
        **SWITCH,
    )
    lmp = create_lammps(tmp_path / "log.lammps")
    lmp.commands_list(
        [
            "units metal",
            "atom_style atomic",
            "boundary p p p",
            "atom_modify map array",
            f"read_data {data}",
            "pair_style zero 6.0",
            "pair_coeff * *",
            "fix plumed all external pf/callback 1 1",
            "fix_modify plumed energy yes virial yes",
            "thermo_style custom step pe press pxx pyy pzz pxy vol",
        ]
    )
    bridge = PlumedBridge(
        text, atoms.get_masses(), timestep_ps=0.001, log_file=tmp_path / "plumed.log"
    )
    lmp.set_fix_external_callback("plumed", bridge, lmp)
    lmp.command("run 0")
    bridge.raise_if_failed()
    return lmp, bridge, s


def _forces_by_id(lmp):
    n = lmp.get_natoms()
    ids = np.asarray(lmp.numpy.extract_atom("id")).reshape(-1)[:n]
    return np.array(lmp.numpy.extract_atom("f"))[:n][np.argsort(ids)]


def test_fix_external_forces_and_energy_equal_restraint(tmp_path):
    atoms = toy_interface()
    kappa, lag = 5.0, 0.3
    lmp, bridge, _ = _biased_lammps(atoms, tmp_path, lag=lag, kappa_ev=kappa)
    try:
        f = _forces_by_id(lmp)
        # pair_style zero: the potential energy is the bias alone
        assert lmp.get_thermo("pe") == pytest.approx(0.5 * kappa * lag**2, rel=1e-8)
        groups = cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS)
        h = 1e-5  # central differences: error << 1e-6 eV/A (see test_sampling_cv)
        for i in (int(groups.li_a[2]), int(groups.p[0]), 3):
            for k in range(3):
                plus, minus = atoms.copy(), atoms.copy()
                plus.positions[i, k] += h
                minus.positions[i, k] -= h
                ds = (
                    cv_coordination_numpy(plus, **CV)["cv"]
                    - cv_coordination_numpy(minus, **CV)["cv"]
                ) / (2 * h)
                assert f[i, k] == pytest.approx(-kappa * lag * ds, abs=1e-6)
        # Newton's third law for a distance-based bias: total force zero
        assert np.abs(f.sum(axis=0)).max() < 1e-9
    finally:
        bridge.finalize()
        lmp.close()


def test_bias_virial_gives_the_right_pressure(tmp_path):
    """At T = 0 with pair_style zero, P_aa V = -dU/d(strain_aa) of the bias alone."""
    atoms = toy_interface()
    kappa, lag = 5.0, 0.3
    lmp, bridge, s = _biased_lammps(atoms, tmp_path, lag=lag, kappa_ev=kappa)
    try:
        p_lammps = {c: lmp.get_thermo(f"p{c}{c}") for c in "xyz"}
    finally:
        bridge.finalize()
        lmp.close()
    s0 = s - lag
    vol = atoms.get_volume()
    eps = 1e-5  # strain; central-difference error ~eps^2, far below the 1e-6 tolerance

    def bias(strained):
        return 0.5 * kappa * (cv_coordination_numpy(strained, **CV)["cv"] - s0) ** 2

    for axis, c in enumerate("xyz"):
        u = []
        for sign in (1, -1):
            a = atoms.copy()
            scale = np.eye(3)
            scale[axis, axis] += sign * eps
            a.set_cell(atoms.cell[:] @ scale, scale_atoms=True)
            u.append(bias(a))
        p_expected = -(u[0] - u[1]) / (2 * eps) / vol * NKTV2P_METAL
        assert abs(p_expected) > 1.0  # bar: the bias really contributes
        # 1e-6 relative: finite-difference and unit round-off only
        assert p_lammps[c] == pytest.approx(p_expected, rel=1e-6)


def test_moving_restraint_target_is_linear_in_lammps_step(tmp_path):
    atoms = toy_interface()
    path = tmp_path / "toy.extxyz"
    atoms.write(path)
    # NPT (x, y coupled, z fixed) as in the paper: the bias virial enters the barostat
    res = run_moving_restraint(
        path, tmp_path / "run", n_steps=20, s0_rate=0.5, **dict(TOY_MD, ensemble="npt")
    )
    col = read_colvar(res.colvar)
    step = np.rint(col["time"] / 1e-3).astype(int)
    assert list(step) == list(range(21))
    n_li = cv_groups(atoms, n_anode_layers=N_ANODE_LAYERS).li_a.size
    # s0_end = s0_start + rate * N_Li(A) * t_total
    assert res.s0_end == pytest.approx(res.s0_start + 0.5 * n_li * 20 * 1e-3, rel=1e-12)
    expected = res.s0_start + (res.s0_end - res.s0_start) * step / 20
    np.testing.assert_allclose(col["mr.cv_cntr"], expected, atol=1e-9)  # printed with %.10f
    assert col["cv"][0] == pytest.approx(res.s0_start, abs=1e-6)
    # the bias column is 1/2 kappa (s - s0)^2 in kJ/mol
    np.testing.assert_allclose(
        col["mr.bias"],
        0.5 * TOY_MD["kappa_ev"] * 96.48533212 * (col["cv"] - col["mr.cv_cntr"]) ** 2,
        rtol=1e-6,
        atol=1e-8,
    )
    summary = json.loads((tmp_path / "run" / "moving_restraint.json").read_text())
    assert summary["finished"] and summary["final_step"] == 20
    # the stability numbers of the restraint mode are recorded
    assert summary["restraint_period_fs"] == pytest.approx(
        restraint_period_fs(atoms, TOY_MD["kappa_ev"], **CV), rel=1e-9
    )
    assert summary["omega_dt"] == pytest.approx(
        2 * np.pi / summary["restraint_period_fs"], rel=1e-9
    )
    assert summary["omega_dt"] <= summary["max_omega_dt"]


def test_killed_run_resumes_with_continuous_colvar(tmp_path):
    atoms = toy_interface()
    path = tmp_path / "toy.extxyz"
    atoms.write(path)
    kw = dict(n_steps=40, s0_rate=0.5, **TOY_MD)
    # "killed" at step 25: last restart at step 20, COLVAR/dump already past it
    first = run_moving_restraint(path, tmp_path / "run", stop_at_step=25, **kw)
    assert first.final_step == 25 and not first.finished
    second = run_moving_restraint(path, tmp_path / "run", **kw)
    assert second.resumed_from_step == 20 and second.finished and second.final_step == 40
    col = read_colvar(second.colvar)
    step = np.rint(col["time"] / 1e-3).astype(int)
    assert list(step) == list(range(41))  # every step once, no gap, no duplicate
    expected = second.s0_start + (second.s0_end - second.s0_start) * step / 40
    np.testing.assert_allclose(col["mr.cv_cntr"], expected, atol=1e-9)
    lines = open(second.dump).read().splitlines()
    frames = [
        int(lines[k + 1]) for k, line in enumerate(lines) if line.startswith("ITEM: TIMESTEP")
    ]
    assert frames == list(range(0, 41, 5))
    # the resumed trajectory follows the uninterrupted one (the restart keeps
    # the thermostat state; observed bit-identical here, 1e-6 leaves room for
    # round-off growth on other CPUs)
    ref = run_moving_restraint(path, tmp_path / "ref", **kw)
    np.testing.assert_allclose(col["cv"], read_colvar(ref.colvar)["cv"], atol=1e-6)


def test_unstable_run_stops_with_one_line_and_keeps_restart(tmp_path):
    atoms = toy_interface()
    path = tmp_path / "toy.extxyz"
    atoms.write(path)
    kw = dict(n_steps=40, s0_rate=0.5, **TOY_MD)
    run_moving_restraint(path, tmp_path / "run", stop_at_step=10, **kw)
    restart = tmp_path / "run" / "restart.lmp"
    before = restart.read_bytes()
    # a violently repulsive pair potential blows the system up after the restart
    bad = dict(kw, pair_coeff="* * 1000.0 3.0")
    with pytest.raises(SimulationFailed) as err:
        run_moving_restraint(path, tmp_path / "run", **bad)
    assert "\n" not in str(err.value) and "last good restart: step 10" in str(err.value)
    assert restart.read_bytes() == before
    assert json.loads((tmp_path / "run" / "state.json").read_text())["restart_step"] == 10


def test_doctor_checks(tmp_path):
    line = check_plumed_coupling(tmp_path)
    assert "PLUMED" in line and "LAMMPS" in line
    assert "deepmd" in check_deepmd_plugin()


def test_stiff_kappa_stops_before_the_first_step(tmp_path):
    atoms = toy_interface()
    path = tmp_path / "toy.extxyz"
    atoms.write(path)
    kw = dict(TOY_MD, kappa_ev=500.0)
    with pytest.raises(InputError) as err:
        run_moving_restraint(path, tmp_path / "run", n_steps=20, s0_rate=0.5, **kw)
    assert "\n" not in str(err.value) and "lpsc.sampling.kappa_ev = 500 eV" in str(err.value)
    assert not (tmp_path / "run" / "COLVAR").exists()  # nothing ran
    # a finished run asked again with another kappa does not keep the old one (its PLUMED
    # input): the fingerprint differs, the old run is moved aside and a new one starts
    run_moving_restraint(path, tmp_path / "ok", n_steps=10, s0_rate=0.5, **TOY_MD)
    again = run_moving_restraint(
        path, tmp_path / "ok", n_steps=10, s0_rate=0.5, **dict(TOY_MD, kappa_ev=1.0)
    )
    assert again.resumed_from_step is None and again.kappa_ev == 1.0
    assert "KAPPA0=96.48" in (tmp_path / "ok" / "plumed.dat").read_text()  # 1 eV in kJ/mol
    assert (tmp_path / "ok.stale" / "restart.lmp").is_file()


def test_changed_model_starts_afresh_instead_of_resuming(tmp_path, capsys):
    atoms = toy_interface()
    path = tmp_path / "toy.extxyz"
    atoms.write(path)
    model = tmp_path / "model.pb"  # stands in for the frozen DP (the toy runs LJ): only its bytes count
    model.write_bytes(b"model version 1")
    kw = dict(n_steps=20, s0_rate=0.5, model=model, **TOY_MD)
    first = run_moving_restraint(path, tmp_path / "run", stop_at_step=15, **kw)
    fp_file = tmp_path / "run" / "lidendrite_fingerprint.txt"
    assert fp_file.read_text().strip() == first.fingerprint and len(first.fingerprint) == 64
    # same model and settings: resumes from the restart at step 10
    same = run_moving_restraint(path, tmp_path / "run", stop_at_step=15, **kw)
    assert same.resumed_from_step == 10 and same.fingerprint == first.fingerprint
    capsys.readouterr()
    # retrained model at the same path: not resumed, old run kept as run.stale
    model.write_bytes(b"model version 2")
    fresh = run_moving_restraint(path, tmp_path / "run", **kw)
    out = capsys.readouterr().out.strip().splitlines()
    assert fresh.resumed_from_step is None and fresh.finished and fresh.final_step == 20
    assert fresh.fingerprint != first.fingerprint
    assert fp_file.read_text().strip() == fresh.fingerprint
    assert len([ln for ln in out if "starting afresh" in ln]) == 1
    assert (tmp_path / "run.stale" / "restart.lmp").is_file()
    col = read_colvar(fresh.colvar)
    assert list(np.rint(col["time"] / 1e-3).astype(int)) == list(range(21))  # one run, step 0 on
    # a run folder from before fingerprints (restart, no fingerprint file) is not resumed either
    fp_file.unlink()
    legacy = run_moving_restraint(path, tmp_path / "run", **kw)
    assert legacy.resumed_from_step is None


def test_restraint_mode_period_and_energy_conservation(tmp_path):
    """NVE, no pair forces, atoms at rest with s - s0 = lag: s oscillates at the predicted omega.

    Checks the units and the rank-1 analysis of restraint_period_fs, and that
    at omega*dt = 0.5 (max_omega_dt) the Verlet energy error of the mode is
    the expected bounded (omega dt)^2/4 = 6 % oscillation.
    """
    atoms = toy_interface()
    kappa = 5.0
    period = restraint_period_fs(atoms, kappa, **CV)  # 9.1 fs
    lag = 0.01  # small: the CV is nearly linear over the oscillation
    for dt_fs, n_run in ((period / 200, 600), (period * 0.5 / (2 * np.pi), 60)):
        sub = tmp_path / f"dt{dt_fs:.4f}"
        sub.mkdir()
        lmp, bridge, s = _biased_lammps(atoms, sub, lag=lag, kappa_ev=kappa, print_stride=1)
        try:
            lmp.commands_list(
                [
                    f"timestep {dt_fs * 1e-3}",
                    "fix nve all nve",
                    "thermo_style custom step pe ke etotal",
                    "thermo 1",
                    f"run {n_run}",
                ]
            )
        finally:
            bridge.finalize()
            lmp.close()
        col = read_colvar(sub / "COLVAR")
        x = col["cv"][-(n_run + 1) :] - (s - lag)  # s - s0 after "run 0"
        if dt_fs < 0.1:
            # period from the up-crossings of s - s0 = 0 (linear interpolation)
            up = np.flatnonzero((x[:-1] < 0) & (x[1:] >= 0))
            t = (up + x[up] / (x[up] - x[up + 1])) * dt_fs
            measured = np.diff(t).mean()
            # Verlet at 200 steps/period: frequency error (omega dt)^2/24 = 4e-5;
            # anharmonicity of the CV over +-0.01: ~1e-3
            assert measured == pytest.approx(period, rel=5e-3)
        else:
            e = _thermo_etotal(sub / "log.lammps")
            e_mode = 0.5 * kappa * lag**2
            # velocity Verlet conserves v^2/2 + omega^2 x^2/2 (1 - (omega dt)^2/4), so
            # starting at rest the mode energy dips by (omega dt)^2/4 = 6.25 % and
            # comes back each half period: bounded, no drift (10 periods run)
            assert e[0] == pytest.approx(e_mode, rel=1e-6)
            assert np.ptp(e) / e_mode == pytest.approx(0.5**2 / 4, rel=0.05)
            assert e.max() <= e_mode * (1 + 1e-6)


def _thermo_etotal(log):
    rows = []
    cols = None
    for line in open(log):
        parts = line.split()
        if parts[:2] == ["Step", "PotEng"]:
            cols = parts
            continue
        if cols and len(parts) == len(cols):
            try:
                rows.append(float(parts[cols.index("TotEng")]))
            except ValueError:
                cols = None
        elif cols:
            cols = None
    return np.array(rows)


def test_lmp_launcher_loads_the_deepmd_plugin_and_keeps_the_callers_paths(tmp_path):
    launcher = write_lmp_launcher(tmp_path / "bin" / "lmp")
    assert os.access(launcher, os.X_OK)
    (tmp_path / "in.check").write_text(
        "plugin list\n"
        "variable libs getenv LD_LIBRARY_PATH\n"
        "variable plugins getenv LAMMPS_PLUGIN_PATH\n"
        'print "LIBS ${libs}"\n'
        'print "PLUGINS ${plugins}"\n'
    )
    env = {**os.environ, "LD_LIBRARY_PATH": "/caller/lib", "LAMMPS_PLUGIN_PATH": "/caller/plugins"}
    out = subprocess.run(
        [str(launcher), "-nocite", "-log", "none", "-i", "in.check"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "pair style plugin deepmd" in out.stdout
    libs = next(line for line in out.stdout.splitlines() if line.startswith("LIBS "))
    plugins = next(line for line in out.stdout.splitlines() if line.startswith("PLUGINS "))
    # the wheel's own order: the caller's libraries first, its plugin folders first
    assert libs.split()[1].startswith("/caller/lib:") and "tensorflow" in libs
    assert plugins.split()[1].endswith(":/caller/plugins") and "deepmd" in plugins


def _colvar_steps(path):
    return list(np.rint(read_colvar(path)["time"] / 1e-3).astype(int))


def _dump_steps(path):
    lines = open(path).read().splitlines()
    return [int(lines[k + 1]) for k, line in enumerate(lines) if line.startswith("ITEM: TIMESTEP")]


def test_rerun_of_a_finished_run_keeps_every_frame_and_colvar_line(tmp_path):
    atoms = toy_interface()
    path = tmp_path / "toy.extxyz"
    atoms.write(path)
    kw = dict(n_steps=20, s0_rate=0.5, **TOY_MD)
    first = run_moving_restraint(path, tmp_path / "run", **kw)
    files = {name: (tmp_path / "run" / name).read_bytes() for name in ("COLVAR", "traj.lammpstrj")}
    assert _colvar_steps(first.colvar) == list(range(21))
    assert _dump_steps(first.dump) == list(range(0, 21, 5))
    again = run_moving_restraint(path, tmp_path / "run", **kw)
    # recognised as finished: no MD, the same summary, COLVAR and dump byte for byte
    assert again == first
    for name, data in files.items():
        assert (tmp_path / "run" / name).read_bytes() == data
    # a job killed between the last restart and the summary: rebuilt from the files
    (tmp_path / "run" / "moving_restraint.json").unlink()
    rebuilt = run_moving_restraint(path, tmp_path / "run", **kw)
    assert rebuilt.finished and rebuilt.final_step == 20 and rebuilt.cv_last == first.cv_last
    assert rebuilt.plumed_version == first.plumed_version
    for name, data in files.items():
        assert (tmp_path / "run" / name).read_bytes() == data


def test_interrupted_run_resumes_to_the_uninterrupted_files(tmp_path, monkeypatch):
    """A crash inside a chunk, a cut-off COLVAR line, a call with nothing to run, then the rest."""
    atoms = toy_interface()
    path = tmp_path / "toy.extxyz"
    atoms.write(path)
    kw = dict(n_steps=40, s0_rate=0.5, **TOY_MD)
    ref = run_moving_restraint(path, tmp_path / "ref", **kw)

    compute = PlumedBridge.compute

    def crash_at_27(self, step, box, positions):
        if step == 27:
            raise RuntimeError("injected crash at step 27")
        return compute(self, step, box, positions)

    monkeypatch.setattr(PlumedBridge, "compute", crash_at_27)
    with pytest.raises(SimulationFailed, match="injected crash at step 27"):
        run_moving_restraint(path, tmp_path / "run", **kw)
    monkeypatch.setattr(PlumedBridge, "compute", compute)
    # the crashed chunk (steps 21-30, without the bias at step 27) is in the files;
    # a kill in the middle of a write leaves a cut-off line
    with open(tmp_path / "run" / "COLVAR", "a") as fd:
        fd.write(" 0.031000")
    # the last restart is at step 20: a call that stops there runs nothing and keeps step 20
    held = run_moving_restraint(path, tmp_path / "run", stop_at_step=20, **kw)
    assert held.final_step == 20 and not held.finished
    assert _colvar_steps(held.colvar) == list(range(21))
    assert _dump_steps(held.dump) == list(range(0, 21, 5))
    done = run_moving_restraint(path, tmp_path / "run", **kw)
    assert done.resumed_from_step == 20 and done.finished and done.final_step == 40
    assert _colvar_steps(done.colvar) == _colvar_steps(ref.colvar) == list(range(41))
    assert _dump_steps(done.dump) == _dump_steps(ref.dump) == list(range(0, 41, 5))
    # same trajectory (the restart keeps the thermostat state; 1e-6 as in
    # test_killed_run_resumes_with_continuous_colvar)
    np.testing.assert_allclose(
        read_colvar(done.colvar)["cv"], read_colvar(ref.colvar)["cv"], atol=1e-6
    )


def test_non_finite_bias_stops_with_one_line(tmp_path, monkeypatch):
    atoms = toy_interface()
    path = tmp_path / "toy.extxyz"
    atoms.write(path)
    compute = PlumedBridge.compute

    def nan_from_7(self, step, box, positions):
        forces, bias, virial = compute(self, step, box, positions)
        return (forces * np.nan, bias, virial) if step >= 7 else (forces, bias, virial)

    monkeypatch.setattr(PlumedBridge, "compute", nan_from_7)
    with pytest.raises(SimulationFailed) as err:
        run_moving_restraint(path, tmp_path / "run", n_steps=20, s0_rate=0.5, **TOY_MD)
    msg = str(err.value)
    assert "\n" not in msg and "non-finite PLUMED bias or forces at step 7" in msg
    # raised at the end of the first chunk (steps 1-10), before any restart was written
    assert "before step 10" in msg and "no restart written yet" in msg


def test_bad_structure_or_empty_cv_group_stops_before_md_with_one_line(tmp_path):
    atoms = toy_interface()
    no_cl = atoms.copy()
    del no_cl[[a.index for a in no_cl if a.symbol == "Cl"]]
    no_cl.write(tmp_path / "no_cl.extxyz")
    with pytest.raises(InputError) as err:
        run_moving_restraint(
            tmp_path / "no_cl.extxyz", tmp_path / "a", n_steps=10, s0_rate=0.5, **TOY_MD
        )
    assert "\n" not in str(err.value) and "CV group 'cl'" in str(err.value)
    bad = atoms.copy()
    bad.positions[3, 0] = np.nan
    bad.write(tmp_path / "nan.extxyz")
    with pytest.raises(InputError, match="non-finite atom positions"):
        run_moving_restraint(
            tmp_path / "nan.extxyz", tmp_path / "b", n_steps=10, s0_rate=0.5, **TOY_MD
        )
    for run in ("a", "b"):
        assert not (tmp_path / run / "COLVAR").exists()
