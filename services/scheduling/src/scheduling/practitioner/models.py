"""Practitioners, the branches they work at, and their weekly shifts (SCH-1, SCH-2, SCH-5)."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    Text,
    Time,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduling.db import Base


class Practitioner(Base):
    """SCH-1: specialty, qualification, experience and certificates are published to patients.

    `visit_durations` maps each visit type (`practitioner.domain.VisitType`) to minutes, within
    the organization's policy range (SCH-2). `certificates` is a list of
    `{title, issuer?, year?}`. Home-care doctors are practitioners with `home_care`."""

    __tablename__ = "practitioners"
    __table_args__ = (
        CheckConstraint("experience_years >= 0", name="experience_years"),
        Index("ix_practitioners_organization_id_specialty", "organization_id", "specialty"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    full_name: Mapped[str] = mapped_column(Text)
    specialty: Mapped[str] = mapped_column(Text)
    qualification: Mapped[str] = mapped_column(Text)
    experience_years: Mapped[int] = mapped_column(Integer)
    certificates: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    visit_durations: Mapped[dict[str, int]] = mapped_column(JSONB)
    home_care: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    branch_links: Mapped[list[PractitionerBranch]] = relationship(
        lazy="raise", order_by="PractitionerBranch.branch_id", cascade="all, delete-orphan"
    )

    @property
    def branch_ids(self) -> list[uuid.UUID]:
        return [link.branch_id for link in self.branch_links]


class PractitionerBranch(Base):
    """SCH-1: the branches a practitioner works at."""

    __tablename__ = "practitioner_branches"

    practitioner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True
    )
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"), primary_key=True, index=True)


class Shift(Base):
    """SCH-1: a weekly working shift at one of the practitioner's branches, in the branch's local
    time, for the dates [valid_from, valid_to]; on public holidays only if `works_on_holidays`
    (SCH-5)."""

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        # A shift is only at a branch the practitioner works at.
        ForeignKeyConstraint(
            ["practitioner_id", "branch_id"],
            ["practitioner_branches.practitioner_id", "practitioner_branches.branch_id"],
            name="fk_shifts_practitioner_branch",
        ),
        Index("ix_shifts_practitioner_id_weekday", "practitioner_id", "weekday"),
        Index("ix_shifts_branch_id_weekday", "branch_id", "weekday"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id"))
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    works_on_holidays: Mapped[bool] = mapped_column(default=False)


class ShiftExceptionRow(Base):
    """SCH-1: a dated change of the weekly shifts: an extra working stretch at a branch, or a day
    (or some hours of it) off, in the branch-local time of `day` (`practitioner.domain.ShiftException`)."""

    __tablename__ = "shift_exceptions"
    __table_args__ = (
        CheckConstraint("kind IN ('extra', 'day_off')", name="kind"),
        CheckConstraint(
            "(starts IS NULL) = (ends IS NULL) AND (starts IS NULL OR starts < ends)", name="hours"
        ),
        CheckConstraint(
            "kind = 'day_off' OR (branch_id IS NOT NULL AND starts IS NOT NULL)", name="extra_where"
        ),
        ForeignKeyConstraint(
            ["practitioner_id", "branch_id"],
            ["practitioner_branches.practitioner_id", "practitioner_branches.branch_id"],
            name="fk_shift_exceptions_practitioner_branch",
        ),
        Index("ix_shift_exceptions_practitioner_id_day", "practitioner_id", "day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("practitioners.id"))
    branch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("branches.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(Text)
    starts: Mapped[time | None] = mapped_column(Time)
    ends: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str | None] = mapped_column(Text)
