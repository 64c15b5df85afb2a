"""The claims register in each insurer's own column layout (BIL-19), as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from openpyxl import Workbook  # type: ignore[import-untyped]  # no stubs shipped


def to_csv(layout: Sequence[Mapping[str, str]], rows: Sequence[Mapping[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c["header"] for c in layout])
    for row in rows:
        writer.writerow([_safe(row.get(c["field"], "")) for c in layout])
    return out.getvalue().encode("utf-8-sig")  # BOM: spreadsheet programs read UTF-8 by it


def to_xlsx(layout: Sequence[Mapping[str, str]], rows: Sequence[Mapping[str, str]], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31] or "Claims"
    ws.append([c["header"] for c in layout])
    for row in rows:
        ws.append([_safe(row.get(c["field"], "")) for c in layout])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _safe(value: str) -> str:
    """No formula injection: a cell never starts with = + - @ (OWASP CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not _number(value) else value


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
