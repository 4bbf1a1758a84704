"""Gather everything the replication report shows into one plain dict.

Reads the stage JSONs named in ``config/report.yaml``, the papers' values of
``config/paper_values.yaml``, the Snakemake benchmark TSVs, package versions
and the machine. Nothing here knows a paper's number: rows are driven by the
two YAML files. A missing JSON or key never raises; its row says ``not run``
and why.

Why one module of about 500 lines: every headline number of both papers is matched with its result file here, in one table of rows that the report, the README table and the tests read.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from lidendrite.errors import InputError
from lidendrite.report.compare import (
    NOT_COMPARABLE_SCALE,
    NOT_REPRODUCED,
    NOT_RUN,
    REPRODUCED,
    STATUSES,
    compare,
)

__all__ = [
    "PAPERS",
    "load_yaml",
    "get_dotted",
    "this_run_value",
    "quantity_rows",
    "figure_rows",
    "benchmark_table",
    "package_versions",
    "git_commit",
    "machine_info",
    "config_hash",
    "collect",
]

#: the two studies, how the report names them (not numbers, only titles)
PAPERS = {
    "lpsc": "An et al., Li-dendrite nucleation at the Li | Li6PS5Cl interface (DP-GEN, enhanced-sampling DPMD, QEq)",
    "ec": "Hu et al., DP-QEq under constant potential for Li | EC + LiPF6 | Li",
}

_CONFIG_LOT = "input setting (this run's config)"


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping; one-line :class:`InputError` when missing or not a mapping."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"file not found: {p}")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a mapping at the top level")
    return data


def get_dotted(data: Any, key: str) -> Any:
    """``data['a']['b'][0]`` for ``key='a.b.0'``; ``KeyError`` names the missing part."""
    cur = data
    for part in str(key).split("."):
        if isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                raise KeyError(f"no index {part!r} in {key!r}") from None
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            raise KeyError(f"no key {part!r} of {key!r}")
    return cur


def _scaled(value: Any, factor: float | None) -> Any:
    if factor is None:
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value * factor
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    if isinstance(value, dict):
        return {k: _scaled(v, factor) for k, v in value.items()}
    return value


def this_run_value(
    entry: dict[str, Any],
    results_dir: Path,
    config: dict[str, Any],
    repo_dir: Path | None = None,
) -> dict[str, Any]:
    """This run's value of one quantity as described by its ``report.yaml`` entry.

    ``json:`` paths are relative to ``results_dir`` (``results/<scale>``);
    ``repo_json:`` paths to ``repo_dir`` (default: the repository holding this
    package), for machine benchmarks recorded once under ``benchmarks/results/``
    rather than by a workflow rule of each scale.

    Returns a dict with ``value`` (``None`` when not available), ``level_of_theory``,
    ``where`` (file and key, for the reader) and ``reason`` (why ``value`` is ``None``).
    """
    out: dict[str, Any] = {"value": None, "level_of_theory": "", "where": "", "reason": ""}
    if "config" in entry:
        keys = entry["config"]
        out["where"] = f"config: {keys if isinstance(keys, str) else ', '.join(keys)}"
        try:
            value = (
                get_dotted(config, keys)
                if isinstance(keys, str)
                else [get_dotted(config, k) for k in keys]
            )
        except KeyError as exc:
            out["reason"] = f"config has {exc.args[0]}"
            return out
        out.update(value=_scaled(value, entry.get("factor")), level_of_theory=_CONFIG_LOT)
        return out
    if "repo_json" in entry and "key" in entry:
        if repo_dir is None:
            from lidendrite.config import REPO_ROOT as repo_dir
        rel, path = entry["repo_json"], Path(repo_dir) / entry["repo_json"]
    elif "json" in entry and "key" in entry:
        rel, path = entry["json"], results_dir / entry["json"]
    else:
        out["reason"] = "report.yaml entry names neither json+key, repo_json+key nor config"
        return out
    keys = entry["key"]
    out["where"] = f"{rel}: {keys if isinstance(keys, str) else ', '.join(keys)}"
    if not path.is_file():
        out["reason"] = f"{path} not found (stage not run or not in this workflow yet)"
        return out
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        out["reason"] = f"{path} is not readable JSON ({exc})"
        return out
    try:
        value = (
            get_dotted(data, keys) if isinstance(keys, str) else [get_dotted(data, k) for k in keys]
        )
    except KeyError as exc:
        out["reason"] = f"{path} has {exc.args[0]}"
        return out
    out["value"] = _scaled(value, entry.get("factor"))
    if value is None:  # the stage ran and reports "none found" (e.g. no Li cluster)
        seen = data.get("seen") if isinstance(data, dict) else None
        out["ran_without_value"] = f"the stage ran and reports none{': ' + seen if seen else ''}"
    lot = data.get("level_of_theory", "") if isinstance(data, dict) else ""
    out["level_of_theory"] = lot or "not recorded in the stage JSON"
    out["labeller"] = data.get("labeller", "") if isinstance(data, dict) else ""
    return out


def quantity_rows(
    paper_values: dict[str, Any],
    spec: dict[str, Any],
    results_dir: Path,
    config: dict[str, Any],
    studies: list[str],
    repo_dir: Path | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """One row per paper quantity of each study: paper value, this run, status.

    ``repo_dir`` resolves ``repo_json:`` entries (see :func:`this_run_value`).
    """
    scale = config["scale"]
    spec_q = spec.get("quantities") or {}
    rows: dict[str, list[dict[str, Any]]] = {}
    for study in studies:
        study_spec = spec_q.get(study) or {}
        unknown = sorted(set(study_spec) - set(paper_values.get(study) or {}))
        if unknown:
            raise InputError(
                f"config/report.yaml: quantities.{study}.{unknown[0]} is not a key of "
                f"config/paper_values.yaml[{study}]"
            )
        rows[study] = []
        for key, paper in (paper_values.get(study) or {}).items():
            entry = study_spec.get(key)
            row = {
                "key": key,
                "paper": paper["value"],
                "unit": paper.get("unit", ""),
                "tolerance": paper.get("tolerance"),
                "source": paper.get("source", ""),
                "paper_note": paper.get("note", ""),
                "note": (entry or {}).get("note", ""),
            }
            if entry is None:
                got = {
                    "value": None,
                    "level_of_theory": "",
                    "where": "",
                    "reason": "no stage reports it yet (no entry in config/report.yaml)",
                }
            else:
                got = this_run_value(entry, results_dir, config, repo_dir)
            row.update(
                run=got["value"],
                level_of_theory=got["level_of_theory"],
                where=got["where"],
                labeller=got.get("labeller", ""),
            )
            try:
                status, detail = compare(
                    paper["value"],
                    got["value"],
                    paper.get("tolerance"),
                    scale=scale,
                    scales=(entry or {}).get("scales"),
                    error_metric=bool(paper.get("error_metric")),
                )
            except (TypeError, ValueError) as exc:  # a malformed value never stops the report
                status, detail = "not comparable", f"cannot compare: {exc}"
            scales = (entry or {}).get("scales")
            if status == NOT_RUN and got.get("ran_without_value"):
                if scales is not None and scale not in scales:
                    status = NOT_COMPARABLE_SCALE
                    detail = f"needs the {' or '.join(scales)} scale; {got['ran_without_value']}"
                else:
                    status, detail = NOT_REPRODUCED, got["ran_without_value"]
            elif status == NOT_RUN:
                detail = got["reason"]
            if status == REPRODUCED and (entry or {}).get("requires_true"):
                flag = this_run_value(
                    {**entry, "key": entry["requires_true"]}, results_dir, config, repo_dir
                )["value"]
                if flag is not True:
                    status = NOT_REPRODUCED
                    detail += f"; within tolerance but {entry['requires_true']} is {flag}"
            row.update(status=status, detail=detail, effect=(entry or {}).get("effect"))
            rows[study].append(row)
    # a level judged on its effect: reproduced only when that effect is
    for study_rows in rows.values():
        by_key = {r["key"]: r for r in study_rows}
        for r in study_rows:
            eff = by_key.get(r.pop("effect") or "")
            if eff is not None and r["status"] == REPRODUCED and eff["status"] != REPRODUCED:
                r["status"] = NOT_REPRODUCED
                r["detail"] += (
                    f"; the level is within tolerance but the effect {eff['key']} is {eff['status']}"
                )
    return rows


def figure_rows(
    spec: dict[str, Any], results_dir: Path, studies: list[str], repo_dir: Path | None = None
) -> list[dict[str, Any]]:
    """The figures of ``report.yaml`` (paper order) with whether this run made each PNG.

    ``png:`` is relative to ``results/<scale>/``; ``repo_png:`` to the repository
    (``repo_dir``, default the checkout holding this package), for machine benchmarks
    under ``benchmarks/results/`` that no rule makes.
    """
    out = []
    for fig in spec.get("figures") or []:
        if fig.get("study") not in studies:
            continue
        if "repo_png" in fig:
            if repo_dir is None:
                from lidendrite.config import REPO_ROOT as repo_dir
            rel = fig["repo_png"]
            png = Path(repo_dir) / rel
        else:
            rel = fig["png"]
            png = results_dir / rel
        out.append(
            {
                "study": fig["study"],
                "figure": str(fig["figure"]),
                "png": rel,
                "path": str(png),
                "exists": png.is_file(),
                "note": fig.get("note", ""),
            }
        )
    return out


def benchmark_table(bench_dir: str | Path) -> list[dict[str, Any]]:
    """Wall time per rule from Snakemake's benchmark TSVs (``<bench_dir>/<rule>/*.tsv``).

    Per rule: number of jobs, total and largest wall time (s), largest max RSS (MB).
    """
    rows = []
    root = Path(bench_dir)
    if not root.is_dir():
        return rows
    for rule_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        total = biggest = rss = 0.0
        jobs = 0
        for tsv in sorted(rule_dir.glob("*.tsv")):
            with open(tsv, newline="") as fh:
                for rec in csv.DictReader(fh, delimiter="\t"):
                    try:
                        s = float(rec["s"])
                    except (KeyError, TypeError, ValueError):
                        continue
                    jobs += 1
                    total += s
                    biggest = max(biggest, s)
                    try:
                        rss = max(rss, float(rec.get("max_rss") or 0.0))
                    except ValueError:
                        pass
        if jobs:
            rows.append(
                {
                    "rule": rule_dir.name,
                    "jobs": jobs,
                    "wall_s": round(total, 2),
                    "max_job_s": round(biggest, 2),
                    "max_rss_mb": round(rss, 1),
                }
            )
    return rows


def package_versions(packages: list[str]) -> dict[str, str]:
    """Installed version of each PyPI distribution ("not installed" otherwise), plus Python and CP2K."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    try:
        out["lidendrite"] = metadata.version("lidendrite")
    except metadata.PackageNotFoundError:
        pass
    cp2k = shutil.which("cp2k") or shutil.which("cp2k.psmp")
    if cp2k:
        try:
            res = subprocess.run([cp2k, "--version"], capture_output=True, text=True, timeout=30)
            line = next((ln for ln in res.stdout.splitlines() if "CP2K version" in ln), "")
            out["cp2k"] = line.split("CP2K version", 1)[-1].strip() or "found"
        except (OSError, subprocess.TimeoutExpired):
            out["cp2k"] = "found, version unknown"
    else:
        out["cp2k"] = "not installed"
    return out


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory and GPUs (via nvidia-smi) of the machine that ran the report."""
    info: dict[str, Any] = {
        "system": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "cores": os.cpu_count(),
        "cpu": platform.processor() or "",
    }
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next(
                ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as fh:
            kb = next(int(ln.split()[1]) for ln in fh if ln.startswith("MemTotal"))
        info["memory_gib"] = round(kb / 2**20, 1)
    except (OSError, StopIteration, ValueError):
        pass
    gpus = "none"
    if shutil.which("nvidia-smi"):
        try:
            res = subprocess.run(
                ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            gpus = "; ".join(ln.strip() for ln in res.stdout.splitlines() if ln.strip()) or "none"
        except (OSError, subprocess.TimeoutExpired):
            gpus = "nvidia-smi failed"
    info["gpu"] = gpus
    return info


def config_hash(config: dict[str, Any]) -> str:
    """First 12 hex digits of the SHA-256 of the config as canonical JSON."""
    blob = json.dumps(config, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _labeller_text(config: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> str:
    """Plain words for the run's labeller, from a stage JSON written with it."""
    name = config.get("labeller", "")
    for study_rows in rows.values():
        for r in study_rows:
            if r.get("labeller") == name and r.get("level_of_theory"):
                return r["level_of_theory"]
    return {
        "cp2k": "DFT (CP2K, PBE)",
        "vasp": "DFT (VASP, user's calculations)",
        "abacus": "DFT (ABACUS, user's calculations)",
    }.get(name, f"{name} (no stage JSON records it yet)")


