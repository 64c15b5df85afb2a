"""Scheduling: organizations, practitioners, shifts, slots, booking, check-in, the electronic queue."""
