"""Billing: price lists, invoices, payments, refunds, the ledger, programs, the partner-insurer API."""
