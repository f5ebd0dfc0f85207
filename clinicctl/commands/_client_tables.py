"""How the client group's listings read as tables (the columns a person reads first, the
ones that give way on a narrow terminal), and what an empty client list says it searched."""

from __future__ import annotations

from clinicctl.output import NAME, TEXT, Layout

LIST_TABLE = Layout([("id", "ID"), ("name", "Name"), ("dob", "Date of birth"),
                     ("external_id", "External ID")],
                    optional=["external_id"], wrap={"name": NAME, "external_id": NAME})
LIST_TABLE_OF_PROVIDER = Layout([*LIST_TABLE.columns[:3], ("status", "Status"),
                                 *LIST_TABLE.columns[3:]],
                                optional=LIST_TABLE.optional, wrap=LIST_TABLE.wrap)

SHARING_TABLE = Layout([("provider", "Provider"), ("status", "Status"),
                        ("diagnosis", "Diagnosis"), ("shares_to", "Chart shared to"),
                        ("provider_id", "Provider ID")],
                       optional=["provider_id"],
                       wrap={"provider": NAME, "diagnosis": NAME, "shares_to": TEXT})
ACCESS_TABLE = Layout(
    [("staff", "Staff"), ("profile_text", "Profile"), ("chart_text", "Chart notes"),
     ("roles", "Roles"), ("staff_id", "ID")],
    optional=["staff_id", "roles"],
    wrap={"staff": NAME, "profile_text": TEXT, "chart_text": TEXT, "roles": NAME},
    cells=lambda row: {
        "profile_text": ("yes: " if row["profile"] else "no: ") + row["profile_reason"],
        "chart_text": row["chart_notes"] if row["chart_reason"] in ("none", row["chart_notes"])
        else f"{row['chart_notes']}: {row['chart_reason']}"})


def no_clients(provider: str | None, status: str | None, search: str | None) -> str:
    """What an empty client list searched, in words."""
    words = ["No clients"]
    if search:
        words.append(f"match {search.strip()!r}")
    if provider:
        words.append(f"in the list of {provider.strip()}")
    if status and status != "all":
        statuses = [s.strip() for s in status.split(",") if s.strip()]
        words.append("with status " + " or ".join(statuses))
    elif provider and status is None:
        words.append("with status new or active (--status all for every status)")
    return " ".join(words) + ("." if len(words) > 1 else " yet.")


DUPLICATES_TABLE = Layout(
    [("client_id", "ID"), ("client", "Name"), ("dob", "Date of birth"), ("other_id", "ID"),
     ("other", "Name"), ("other_dob", "Date of birth"), ("reasons_text", "Why")],
    wrap={"client": NAME, "other": NAME, "reasons_text": TEXT},
    cells=lambda row: {"reasons_text": "; ".join(row["reasons"])})
