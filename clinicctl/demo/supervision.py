"""The walkthrough's supervision step: a pre-licensed associate's notes wait for her
supervisor's co-signature; he reads them, and she reads nothing more than before."""

from __future__ import annotations

from clinicctl.demo.cast import ASSOCIATE, CLIENTS, LEE, MANAGER
from clinicctl.demo.practice import Demo, check

SUPERVISEE, SUPERVISOR = ASSOCIATE, LEE
SUPERVISED_CLIENT = CLIENTS[5]  # Jordan Ellis, Lee's client, shared with the associate
SESSION_NOTE = "Session 1 with Nora: exposure hierarchy drafted; homework agreed."


def supervise_and_cosign(demo: Demo) -> None:
    """The manager adds an associate under Lee's supervision with co-signature and shares
    one of Lee's clients with her; her note waits until Lee signs it. Lee reads her notes
    through the supervision; she reads none of his (the share is demographics only)."""
    from clinicctl.charts import records, sharing, supervision
    from clinicctl.people import staff

    out = demo.out
    client = SUPERVISED_CLIENT.name
    demo.step(f"{SUPERVISOR.name} supervises a new associate and co-signs her notes")
    out.line(f"{SUPERVISEE.label} joins the practice working towards her licence; "
             f"{SUPERVISOR.first} reviews and signs her notes.", indent=2)
    demo.command(MANAGER, "staff", "add", SUPERVISEE.name, "--email", SUPERVISEE.email,
                 "--role", "provider", "--credentials", str(SUPERVISEE.credentials))
    with demo.acting_as(MANAGER) as (session, manager):
        added = staff.create_staff(session, name=SUPERVISEE.name, email=SUPERVISEE.email,
                                   roles=["provider"], credentials=SUPERVISEE.credentials,
                                   created_by=manager)
        out.result(f"Added {SUPERVISEE.name} as #{added.id}.")
    demo.command(MANAGER, "staff", "supervise", SUPERVISEE.name, "--by", SUPERVISOR.name,
                 "--cosign")
    with demo.acting_as(MANAGER) as (session, manager):
        started = supervision.supervise(session, manager, SUPERVISEE.email, SUPERVISOR.email,
                                        cosign=True)
    check(started.created and started.supervision.cosign, "the supervision starts, co-signing")
    out.result(f"Started {SUPERVISOR.name} supervising {SUPERVISEE.name} (reads their notes and "
               "clinical documents; their new notes wait for co-signature).")
    demo.command(MANAGER, "client", "share", client, "--from", SUPERVISOR.name, "--to",
                 SUPERVISEE.name)
    with demo.acting_as(MANAGER) as (session, manager):
        shared = sharing.share(session, manager, client, SUPERVISOR.email, SUPERVISEE.email)
        client_id = shared.client_id
    out.result(f"Added client #{client_id} to {SUPERVISEE.name}'s list (demographics only: no "
               "chart notes).")

    demo.command(SUPERVISEE, "note", "add", client, "--body", SESSION_NOTE)
    with demo.acting_as(SUPERVISEE) as (session, nora):
        note = records.add_note(session, nora, client, body=SESSION_NOTE)
        note_id, status, nora_id = note.id, note.cosign_status, nora.id
        hers = records.list_notes(session, nora, client)
    check(status == "pending", "the associate's new note waits for co-signature")
    check([n.id for n in hers] == [note_id], "she reads her own note only, none of Lee's")
    out.result(f"Added note #{note_id} (it waits for your supervisor's co-signature).")

    demo.command(SUPERVISOR, "note", "list", "--unsigned")
    with demo.acting_as(SUPERVISOR) as (session, lee):
        waiting = [n.id for n in supervision.unsigned_notes(session, lee, None)]
    check(waiting == [note_id], "the supervisor's list of notes to sign is that one note")
    out.yes(f"note #{note_id} by {SUPERVISEE.first}, pending")

    demo.command(SUPERVISOR, "note", "sign", str(note_id))
    with demo.acting_as(SUPERVISOR) as (session, lee):
        signed, changed = supervision.sign_note(session, lee, note_id)
        by_lee = signed.cosigned_by_id == lee.id
        readable = records.list_notes(session, lee, client)
    check(changed and by_lee, "the supervisor signs it")
    out.result(f"Signed note #{note_id} of {SUPERVISEE.name}.")
    check(note_id in [n.id for n in readable] and all(
        n.author_id in (nora_id, signed.cosigned_by_id) for n in readable),
          "the supervisor reads his own notes and the associate's")
    out.yes(f"{SUPERVISOR.first} reads {SUPERVISEE.first}'s note beside his own (the read is "
            "audited as supervision.read)")
    out.no(f"{SUPERVISEE.first} reads none of {SUPERVISOR.first}'s notes of "
           f"{SUPERVISED_CLIENT.first}: supervision opens the supervisee's notes to the "
           "supervisor, never the other way")
    demo.command(SUPERVISEE, "note", "show", str(note_id))
    out.result(f"Co-signature: signed by {SUPERVISOR.name}.")

