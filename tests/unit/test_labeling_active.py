"""The labeller of each study (config `labeller`, `labeling.<name>`, `labeling.teacher.by_study`)."""

from __future__ import annotations

import pytest

from lidendrite.config import labeller_settings, load_config
from lidendrite.errors import InputError


def test_by_study_replaces_the_teacher_of_that_study_only():
    cfg = load_config("demo")
    cfg["labeling"]["teacher"]["model"] = "sevennet-0"
    cfg["labeling"]["teacher"]["by_study"] = {"lpsc": None, "ec": "chgnet"}
    assert labeller_settings(cfg, "ec")["model"] == "chgnet"
    assert labeller_settings(cfg, "lpsc")["model"] == "sevennet-0"
    assert labeller_settings(cfg)["model"] == "sevennet-0"  # no study: the common teacher
    assert "by_study" not in labeller_settings(cfg, "ec")  # not a setting of the labeller itself
    assert labeller_settings(cfg, "ec")["name"] == "teacher"


def test_other_labellers_ignore_by_study():
    cfg = load_config("demo")
    cfg["labeller"] = "cp2k"
    cfg["labeling"]["teacher"]["by_study"] = {"lpsc": None, "ec": "chgnet"}
    s = labeller_settings(cfg, "ec")
    assert s["name"] == "cp2k" and "model" not in s


def test_unknown_study_is_one_line_error():
    with pytest.raises(InputError, match="study"):
        labeller_settings(load_config("demo"), "lps")
