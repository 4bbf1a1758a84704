"""Every input the paper config produces, built without the heavy compute and checked
by the tools' own validators: DP-GEN param.json/machine.json for Slurm (dpgen's
arginfo, deepmd-kit's argcheck, dpdispatcher's Slurm script), the 4833-atom
LAMMPS + PLUMED sandwich run (LAMMPS and the PLUMED kernel parse it, one step),
the 3070-atom ConstP setup and the CP2K inputs (``cp2k --check``); and the
one-line errors of a cluster that cannot take the jobs."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk

from lidendrite.config import labeller_settings, load_config
from lidendrite.errors import InputError, ToolMissingError
from lidendrite.training import dpgen_params as P

CP2K = shutil.which("cp2k.psmp") or shutil.which("cp2k")


@pytest.fixture(scope="module")
def paper():
    return load_config("paper")


@pytest.fixture(scope="module")
def cells(tmp_path_factory, paper):
    """The paper's lpsc sandwich and ec ConstP double interface (a few seconds)."""
    from ase.io import write

    from lidendrite.structures.cli import build, builder_params
    from lidendrite.structures.ec import cut_double_interface

    d = tmp_path_factory.mktemp("cells")
    lpsc = build("lpsc-sandwich", builder_params("lpsc-sandwich", paper))
    sl = build("ec-superlattice", builder_params("ec-superlattice", paper))
    ec = cut_double_interface(sl, **paper["ec"]["structures"]["cut"])
    paths = {"lpsc": d / "sandwich.extxyz", "ec": d / "constp.extxyz"}
    write(paths["lpsc"], lpsc, format="extxyz")
    write(paths["ec"], ec, format="extxyz")
    return {"lpsc": lpsc, "ec": ec, "paths": paths}


def _fake_tool(folder: Path, name: str, text: str = "") -> Path:
    """An executable shell script ``folder/name`` that prints ``text``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\nprintf '{text}'\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def _cp2k_config(config) -> dict:
    """The labeller's CP2K settings (config ``labeling.cp2k``)."""
    return {k: v for k, v in labeller_settings(config, "lpsc").items() if k != "name"}


def _init_system(tmp_path):
    import dpdata
    from ase.calculators.singlepoint import SinglePointCalculator

    a = bulk("Li", "bcc", a=3.42, cubic=True)
    a.calc = SinglePointCalculator(a, energy=-3.8, forces=np.zeros((len(a), 3)))
    dpdata.LabeledSystem(a, fmt="ase/structure").to("deepmd/npy", str(tmp_path / "init" / "li"))
    return tmp_path / "init" / "li"


def test_paper_dpgen_inputs_for_slurm(paper, tmp_path, monkeypatch):
    """param.json passes dpgen's arginfo and deepmd-kit's argcheck; machine.json passes
    dpgen's arginfo and gives dpdispatcher Slurm scripts with the partition, account and
    GPUs the config's resources ask for (train and md: 1 GPU each; CP2K fp: none, MPI
    ranks x threads cores)."""
    from dpdispatcher import Machine, Resources
    from dpgen.generator.arginfo import run_jdata_arginfo, run_mdata_arginfo

    from lidendrite.labeling.cp2k import Cp2kLabeller
    from lidendrite.training.deepmd_input import check_with_deepmd

    # a Slurm submit host whose default partition is "cpu"
    sinfo = _fake_tool(tmp_path / "bin", "sinfo", "cpu*\\ngpu\\n")
    monkeypatch.setenv("PATH", f"{sinfo.parent}{os.pathsep}{os.environ['PATH']}")
    tr = paper["lpsc"]["training"]
    assert tr["dpgen"]["machine"]["profile"] == "slurm" and paper["labeller"] == "cp2k"
    cp2k = {**_cp2k_config(paper), "mpi_ranks": 4, "threads": 4}
    labeller = Cp2kLabeller(**cp2k)
    resources = {**paper["resources"], "train": {**paper["resources"]["train"], "slurm_partition": "gpu"},
                 "md": {**paper["resources"]["md"], "slurm_partition": "gpu"}}
    machine = {**P.machine_from_resources({"resources": resources}), **tr["dpgen"]["machine"]}
    machine.update(account="proj42", fp_cpus=labeller.cp2k.mpi_ranks * labeller.cp2k.threads)
    p_json, m_json = P.write_dpgen_inputs(
        tmp_path / "dpgen",
        type_map=tr["type_map"],
        structures={"li": bulk("Li", "bcc", a=3.42, cubic=True), "x": bulk("Li", "bcc", a=3.42).repeat(2)},
        sys_groups=["bulk", "interface"],
        init_data_systems=[_init_system(tmp_path)],
        fp_command=P.fp_label_command("python", "labeller.json", "slurm"),
        model=dict(tr["model"]),
        exploration=dict(tr["dpgen"]["exploration"]),
        numb_models=tr["dpgen"]["numb_models"],
        param=dict(tr["dpgen"]["param"]),
        machine=machine,
    )
    param, mach = json.loads(p_json.read_text()), json.loads(m_json.read_text())
    for info, data in ((run_jdata_arginfo(), param), (run_mdata_arginfo(), mach)):
        info.check_value(info.normalize_value(data, trim_pattern="_*"), strict=True)
    tp = param["default_training_param"]
    tp["training"]["training_data"]["systems"] = ["s"]
    check_with_deepmd(tp)
    assert param["numb_models"] == 4 and len(param["model_devi_jobs"]) == 10  # 2 bands x 5 rounds

    gpus = {t: mach[t]["resources"]["gpu_per_node"] for t in ("train", "model_devi", "fp")}
    assert gpus == {"train": 1, "model_devi": 1, "fp": 0}
    assert mach["fp"]["resources"]["cpu_per_node"] == 16
    assert "--siblings" not in mach["fp"]["command"]  # one label per Slurm job
    for task, part in (("train", "gpu"), ("model_devi", "gpu"), ("fp", None)):
        r = mach[task]["resources"]
        assert r.get("queue_name") == part
        # dpdispatcher's own Slurm header from these resources
        res = Resources.load_from_dict({k: v for k, v in r.items() if k != "batch_type"})
        slurm = Machine.load_from_dict({**mach[task]["machine"], "remote_root": str(tmp_path / "remote")})
        job = type("Job", (), {"resources": res})()
        header = slurm.gen_script_header(job) + "\n" + slurm.gen_script_custom_flags_lines(job)
        assert "#SBATCH --account=proj42" in header and "#SBATCH --time=12:00:00" in header
        assert ("#SBATCH --gres=gpu:1" in header) == (task != "fp")
        assert ("#SBATCH --partition gpu" in header) == (part == "gpu")


