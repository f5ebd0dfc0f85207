"""The fixed vocabularies of clinicctl: roles, statuses, kinds, scopes, repeats, weekdays,
import presets.

Standard library only: the models and the services validate against these, and the command
modules complete them in the shell, where SQLAlchemy must not be loaded (start-up time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

ROLES = ("owner", "manager", "provider", "records-custodian", "scheduler", "biller")
RECORDS_OWNERS = ("group", "provider")
ASSIGNMENT_STATUSES = ("new", "active", "inactive", "discharged")
ASSIGNMENT_ORIGINS = ("intake", "share", "appointment", "import", "group")
NOTE_KINDS = ("progress", "intake", "private")
AUDIT_OUTCOMES = ("ok", "denied")
APPOINTMENT_STATUSES = ("scheduled", "completed", "cancelled", "late-cancelled", "no-show")
# One client's attendance of a session (``appointment attendance``); none until marked.
ATTENDANCE = ("attended", "no-show", "late-cancelled", "cancelled")
CANCEL_SCOPES = ("this", "future", "series")
REPEATS = ("weekly", "biweekly", "monthly")
UNITS = ("days", "weeks", "months")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHARE_MODES = ("demographics", "chart")
APPOINTMENT_SCOPES = ("future",)  # staff reassign / location edit --appointments
PRESETS = ("openemr", "simplepractice", "generic")  # import --preset (exchange/presets.py)


def completer(choices: Sequence[str], *, separated: bool = False
              ) -> Callable[[str], list[str]]:
    """Shell completion for an option that takes one of ``choices`` (``separated``: a
    comma-separated list of them, completed after the last comma). Fixed words only: a
    completion never reads the database."""

    def complete(incomplete: str) -> list[str]:
        done, _, last = incomplete.rpartition(",") if separated else ("", "", incomplete)
        taken = set(done.split(",")) if done else set()
        prefix = f"{done}," if done else ""
        return [prefix + choice for choice in choices
                if choice.startswith(last) and choice not in taken]

    return complete