def _study_labels(config: dict[str, Any], rows: list[dict[str, Any]], study: str) -> str:
    """Plain words for the labels of one study: its teacher model (``labeling.teacher.by_study``)
    as a stage JSON of that study records it, else as the config names it."""
    name = config.get("labeller", "")
    if name != "teacher":
        return _labeller_text(config, {study: rows})
    teacher = (config.get("labeling") or {}).get("teacher") or {}
    model = ((teacher.get("by_study") or {}).get(study) or teacher.get("model") or "").lower()
    found = []
    for r in rows:  # "teacher potential <model> <version>, ..." alone or inside a DP's level of theory
        lot = r.get("level_of_theory") or ""
        at = lot.lower().find(f"teacher potential {model}") if model else -1
        if at >= 0:
            found.append(lot[at:].split(";")[0].strip())
    if found:
        return min(found, key=len)
    return f"teacher potential {model or '?'} (as the config names it; no report row records it)"


def git_commit(repo: str | Path | None = None) -> str:
    """Short commit of the checkout (with ``+local changes`` when tracked files differ), or ``unknown``."""
    from lidendrite.config import REPO_ROOT

    where = str(repo or REPO_ROOT)
    try:
        head = subprocess.run(["git", "-C", where, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "-C", where, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + (" +local changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def collect(
    results_dir: str | Path,
    config: dict[str, Any],
    *,
    paper_values_path: str | Path,
    report_spec_path: str | Path,
    bench_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Everything the report shows, as one JSON-able dict.

    Parameters
    ----------
    results_dir
        ``results/<scale>`` of this run.
    config
        The run's (validated) config: ``scale``, ``labeller``, ``studies``, ...
    paper_values_path, report_spec_path
        ``config/paper_values.yaml`` and ``config/report.yaml``.
    bench_dir
        Snakemake benchmark folder (default ``<results_dir>/benchmarks``).
    """
    results_dir = Path(results_dir)
    paper_values = load_yaml(paper_values_path)
    spec = load_yaml(report_spec_path)
    studies = [s for s in config.get("studies", list(PAPERS)) if s in paper_values]
    rows = quantity_rows(paper_values, spec, results_dir, config, studies)
    counts = {s: sum(r["status"] == s for rr in rows.values() for r in rr) for s in STATUSES}
    return {
        "scale": config["scale"],
        "labeller": config.get("labeller", ""),
        "labeller_text": _labeller_text(config, rows),
        "labels_by_study": {s: _study_labels(config, rows.get(s, []), s) for s in studies},
        "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "studies": {s: PAPERS.get(s, s) for s in studies},
        "quantities": rows,
        "counts": counts,
        "figures": figure_rows(spec, results_dir, studies),
        "provenance": {
            "config_sha256_12": config_hash(config),
            "commit": git_commit(),
            "versions": package_versions(list(spec.get("packages") or [])),
            "machine": machine_info(),
            "benchmarks": benchmark_table(bench_dir or results_dir / "benchmarks"),
            "python_executable": sys.executable,
        },
        "screenshot": spec.get("screenshot") or {},
    }
