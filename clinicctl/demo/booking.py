"""The walkthrough's booking steps: the three ways a booking takes the client to a provider
new to her, each proving the new provider sees demographics only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from clinicctl.demo.cast import (
    BOOKED,
    BOOKED_AT,
    FIRST,
    FOUND,
    GROUP,
    GROUP_AT,
    GROUP_MEMBERS,
    KIM,
    MANAGER,
    SAM,
    SCHEDULER,
    SEARCHED,
    SERIES,
    SERIES_AT,
    SLOTS_SHOWN,
    TIMEZONE,
    WALK,
)
from clinicctl.demo.practice import (
    Demo,
    check,
)
from clinicctl.demo.sharing import (
    _proves_demographics_only,
)
from clinicctl.models import Staff


@dataclass(frozen=True)
class Booked:
    """An appointment as the demo prints it, read inside its transaction."""

    id: int
    provider_id: int
    provider: str
    start: dt.datetime  # in the practice's time zone
    end: dt.datetime
    location: str | None
    pos: str
    service: str
    series_id: int | None

    @classmethod
    def of(cls, appointment: Any) -> Booked:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(TIMEZONE)
        location = appointment.location
        return cls(appointment.id, appointment.provider_id, appointment.provider.name,
                   appointment.start_at.astimezone(zone), appointment.end_at.astimezone(zone),
                   location.name if location is not None else None, appointment.pos_code,
                   appointment.service_code, appointment.series_id)

    @property
    def when(self) -> str:
        return f"{self.start:%a %Y-%m-%d %H:%M}-{self.end:%H:%M}"

    @property
    def where(self) -> str:
        return f"{self.location or 'no location'} (POS {self.pos})"


def book_with_new_provider(demo: Demo) -> None:
    """Way 2: from the provider's calendar, the scheduler books a client of the group who is
    new to that provider; the client joins the provider's list with demographics only."""
    from clinicctl.scheduling import booking

    out = demo.out
    at = demo.at(*BOOKED_AT)
    demo.step(f"{SCHEDULER.name} (scheduler) books {WALK.name} with {BOOKED.name}, who is new "
              "to her")
    out.line(f"From {BOOKED.first}'s calendar: the provider and the time, then any client of "
             "the group.", indent=2)
    demo.command(SCHEDULER, "appointment", "book", "--provider", BOOKED.name, "--at", at,
                 "--client", WALK.name)
    with demo.acting_as(SCHEDULER) as (session, scheduler):
        result = booking.book(session, scheduler, client_ref=WALK.name,
                                   provider_ref=BOOKED.email, at=at)
        booked = [Booked.of(a) for a in result.appointments]
        alert = result.messages
    check(len(booked) == 1 and booked[0].provider == BOOKED.name
          and f"{booked[0].start:%Y-%m-%d %H:%M}" == at, "one appointment at the time asked")
    check(result.new_provider and alert[:1] != [] and alert[0].startswith("Alert:"),
          "the booking says the client is new to the provider")
    [appointment] = booked
    out.result(f"Booked appointment #{appointment.id} with {BOOKED.name}: {appointment.when}, "
               f"{appointment.where}, service {appointment.service}.")
    for line in alert:
        out.result(line)
    _proves_demographics_only(demo, BOOKED)


