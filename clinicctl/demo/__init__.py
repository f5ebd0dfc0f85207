"""``clinicctl demo``: a demo practice, and a walkthrough of sharing a client.

The practice is built and the walkthrough run only through the services, each action as a
staff member in its own transaction, the way each command runs: the demo goes through the
same authorisation code as every command and cannot show anything a command would refuse.
Every claim it prints is checked first; a failed check ends the demo with exit 1.

The walkthrough is a list of steps (``WALKTHROUGH``): the client reaches a new provider in each
of the four ways (a share, a booking, find availability then a booking, a booking from the
client's side), and every step proves what the new provider can and cannot see. Appointments
are booked in the coming weeks, relative to today, so the demo never books in the past.
"""
