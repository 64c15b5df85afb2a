"""Payload models of every event, one module per producing service."""

from clinic_common.events.payloads import billing, home_visits, records, scheduling

__all__ = ["billing", "home_visits", "records", "scheduling"]
