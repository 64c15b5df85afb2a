"""The business clock: fixed, shared-offset (development) and the factory choosing between them."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from clinic_common.clock import (
    FixedClock,
    FixedOffsetClock,
    SharedOffsetClock,
    SystemClock,
    clock_from_settings,
    parse_instant,
    write_offset,
)

pytestmark = pytest.mark.unit

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
ALMATY = timezone(timedelta(hours=5))


def close_to(a: datetime, b: datetime, slack: float = 5.0) -> bool:
    return abs((a - b).total_seconds()) < slack


# --- FixedClock -----------------------------------------------------------------------------------


def test_fixed_clock_set_and_advance() -> None:
    clock = FixedClock(T0)
    assert clock.now() == T0
    clock.advance(timedelta(minutes=90))
    assert clock.now() == T0 + timedelta(minutes=90)
    later = datetime(2031, 1, 1, 12, tzinfo=ALMATY)
    clock.set(later)
    assert clock.now() == later


def test_fixed_clock_refuses_naive_datetime() -> None:
    clock = FixedClock(T0)
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2030, 1, 1, 9, 0))
    assert clock.now() == T0


def test_fixed_clock_constructor_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        FixedClock(datetime(2030, 1, 1, 9, 0))


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert close_to(now, datetime.now(UTC))


# --- SharedOffsetClock ----------------------------------------------------------------------------


def test_missing_file_means_offset_zero(tmp_path: Path) -> None:
    clock = SharedOffsetClock(tmp_path / "absent" / "clock.json")
    assert clock.offset() == timedelta(0)
    assert close_to(clock.now(), datetime.now(UTC))


def test_two_instances_on_one_file_agree(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    write_offset(path, 3600.0)
    a, b = SharedOffsetClock(path), SharedOffsetClock(path)
    assert a.offset() == b.offset() == timedelta(hours=1)
    assert close_to(a.now(), b.now(), slack=1.0)
    assert close_to(a.now(), datetime.now(UTC) + timedelta(hours=1))


def test_set_on_one_moves_both(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    a, b = SharedOffsetClock(path), SharedOffsetClock(path)
    assert a.offset() == b.offset() == timedelta(0)  # both cache "no file"
    a.set(T0)
    assert close_to(a.now(), T0) and close_to(b.now(), T0)
    target = datetime(2029, 12, 31, 23, 0, tzinfo=ALMATY)
    b.set(target)
    assert close_to(a.now(), target) and close_to(b.now(), target)
    assert json.loads(path.read_text())["offset_seconds"] == pytest.approx(
        (target - datetime.now(UTC)).total_seconds(), abs=5
    )


def test_second_set_within_one_mtime_tick_is_seen(tmp_path: Path) -> None:
    """On file systems with coarse timestamps two quick `set`s can leave the same mtime."""
    path = tmp_path / "clock.json"
    write_offset(path, 100.0)
    reader = SharedOffsetClock(path)
    assert reader.offset() == timedelta(seconds=100)
    tick = path.stat().st_mtime_ns
    write_offset(path, 200.0)
    os.utime(path, ns=(tick, tick))
    assert reader.offset() == timedelta(seconds=200)


def test_set_refuses_naive_datetime(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    clock = SharedOffsetClock(path)
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2030, 1, 1))
    assert not path.exists()


def _overwrite_keeping_mtime(path: Path, text: str) -> None:
    """Rewrite the file and bump its mtime so the clock re-reads it."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


@pytest.mark.parametrize("garbage", ['{"offset_seconds": 12', "", "{", '{"offset_seconds": "soon"}'])
def test_half_written_file_keeps_last_good_offset(tmp_path: Path, garbage: str) -> None:
    path = tmp_path / "clock.json"
    write_offset(path, 7200.0)
    clock = SharedOffsetClock(path)
    assert clock.offset() == timedelta(hours=2)
    _overwrite_keeping_mtime(path, garbage)
    assert clock.offset() == timedelta(hours=2)
    write_offset(path, 60.0)  # the writer finishes: the new value is picked up
    assert clock.offset() == timedelta(minutes=1)


@pytest.mark.parametrize(
    "garbage",
    [
        "[]",
        '"x"',
        "1e999",
        "{}",
        '{"offset_seconds": null}',
        '{"offset_seconds": 1e300}',
        '{"offset_seconds": NaN}',
    ],
)
def test_corrupt_but_parseable_file_keeps_last_good_offset(tmp_path: Path, garbage: str) -> None:
    path = tmp_path / "clock.json"
    write_offset(path, 7200.0)
    clock = SharedOffsetClock(path)
    assert clock.offset() == timedelta(hours=2)
    _overwrite_keeping_mtime(path, garbage)
    assert clock.offset() == timedelta(hours=2)


def test_fresh_instance_on_corrupt_file_uses_zero(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    path.write_text('{"offset_sec')
    assert SharedOffsetClock(path).offset() == timedelta(0)


def test_write_offset_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "clock.json"
    write_offset(path, 1.5)
    write_offset(path, -2.5)
    assert json.loads(path.read_text()) == {"offset_seconds": -2.5}
    assert [p.name for p in path.parent.iterdir()] == ["clock.json"]


# --- parse_instant / clock_from_settings ----------------------------------------------------------


def test_parse_instant() -> None:
    assert parse_instant("2030-03-04T09:00:00Z") == T0
    assert parse_instant("2030-03-04T14:00:00+05:00") == T0
    with pytest.raises(ValueError, match="offset"):
        parse_instant("2030-03-04T09:00:00")


def test_clock_from_settings_without_anything_is_system_clock() -> None:
    assert isinstance(clock_from_settings(None, None), SystemClock)


def test_clock_from_settings_start_only_is_fixed_offset() -> None:
    clock = clock_from_settings(None, "2030-03-04T09:00:00Z")
    assert isinstance(clock, FixedOffsetClock)
    assert close_to(clock.now(), T0)


def test_clock_from_settings_file_is_shared(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    clock = clock_from_settings(path, None)
    assert isinstance(clock, SharedOffsetClock)
    assert clock.offset() == timedelta(0)
    assert not path.exists()


def test_clock_from_settings_start_seeds_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    clock = clock_from_settings(path, "2030-03-04T09:00:00Z")
    assert isinstance(clock, SharedOffsetClock)
    assert close_to(clock.now(), T0)
    assert close_to(SharedOffsetClock(path).now(), T0)


def test_clock_from_settings_start_does_not_override_an_existing_file(tmp_path: Path) -> None:
    """A restarted service joins the stack's current time instead of resetting it."""
    path = tmp_path / "clock.json"
    write_offset(path, 0.0)
    clock = clock_from_settings(path, "2030-03-04T09:00:00Z")
    assert close_to(clock.now(), datetime.now(UTC))


def test_clock_from_settings_refuses_naive_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="offset"):
        clock_from_settings(tmp_path / "clock.json", "2030-03-04T09:00:00")
    with pytest.raises(ValueError, match="offset"):
        clock_from_settings(None, "2030-03-04T09:00:00")