def test_slurm_partition_errors_before_any_job(tmp_path, monkeypatch):
    """A cluster with no default partition and none named, or a partition it does not
    have: one-line error from build_machine (and the workflow's parse-time check)."""
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    _fake_tool(bin_dir, "sinfo", "short\\nlong\\nlong\\n")
    # build_machine has no defaults: cores and fp packing from the paper config
    machine = load_config("paper")["lpsc"]["training"]["dpgen"]["machine"]
    kw = {k: machine[k] for k in ("cpus", "fp_group_size", "fp_parallel")}
    with pytest.raises(InputError, match="no default partition") as err:
        P.build_machine(remote_root=tmp_path, fp_command="x", profile="slurm", **kw)
    assert "\n" not in str(err.value) and "short, long" in str(err.value)
    with pytest.raises(InputError, match="'gpu' not found") as err:
        P.build_machine(remote_root=tmp_path, fp_command="x", profile="slurm", partition="gpu", **kw)
    assert "\n" not in str(err.value)
    named = P.build_machine(remote_root=tmp_path, fp_command="x", profile="slurm", partition="long", **kw)
    assert named["train"]["resources"]["queue_name"] == "long"
    # the local profile submits nothing: no check
    P.build_machine(remote_root=tmp_path, fp_command="x", profile="local", **kw)
    _fake_tool(bin_dir, "sinfo", "short*\\nlong\\n")
    default = P.build_machine(remote_root=tmp_path, fp_command="x", profile="slurm", **kw)
    assert "queue_name" not in default["train"]["resources"]
    (bin_dir / "sinfo").unlink()  # not a Slurm host: nothing to ask
    assert P.slurm_partitions() is None or shutil.which("sinfo")


def test_paper_sandwich_lammps_plumed_inputs(paper, cells, tmp_path):
    """The 4833-atom sandwich with the paper's sampling settings: the LAMMPS data file,
    setup and PLUMED moving restraint are parsed by LAMMPS and the PLUMED kernel and run
    one step (a zero Lennard-Jones pair in place of the DP: no forces, so nothing moves
    far and the CV stays finite)."""
    from lidendrite.sampling.moving_restraint import run_moving_restraint

    assert len(cells["lpsc"]) == 4833
    kw = dict(paper["lpsc"]["sampling"])
    assert kw["n_steps"] == 150000 and kw["kappa_ev"] == 0.12
    res = run_moving_restraint(
        cells["paths"]["lpsc"], tmp_path / "md", pair_style="lj/cut 3.0", pair_coeff="* * 0.0 1.0",
        type_map=paper["lpsc"]["training"]["type_map"], stop_at_step=1, **kw,
    )
    plumed = (tmp_path / "md" / "plumed.dat").read_text()
    assert "MOVINGRESTRAINT" in plumed and "STEP1=150000" in plumed.replace(" ", "")
    assert np.isfinite(res.cv_first) and np.isfinite(res.cv_last)
    state = json.loads((tmp_path / "md" / "state.json").read_text())
    assert state["natoms"] == 4833 and state["n_steps"] == 150000


