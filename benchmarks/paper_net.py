"""Freeze an (untrained) Deep Potential with the papers' network sizes, for timing only.

The ci models are tiny (embedding 8-16-32, fitting 32-32-32) so that ``make
test`` stays fast; the papers used embedding (25, 50, 100), axis 16 and
fitting (240, 240, 240) (ec paper sec. 2.2.3, lpsc paper SI, DP-GEN training; our
``config/paper.yaml`` ``<study>.training.model``). The cost of a DP force call
depends on the network sizes and the ``sel``/``rcut`` of the descriptor, not on
the values of the weights, so a model trained for a couple of steps times the
same as the paper's. Its energies and forces are meaningless: use it for
timing, never for dynamics that matter.

:func:`paper_size_model` takes the ci model's ``input.json`` (same type map,
``sel``, ``rcut`` and data), swaps in the paper's network sizes from
``config/paper.yaml``, trains ``numb_steps`` steps with deepmd-kit (TF) and
freezes to ``<workdir>/frozen.pb``; an existing frozen model with the same
input is reused.
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def paper_model_block(study: str) -> dict:
    """``<study>.training.model`` of ``config/paper.yaml`` (network sizes only)."""
    import yaml

    cfg = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    return dict(cfg[study]["training"]["model"])


def paper_size_model(
    ci_input: str | Path, study: str, workdir: str | Path, numb_steps: int = 2
) -> tuple[Path, dict]:
    """Train ``numb_steps`` steps with the paper's network sizes and freeze; return (pb, sizes)."""
    from lidendrite.training.deepmd_run import freeze, train

    ci_input = Path(ci_input).resolve()
    jdata = json.loads(ci_input.read_text())
    sizes = paper_model_block(study)
    desc, fit = jdata["model"]["descriptor"], jdata["model"]["fitting_net"]
    desc["neuron"] = list(sizes["embedding_neuron"])
    desc["axis_neuron"] = int(sizes["axis_neuron"])
    fit["neuron"] = list(sizes["fitting_neuron"])
    tr = jdata["training"]
    systems = tr["training_data"]["systems"]
    tr["training_data"]["systems"] = [
        str((ci_input.parent / s).resolve()) if not Path(s).is_absolute() else s for s in systems
    ]
    tr.pop("validation_data", None)
    tr.update(numb_steps=int(numb_steps), disp_freq=1, save_freq=int(numb_steps))
    jdata["learning_rate"]["decay_steps"] = 1
    wd = Path(workdir)
    pb = wd / "frozen.pb"
    stamp = wd / "input.stamp.json"
    text = json.dumps(jdata, sort_keys=True)
    if pb.is_file() and stamp.is_file() and stamp.read_text() == text:
        return pb, sizes
    train(jdata, wd, restart=False, progress=False)
    freeze(wd, pb)
    stamp.write_text(text)
    return pb, sizes
