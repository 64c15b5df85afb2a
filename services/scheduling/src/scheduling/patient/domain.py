"""Refusals about the patients scheduling learned from records."""

from __future__ import annotations

from clinic_common.errors import NotFound


class PatientNotFound(NotFound):
    """404 both for a patient scheduling does not know and for one the caller may not see (api.md)."""

    code = "patient_not_found"
    title = "No such patient"
