"""The walkthrough's sharing steps: demographics only, a chart share, ending it, and who
sees what and why."""

from __future__ import annotations

from typing import Any

from clinicctl.demo.cast import (
    CLIENTS,
    FIRST,
    MANAGER,
    NEW,
    NEW_PROVIDER_DOCUMENT,
    WALK,
    WALK_DOCUMENTS,
    WALK_NOTES,
    Person,
)
from clinicctl.demo.practice import (
    Demo,
    check,
)


def share_demographics_only(demo: Demo) -> None:
    """The client reaches a new provider by ``client share``: profile and non-clinical
    documents, never the first provider's chart."""
    from clinicctl.charts import records, sharing
    from clinicctl.people import clients

    out = demo.out
    demo.step(f"{MANAGER.name} (practice manager) shares {WALK.name} with {NEW.name}, "
              "demographics only")
    demo.command(MANAGER, "client", "share", WALK.name, "--from", FIRST.name, "--to", NEW.name)
    with demo.acting_as(MANAGER) as (session, manager):
        result = sharing.share(session, manager, WALK.name, FIRST.email, NEW.email)
    check(result.assignment == "created" and result.chart_share == "none",
          "the share put the client in the new provider's list without a chart share")
    out.result(f"{WALK.name} is now in {NEW.name}'s list (origin: share); no chart share.")

    out.line(f"What {NEW.name} sees now (acting as {NEW.email}):", indent=2)
    with demo.acting_as(NEW) as (session, ana):
        listed = [c.id for c in clients.list_clients(session, ana, provider_ref=ana.email)]
        profile = clients.client_profile(session, ana, WALK.name)
        providers = "; ".join(_provider_setting(a) for a in profile.assignments)
        documents = records.list_documents(session, ana, WALK.name)
        notes = records.list_notes(session, ana, WALK.name)
    check(demo.client_id in listed, "the client is in the new provider's list")
    shown = [d.title for d in documents]
    plain = [t for t, clinical, _ in WALK_DOCUMENTS if not clinical]
    hidden = [t for t, clinical, _ in WALK_DOCUMENTS if clinical]
    check(shown == plain, "the new provider sees exactly the non-clinical documents")
    check(notes == [], "the new provider's note list is empty")
    own = sum(1 for c in CLIENTS if c.provider is NEW)
    out.yes(f"{WALK.name} in her client list (her {own} clients and the shared one)")
    out.yes(f"the profile: born {WALK.dob}, {WALK.phone}, {WALK.email}; {providers}")
    out.yes(f"non-clinical documents: {', '.join(shown)}")
    out.no(f"clinical document {', '.join(hidden)}: not listed")
    out.no(f"chart notes: `note list` shows 0 notes ({FIRST.first}'s "
           f"{len(WALK_NOTES)} are neither listed nor counted)")
    note_id = demo.note_ids["progress"]
    refusal = demo.refused(NEW, lambda s, a: records.show_note(s, a, note_id),
                           "reading the first provider's note")
    out.refused(f"`note show {note_id}` ({FIRST.first}'s progress note): {refusal.message}; "
                "the attempt is in the audit trail")


def start_chart_share(demo: Demo) -> None:
    """A one-way chart share: the new provider reads the first provider's chart, not the
    private notes, and the first provider gains nothing in return."""
    from clinicctl.charts import records, sharing

    out = demo.out
    demo.step(f"{FIRST.name} starts a one-way chart share with {NEW.name}")
    demo.command(FIRST, "client", "share", WALK.name, "--from", FIRST.name, "--to", NEW.name,
                 "--chart")
    with demo.acting_as(FIRST) as (session, sam):
        result = sharing.share(session, sam, WALK.name, FIRST.email, NEW.email, chart=True)
    check(result.chart_share == "started", "the chart share started")
    out.result(f"Chart share {FIRST.name} -> {NEW.name} started (private notes not included).")

    out.line(f"Acting as {NEW.name}:", indent=2)
    with demo.acting_as(NEW) as (session, ana):
        notes = [(n.kind, n.date_of_service.isoformat()) for n in
                 records.list_notes(session, ana, WALK.name)]
        clinical = [d.title for d in records.list_documents(session, ana, WALK.name)
                    if d.clinical]
    check(sorted(notes) == sorted(demo.shared_notes),
          "the new provider reads exactly the non-private notes")
    out.yes(f"`note list` shows {len(notes)} of {FIRST.first}'s notes: "
            + ", ".join(f"{kind} {day}" for kind, day in notes))
    out.yes(f"clinical document {', '.join(clinical)}: listed now")
    private_id = demo.note_ids["private"]
    refusal = demo.refused(NEW, lambda s, a: records.show_note(s, a, private_id),
                           "reading the private note through a share without private notes")
    out.refused(f"`note show {private_id}` ({FIRST.first}'s private note): {refusal.message}")

    title, is_clinical, content = NEW_PROVIDER_DOCUMENT
    with demo.acting_as(NEW) as (session, ana):
        records.add_document(session, ana, WALK.name, title=title, content=content,
                             clinical=is_clinical)
    out.line(f"{NEW.first} files a clinical document, \"{title}\". Acting as {FIRST.name}:",
             indent=2)
    with demo.acting_as(FIRST) as (session, sam):
        titles = [d.title for d in records.list_documents(session, sam, WALK.name)]
    check(title not in titles, "the first provider does not see the new provider's document")
    out.no(f"\"{title}\" is not in his document list: the share is one way "
           f"({NEW.first} reads {FIRST.first}'s chart, not the reverse)")


