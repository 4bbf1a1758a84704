"""Frame selection of the ec concurrent learning (ec paper 2.2.3: window [0.1, 0.2) eV/A)."""

from __future__ import annotations

import numpy as np
import pytest

from lidendrite.dpqeq.active_learning import classify
from lidendrite.errors import InputError


def test_classify_window():
    devi = np.array([0.05, 0.1, 0.15, 0.2, 0.5, 0.0999])
    g = classify(devi, 0.1, 0.2)
    assert g["accurate"].tolist() == [0, 5]
    assert g["candidate"].tolist() == [1, 2]
    assert g["failed"].tolist() == [3, 4]


def test_nan_deviation_one_line():
    with pytest.raises(InputError, match="frame 2") as err:
        classify(np.array([0.01, 0.02, np.nan]), 0.1, 0.2)
    assert "\n" not in str(err.value)


def test_bad_window():
    with pytest.raises(InputError, match="trust_f"):
        classify(np.array([0.01]), 0.2, 0.1)