def find_availability_then_book(demo: Demo) -> None:
    """Way 3: open slots for the client across two therapists, then booking one of them."""
    from clinicctl.people import clients
    from clinicctl.people.refs import resolve_staff
    from clinicctl.scheduling import appointments, availability, booking

    out = demo.out
    first_day = demo.monday.isoformat()
    last_day = (demo.monday + dt.timedelta(days=6)).isoformat()
    names = " and ".join(p.name for p in SEARCHED)
    demo.step(f"{MANAGER.name} finds availability for {WALK.name} with {names}, and books "
              "the first open slot")
    therapists = [arg for p in SEARCHED for arg in ("--therapist", p.name)]
    find = ["availability", "find", "--client", WALK.name, *therapists, "--from", first_day,
            "--days", "7", "--limit", str(SLOTS_SHOWN)]
    demo.command(MANAGER, *find)

    def search(session: Session, actor: Staff) -> list[Any]:
        _, slots = availability.find_slots(
            session, actor, client_ref=WALK.name, therapist_refs=[p.email for p in SEARCHED],
            start_date=first_day, days=7, limit=SLOTS_SHOWN)
        return slots

    with demo.acting_as(MANAGER) as (session, manager):
        slots = search(session, manager)
        busy = [(a.provider_id, a.client_id, a.start_at, a.end_at) for a in
                appointments.list_appointments(session, manager, start_date=first_day,
                                               end_date=last_day, status="scheduled")]
        searched_ids = {resolve_staff(session, p.email).id for p in SEARCHED}
    check(len(slots) == SLOTS_SHOWN, f"the search found {SLOTS_SHOWN} open slots")
    check({s.provider for s in slots} == {p.name for p in SEARCHED},
          "the open slots are with both therapists")
    check(slots[0].provider == FOUND.name, "the first open slot is with the expected therapist")
    check(all(s.start.date() <= demo.monday + dt.timedelta(days=6) for s in slots),
          "the slots lie in the week searched")
    clashes = [s for s in slots for provider_id, client_id, start, end in busy
               if (provider_id == s.provider_id or client_id == demo.client_id)
               and start < s.end and end > s.start]
    check(clashes == [], "no open slot overlaps the therapists' or the client's appointments")
    check(any(provider_id in searched_ids for provider_id, _, _, _ in busy)
          and any(client_id == demo.client_id for _, client_id, _, _ in busy),
          "the therapists and the client have sessions that week")
    out.table(["#", "Therapist", "Start", "End", "Location"],
              [(str(n), s.provider, f"{s.start:%a %Y-%m-%d %H:%M}", f"{s.end:%H:%M}",
                s.location or "-") for n, s in enumerate(slots, start=1)])
    out.line("Earliest first, from the therapists' weekly hours, leaving out the times "
             f"either is booked and the times {WALK.first} already has a session.", indent=2)

    demo.command(MANAGER, *find, "--book", "1")
    with demo.acting_as(MANAGER) as (session, manager):
        slot = search(session, manager)[0]
        result = booking.book(
            session, manager, client_ref=f"#{demo.client_id}",
            provider_ref=f"#{slot.provider_id}", at=slot.start,
            duration=int(slot.end.timestamp() - slot.start.timestamp()) // 60,
            location_ref=f"#{slot.location_id}" if slot.location_id else None)
        booked = [Booked.of(a) for a in result.appointments]
        alert = result.messages
    check((slot.provider_id, slot.start) == (slots[0].provider_id, slots[0].start),
          "`--book 1` booked the first slot listed")
    check(len(booked) == 1 and booked[0].provider == FOUND.name and result.new_provider,
          "the slot is booked with a therapist new to the client")
    [appointment] = booked
    out.result(f"Booked appointment #{appointment.id} with {FOUND.name}: {appointment.when}, "
               f"{appointment.where}.")
    for line in alert:
        out.result(line)
    others = [p for p in SEARCHED if p is not FOUND]
    with demo.acting_as(MANAGER) as (session, manager):
        unbooked = [p for p in others if demo.client_id not in
                    [c.id for c in clients.list_clients(session, manager,
                                                        provider_ref=p.email, status="all")]]
    check(unbooked == others, "searching alone added the client to nobody's list")
    for person in others:
        out.result(f"Searching shares nothing: {WALK.name} is not in {person.name}'s list.")
    _proves_demographics_only(demo, FOUND)