def test_paper_constp_setup(paper, cells):
    """The 3070-atom ConstP double interface: the ec.bias setup finds both electrodes,
    puts the split plane between them and sets the paper's potentials."""
    from lidendrite.qeq.bias import ElectrodeBias

    atoms = cells["ec"]
    assert len(atoms) == 3070 and np.isfinite(atoms.positions).all()
    setup = ElectrodeBias.from_config(paper["ec"]["bias"]).qeq_settings(atoms)
    assert setup["mode"] == "constp"
    numbers = {k: v for k, v in setup.items() if k != "mode"}
    assert numbers, "no ConstP settings"
    text = json.dumps(numbers, default=lambda x: np.asarray(x).tolist())
    assert "nan" not in text.lower()


@pytest.mark.skipif(CP2K is None, reason="no CP2K binary (apt-get install cp2k)")
def test_paper_cp2k_inputs_pass_cp2k_check(paper, cells, tmp_path):
    """The CP2K inputs of the paper config (the lpsc labeller on an interface frame, the
    band-gap run, a charged ec frame) pass CP2K's own syntax check (``cp2k --check``)."""
    import subprocess

    from lidendrite.dft.band_gap import band_gap_input, band_gap_settings
    from lidendrite.dft.hirshfeld import dft_charge_settings
    from lidendrite.labeling.cp2k import Cp2kSettings, write_cp2k_input

    cp2k = _cp2k_config(paper)
    frame = cells["lpsc"][cells["lpsc"].positions[:, 2] < 12.0]  # a slab of the sandwich
    frame.pbc = True
    dft = paper["ec"]["validation"]["dft"]
    texts = {
        "label": write_cp2k_input(frame, Cp2kSettings(**cp2k), "label"),
        "gap": band_gap_input(
            frame,
            band_gap_settings(cp2k, paper["lpsc"]["dft"], "sei"),
            "gap",
            paper["lpsc"]["dft"]["dos_delta_ev"],
        ),
        "charged": write_cp2k_input(frame, dft_charge_settings(cp2k, dft, charge=-1, multiplicity=2), "q"),
    }
    for name, text in texts.items():
        inp = tmp_path / f"{name}.inp"
        inp.write_text(text)
        proc = subprocess.run([CP2K, "--check", inp.name], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert proc.returncode == 0, f"{name}: {(proc.stdout + proc.stderr)[-800:]}"


def test_cp2k_runs_under_mpi_or_says_why(tmp_path, monkeypatch):
    """mpi_ranks > 1: CP2K starts as ``mpirun -np N cp2k.psmp``; an OpenMP-only binary or
    a missing launcher is a one-line error before any frame is labelled."""
    from lidendrite.labeling.cp2k import Cp2kLabeller, Cp2kSettings, cp2k_command

    bin_dir = tmp_path / "bin"
    psmp = _fake_tool(bin_dir, "cp2k.psmp")
    ssmp = _fake_tool(bin_dir, "cp2k.ssmp")
    _fake_tool(bin_dir, "mpirun")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert cp2k_command(Cp2kSettings(executable=str(psmp))) == [str(psmp)]
    assert cp2k_command(Cp2kSettings(executable=str(psmp), mpi_ranks=8)) == ["mpirun", "-np", "8", str(psmp)]
    bound = Cp2kSettings(executable=str(psmp), mpi_ranks=2, mpi_launcher="mpirun --bind-to core -np {ranks}")
    assert cp2k_command(bound) == ["mpirun", "--bind-to", "core", "-np", "2", str(psmp)]
    with pytest.raises(InputError, match="MPI build") as err:
        cp2k_command(Cp2kSettings(executable=str(ssmp), mpi_ranks=4))
    assert "\n" not in str(err.value)
    for bad, exc, needle in (
        ({"mpi_ranks": 0}, InputError, "mpi_ranks"),
        ({"mpi_ranks": 2, "mpi_launcher": "mpirun -np 2"}, InputError, "ranks"),
        ({"mpi_ranks": 2, "mpi_launcher": "no-such-mpirun -np {ranks}"}, ToolMissingError, "no-such-mpirun"),
    ):
        with pytest.raises(exc, match=needle) as err:
            Cp2kLabeller(**bad)
        assert "\n" not in str(err.value)
