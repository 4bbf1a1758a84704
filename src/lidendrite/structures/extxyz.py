"""The extended-XYZ structure reader and writer, kept importable under this name.

They live in :mod:`lidendrite.io.extxyz`; modules outside this change's reach
(``constp``, ``analysis/ec_*``, ``scripts/ec_*``, ``benchmarks``) still import
them from here.
"""

from __future__ import annotations

from lidendrite.io.extxyz import read_structure, record_provenance, write_structure

__all__ = ["record_provenance", "write_structure", "read_structure"]
