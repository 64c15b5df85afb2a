"""Versions of an organization's price list and their items (BIL-1, BIL-2, BIL-5)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from billing.db import Base


class PriceListVersion(Base):
    """A price list approved by the director's order (O 12.1), in force from `effective_from`
    (the organization's local date) until the next version takes effect (BIL-1)."""

    __tablename__ = "price_list_versions"
    __table_args__ = (UniqueConstraint("organization_id", "effective_from"),)

    # The constraint that answers 409 `price_list_version_exists`.
    UNIQUE_EFFECTIVE_FROM = "uq_price_list_versions_organization_id_effective_from"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column()
    effective_from: Mapped[date] = mapped_column(Date)
    approval_order: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PriceListItem(Base):
    """One service's price in a version: integer minor units plus the currency."""

    __tablename__ = "price_list_items"
    __table_args__ = (
        UniqueConstraint("price_list_id", "service_code"),
        CheckConstraint("price_minor >= 0", name="price_minor_non_negative"),
        CheckConstraint("char_length(currency) = 3", name="currency_code"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    price_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("price_list_versions.id"))
    service_code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    state_order: Mapped[bool] = mapped_column(Boolean, default=False)
    preventive: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[str] = mapped_column(Text)
