"""Rule train_final_model: the production DP of the lpsc study.

With ``lpsc.training.final_numb_steps: 0`` (paper and ci scale) this is DP-GEN's
last model, copied. With a positive value (demo) one model is trained on every
labelled frame (initial data + DP-GEN's labelled candidates) for that many
steps, from DP-GEN's last model 0 (``final_init_from_dpgen``) or from scratch:
a two-iteration demo DP-GEN trains its models too briefly for a 1.5 ps
restrained MD of the sandwich, which then lost atoms into pairs 0.36 A apart
(measured), while 6000 steps on the same data kept it together.
"""

import json
import shutil
from pathlib import Path

from lidendrite.io.jsonfile import write_json
from lidendrite.training.deepmd_input import build_deepmd_input
from lidendrite.training.deepmd_run import compress, train_and_freeze
from lidendrite.training.frame_filter import filter_systems
from lidendrite.training.potential_test import collect_systems
from lidendrite.training.zbl import with_zbl_table
from lidendrite.workflow import run_rule


def dpgen_training_script(history, work: Path) -> Path:
    """DP-GEN model 0's ``input.json`` with absolute system paths, for ``dp compress -t``.

    DP-GEN trains with ``--skip-neighbor-stat`` (no ``min_nbor_dist`` in its
    graphs) and names its systems relative to the training task folder.
    """
    task = Path(history["final_models"][0]).parent / "000"
    jdata = json.loads((task / "input.json").read_text())
    data = jdata["training"]["training_data"]
    data["systems"] = [str((task / s).resolve()) for s in data["systems"]]
    work.mkdir(parents=True, exist_ok=True)
    out = work / "dpgen_model0_input.json"
    write_json(jdata, out)
    return out


def run(smk):
    steps = int(smk.params.final_numb_steps)
    history = json.loads(Path(smk.input.history).read_text())
    out = Path(smk.output.model)
    tmp = out.with_name("incomplete_" + out.name)  # a .pb name: dp compress reads it
    summary = {
        "scale": smk.config["scale"],
        "labeller": history.get("labeller"),
        "level_of_theory": f"Deep Potential trained on {history.get('level_of_theory', 'unknown')} labels",
        "final_numb_steps": steps,
    }
    if steps == 0:
        shutil.copyfile(smk.input.dpgen_model, tmp)
        summary["source"] = "DP-GEN's last iteration, model 0 (as the lpsc paper)"
    else:
        systems = [p.resolve() for p in collect_systems(smk.input.init_data, smk.input.dpgen_data)]
        work = Path(smk.params.workdir).resolve()
        bounds = smk.params.frame_filter
        if bounds is not None:
            kept = work / "thermal_frames"
            shutil.rmtree(kept, ignore_errors=True)  # a rerun refilters from the labelled data
            systems, report = filter_systems(systems, kept, **bounds)
            summary["frame_filter"] = report
            print(
                f"frame filter: kept {report['n_kept']} of {report['n_frames']} labelled frames",
                flush=True,
            )
        model = {**with_zbl_table(smk.params.model, smk.params.type_map, work), "numb_steps": steps}
        if smk.params.final_limit_pref_e is not None:
            model["limit_pref_e"] = float(smk.params.final_limit_pref_e)
        jdata = build_deepmd_input(
            type_map=list(smk.params.type_map), training_systems=[str(s) for s in systems], **model
        )
        init = None
        if smk.params.final_init_from_dpgen:
            # DP-GEN trains model k of an iteration in 00.train/<k:03d>/ and freezes it
            # to 00.train/graph.<k:03d>.pb; the checkpoint stays beside it
            init = Path(history["final_models"][0]).parent / "000" / "model.ckpt"
        (frozen,) = train_and_freeze(
            [(jdata, work, work / "frozen_model.pb", init)], threads=smk.threads
        )
        shutil.copyfile(frozen, tmp)
        start = "from scratch" if init is None else "from DP-GEN's last model 0"
        summary["source"] = (
            f"one model trained {start} for {steps} steps on the initial data and DP-GEN's "
            "labelled candidates (demo: the DP-GEN models train too briefly to hold the sandwich)"
        )
        summary["init_model"] = None if init is None else str(init)
        summary["limit_pref_e"] = model["limit_pref_e"]
        summary["systems"] = [str(s) for s in systems]
    if smk.params.compress:
        work = Path(smk.params.workdir).resolve()
        script = work / "input.json" if steps else dpgen_training_script(history, work)
        shutil.copyfile(
            compress(
                tmp, work / "model_compressed.pb", threads=smk.threads, training_script=script
            ),
            tmp,
        )
        summary["compressed"] = "dp compress: tabulated embedding nets (the MD runs 1.5x faster)"
    tmp.replace(out)
    write_json(summary, smk.output.summary)
    print(json.dumps(summary), flush=True)


run_rule(snakemake, run, "train_final_model")  # noqa: F821 (injected by Snakemake)
