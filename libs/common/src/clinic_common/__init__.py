"""Shared platform library of the clinic services."""