def book_from_client_side(demo: Demo) -> None:
    """Way 4: from the client's profile, her own provider books her a weekly series with a
    colleague new to her: the same command, starting from the client."""
    from clinicctl.scheduling import appointments, booking
    from clinicctl.scheduling.recurrence import make_recurrence

    out = demo.out
    weekday, time, count = SERIES_AT
    at = demo.at(weekday, time)
    demo.step(f"{FIRST.name} books {WALK.name}, from her profile, a weekly series with "
              f"{SERIES.name}")
    out.line(f"{FIRST.first} may: {WALK.first} is in his list. The same command, starting from "
             "the client:", indent=2)
    demo.command(FIRST, "appointment", "book", "--client", WALK.name, "--provider",
                 SERIES.name, "--at", at, "--repeat", "weekly", "--count", str(count))
    with demo.acting_as(FIRST) as (session, sam):
        rule = make_recurrence(repeat="weekly", count=count)
        result = booking.book(session, sam, client_ref=WALK.name,
                                   provider_ref=SERIES.email, at=at, recurrence=rule)
        alert = result.messages
    check(result.new_provider and len(result.appointments) == count
          and result.series_id is not None, f"{count} appointments booked as one series")
    out.result(f"Booked {count} appointments (series #{result.series_id}) with {SERIES.name}.")
    for line in alert:
        out.result(line)

    demo.command(FIRST, "appointment", "list", "--client", WALK.name, "--provider",
                 SERIES.name)
    with demo.acting_as(FIRST) as (session, sam):
        series = [Booked.of(a) for a in appointments.list_appointments(
            session, sam, client_ref=WALK.name, provider_ref=SERIES.email)]
    first = series[0].start if series else None
    check(len(series) == count and first is not None
          and all(a.series_id == result.series_id for a in series)
          and [a.start.date() for a in series]
          == [first.date() + dt.timedelta(weeks=n) for n in range(count)]
          and all(f"{a.start:%H:%M}" == time for a in series),
          "the series is weekly at the same wall-clock time")
    check(len({a.where for a in series}) == 1, "every session of the series is at one place")
    out.table(["ID", "Start", "End", "Location", "POS", "Series"],
              [(str(a.id), f"{a.start:%a %Y-%m-%d %H:%M}", f"{a.end:%H:%M}",
                a.location or "-", a.pos, str(a.series_id)) for a in series])
    out.line(f"{count} {series[0].start:%A}s at {time} practice time (the clock time holds "
             f"across daylight-saving changes), at {series[0].where}: the location and "
             f"POS come from {SERIES.first}'s hours.", indent=2)
    _proves_demographics_only(demo, SERIES)


def book_a_group_session(demo: Demo) -> None:
    """A group session: one provider, several clients. The front desk makes Sam's group and
    books its first session; the member new to Sam gets the alert and demographics only, and
    Kim, who sees the session because that member is in her list, sees him only."""
    from clinicctl.charts import records
    from clinicctl.scheduling import appointments, booking, groups
    from clinicctl.scheduling.places import places_of

    out = demo.out
    at = demo.at(*GROUP_AT)
    names = [c.name for c in GROUP_MEMBERS]
    demo.step(f"{SCHEDULER.name} makes {SAM.name}'s group and books its first session")
    out.line(f"{', '.join(names[:-1])} and {names[-1]} meet together with {SAM.first}; "
             f"{GROUP_MEMBERS[-1].first} is {KIM.first}'s client, new to {SAM.first}.",
             indent=2)
    demo.command(SCHEDULER, "group", "add", GROUP, "--provider", SAM.name,
                 *[arg for name in names for arg in ("--client", name)])
    with demo.acting_as(SCHEDULER) as (session, scheduler):
        made = groups.add_group(session, scheduler, GROUP, provider_ref=SAM.email,
                                client_refs=names)
        alerts = made.alerts
    check(len(alerts) == 1 and alerts[0].startswith("Alert:"),
          "only the member new to the provider gets the alert")
    for line in alerts:
        out.result(line)
    demo.command(SCHEDULER, "appointment", "book", "--group", GROUP, "--at", at)
    with demo.acting_as(SCHEDULER) as (session, scheduler):
        result = booking.book(session, scheduler, group_ref=GROUP, at=at)
        [session_booked] = result.appointments
        appointment_id, service = session_booked.id, session_booked.service_code
        clients_in = [c.name for c in result.clients]
    check(clients_in == names and service == "90853" and result.messages == [],
          "one session for the three members, service 90853, nothing new to say")
    out.result(f"Booked appointment #{appointment_id} with {SAM.name}: one session, "
               f"{len(names)} clients, service {service} (group psychotherapy).")
    omar = GROUP_MEMBERS[-1]
    demo.command(KIM, "appointment", "show", str(appointment_id))
    with demo.acting_as(KIM) as (session, kim):
        shown = appointments.show_appointment(session, kim, appointment_id)
        everyone = [c for c, _ in places_of(session, [shown.id])[shown.id]]
        scope = appointments.place_scope(session, kim, everyone)
        seen = [c for c in everyone if scope is None or c in scope]
        omar_id = next(c.id for c in result.clients if c.name == omar.name)
    check(len(everyone) == 3 and seen == [omar_id],
          "the member's own provider sees him in the session, nobody else")
    out.yes(f"{KIM.first} sees the session with {omar.first} only (client #{omar_id}); the "
            "other members are not hers to see")
    with demo.acting_as(SAM) as (session, sam):
        notes = records.list_notes(session, sam, omar.name)
    check(notes == [], f"{SAM.name} reads none of {KIM.name}'s notes of {omar.name}")
    out.yes(f"{SAM.first} has {omar.first}'s profile, none of {KIM.first}'s chart notes")