def end_chart_share(demo: Demo) -> None:
    """Ending the chart share leaves demographics-only access, as the help article does with
    its red button."""
    from clinicctl.charts import records, sharing
    from clinicctl.people import clients

    out = demo.out
    demo.step(f"{FIRST.name} ends the chart share; {WALK.name} stays in {NEW.name}'s list")
    demo.command(FIRST, "client", "unshare", WALK.name, "--from", FIRST.name, "--to", NEW.name)
    with demo.acting_as(FIRST) as (session, sam):
        result = sharing.unshare(session, sam, WALK.name, FIRST.email, NEW.email)
    check(result.chart_share == "ended" and result.assignment == "existing",
          "the chart share ended and the assignment stayed")
    out.result(f"Chart share ended; {NEW.name} keeps demographics-only access.")

    out.line(f"Acting as {NEW.name}:", indent=2)
    with demo.acting_as(NEW) as (session, ana):
        listed = [c.id for c in clients.list_clients(session, ana, provider_ref=ana.email)]
        notes = records.list_notes(session, ana, WALK.name)
        titles = [d.title for d in records.list_documents(session, ana, WALK.name)]
    hidden = [t for t, clinical, _ in WALK_DOCUMENTS if clinical]
    check(demo.client_id in listed, "the client stayed in the new provider's list")
    check(notes == [], "the notes are hidden again")
    check(not set(hidden) & set(titles), "the clinical documents are hidden again")
    out.yes(f"{WALK.name} is still in her client list")
    out.no("chart notes: `note list` shows 0 notes again")
    out.no(f"clinical document {', '.join(hidden)}: hidden again "
           f"(she sees {', '.join(titles)})")


def sharing_and_access(demo: Demo) -> None:
    """The chart-sharing section and the access report: who can see what, and why."""
    from clinicctl.charts import sharing
    from clinicctl.charts.access_report import staff_access

    out = demo.out
    demo.step(f"The chart-sharing section and the access report for {WALK.name}")
    demo.command(MANAGER, "client", "sharing", WALK.name)
    with demo.acting_as(MANAGER) as (session, manager):
        _, section = sharing.sharing_section(session, manager, WALK.name)
        _, report = staff_access(session, manager, WALK.name)
    check(all(not p.shares_to for p in section), "no chart share is active at the end")
    names = {p.provider_id: p.provider for p in section}
    out.table(["Provider", "Status", "Diagnosis", "Chart shared to"],
              [(p.provider, p.status, ", ".join(p.diagnosis) or "-",
                ", ".join(names.get(int(str(s["provider_id"])), f"#{s['provider_id']}")
                          for s in p.shares_to) or "nobody")
               for p in section])
    demo.command(MANAGER, "client", "access", WALK.name)
    out.line("Profile: demographics, each provider's status and diagnosis, non-clinical "
             "documents. Chart: notes, clinical documents.", indent=2)
    out.table(["Staff", "Profile", "Chart"],
              [(f"{r.staff} ({', '.join(r.roles)})",
                r.profile_reason if r.profile else "no",
                _chart_summary(r)) for r in report])


def _provider_setting(assignment: Any) -> str:
    codes = ", ".join(assignment.diagnosis_codes) or "no diagnosis yet"
    return f"{assignment.provider.name}: {assignment.status}, {codes}"


def _chart_summary(row: Any) -> str:
    if row.chart_notes in ("none", "own only"):
        return {"none": "none", "own only": "their own only"}[row.chart_notes]
    return f"{row.chart_notes}: {row.chart_reason}"


def _proves_demographics_only(demo: Demo, provider: Person) -> None:
    """What a provider who got the client by a booking sees: the profile and the non-clinical
    documents, never the first provider's chart."""
    from clinicctl.charts import records
    from clinicctl.people import clients

    out = demo.out
    out.line(f"What {provider.name} sees now (acting as {provider.email}):", indent=2)
    with demo.acting_as(provider) as (session, actor):
        listed = [c.id for c in clients.list_clients(session, actor, provider_ref=actor.email)]
        profile = clients.client_profile(session, actor, WALK.name)
        own = [(a.status, a.origin) for a in profile.assignments if a.provider_id == actor.id]
        documents = [d.title for d in records.list_documents(session, actor, WALK.name)]
        notes = records.list_notes(session, actor, WALK.name)
    plain = [t for t, clinical, _ in WALK_DOCUMENTS if not clinical]
    check(demo.client_id in listed, f"the client is in {provider.name}'s list")
    check(own == [("new", "appointment")], "the booking added the client with status new and "
          "origin appointment")
    check(documents == plain, f"{provider.name} sees exactly the non-clinical documents")
    check(notes == [], f"{provider.name}'s note list is empty")
    out.yes(f"{WALK.name} in {provider.first}'s client list (status new, origin appointment)")
    out.yes(f"the profile (born {WALK.dob}, {WALK.phone}) and the non-clinical documents: "
            f"{', '.join(documents)}")
    out.no("chart notes: `note list` shows 0 notes; no clinical document is listed")
    note_id = demo.note_ids["progress"]
    refusal = demo.refused(provider, lambda s, a: records.show_note(s, a, note_id),
                           f"{provider.name} reading the first provider's note")
    out.refused(f"`note show {note_id}` ({FIRST.first}'s progress note): {refusal.message}")
