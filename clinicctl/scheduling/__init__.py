"""Availability, time off, bookings and their life cycle, recurrence, the calendar export,
locations and service codes, and the time arithmetic they share."""
