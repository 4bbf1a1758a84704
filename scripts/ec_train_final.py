"""Rule ec_train_final: final DP_short (all short-range data) and full DP (same frames, total labels)."""

import json
import shutil
import sys
from pathlib import Path

from lidendrite.dpqeq.active_learning import training_job
from lidendrite.dpqeq.data import read_frames
from lidendrite.io.jsonfile import write_json
from lidendrite.labeling.base import write_dpdata
from lidendrite.training.deepmd_run import compress, train_and_freeze


def main(smk):
    sys.stderr = sys.stdout = open(smk.log[0], "w")
    tm, tr = smk.params.type_map, smk.params.training
    rec = json.loads(open(smk.input.record).read())
    work = Path(smk.params.workdir)
    frames = read_frames(smk.input.init_frames) + read_frames(smk.input.al_frames)
    full = write_dpdata(frames, work / "full_data", tm, labeller=rec["labeller"],
                        level_of_theory=rec["level_of_theory"])
    short = [Path(s) for s in rec["short_systems"]]
    steps = tr["final_numb_steps"]
    explorer = Path(rec["last_models_dir"]) / "model0" / "model.ckpt"
    init = explorer if tr["final_init_from_al"] else None
    init_full = explorer if tr["final_full_init_from_al"] else None
    # both models at once, sharing the rule's cores (same seed and steps as one at a time)
    dp_short, full_dp = train_and_freeze(
        [(*training_job(short, work, type_map=tm, model_cfg=tr["model"], numb_steps=steps,
                        seed=tr["seed"], name="dp_short0"), init),
         (*training_job(full, work, type_map=tm, model_cfg=tr["model"], numb_steps=steps,
                        seed=tr["seed"], name="full_dp0"), init_full)],
        threads=smk.threads)
    if tr["compress"]:  # tabulated embedding nets, from each model's own training input
        dp_short = compress(dp_short, work / "dp_short_compressed.pb", threads=smk.threads,
                            training_script=work / "dp_short0" / "input.json")
        full_dp = compress(full_dp, work / "full_dp_compressed.pb", threads=smk.threads,
                           training_script=work / "full_dp0" / "input.json")
    shutil.copyfile(dp_short, smk.output.dp_short)
    shutil.copyfile(full_dp, smk.output.full_dp)
    summary = {"scale": smk.config["scale"], "labeller": rec["labeller"],
               "level_of_theory": rec["level_of_theory"], "n_frames": len(frames),
               "numb_steps": steps, "compressed": bool(tr["compress"]), "dp_short_init_model": None if init is None else str(init),
               "full_dp_init_model": None if init_full is None else str(init_full),
               "dp_short_systems": [str(s) for s in short],
               "full_dp_systems": [str(s) for s in full],
               "note": "DP_short fits total labels minus ConstQ QEq (ec Table S1); full DP fits the total labels of the same frames"}
    write_json(summary, smk.output.summary)
    print(json.dumps(summary))


main(snakemake)  # noqa: F821 (injected by Snakemake)
