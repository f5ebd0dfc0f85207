"""Seeded synthetic practices for the benchmark.

Clients with realistic names, dates of birth (1940-2010), contact details and external ids;
providers with weekly hours; and a schedule that obeys clinicctl's rules: every appointment
lies inside one of its provider's availability blocks and outside their time off, and no two
appointments of one provider or of one client overlap (each client is seen by the one
provider whose caseload they are in, and a provider has one client per slot).

The rows go to CSV files (the input of ``import clients`` and ``client share --csv``) or
straight into the schema that ``clinicctl init`` creates, through ``SQLiteStore`` or
``PostgresStore``. The same seed gives the same practice.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TIMEZONE = "America/New_York"
ZONE = ZoneInfo(TIMEZONE)
OWNER_NAME = "Dana Whitfield"
OWNER_EMAIL = "dana@example.org"
SERVICE_CODE = "90834"
SESSION_MINUTES = 50
BREAK_MINUTES = 10

CLIENT_COLUMNS = ("external_id", "first_name", "last_name", "preferred_name", "dob", "sex",
                  "email", "phone", "address")
SHARE_COLUMNS = ("client", "from", "to")

# (first name, sex as a client would give it)
FIRST_NAMES = [(name, "F") for name in """
    Maya Olivia Emma Ava Sophia Isabella Mia Amelia Harper Evelyn Abigail Emily Ella Elizabeth
    Camila Luna Sofia Avery Mila Aria Scarlett Penelope Layla Chloe Victoria Madison Eleanor
    Grace Nora Riley Zoey Hannah Hazel Lily Ellie Violet Lillian Zoe Stella Aurora Natalie
    Emilia Everly Leah Aubrey Willow Addison Lucy Audrey Bella Nova Brooklyn Paisley Savannah
    Claire Skylar Isla Genesis Naomi Elena Caroline Eliana Anna Maria Valentina Ruby Kennedy
    Ivy Ariana Aaliyah Cora Madelyn Alice Kinsley Hailey Gabriella Allison Gianna Serenity
    Samantha Sarah Autumn Quinn Eva Piper Sophie Sadie Delilah Josephine Nevaeh Adeline Arya
    Priya Aisha Fatima Mei Yuki Ananya Ngozi Amara Lucia Ximena Guadalupe Rosa Keiko Leila
    Dana Tamika Latoya Keisha Brenda Patricia Linda Barbara Susan Margaret Dorothy Joan Carol
""".split()] + [(name, "M") for name in """
    Liam Noah Oliver Elijah James William Benjamin Lucas Henry Theodore Jack Levi Alexander
    Jackson Mateo Daniel Michael Mason Sebastian Ethan Logan Owen Samuel Jacob Asher Aiden
    John Joseph Wyatt David Leo Luke Julian Hudson Grayson Matthew Ezra Gabriel Carter Isaac
    Jayden Luca Anthony Dylan Lincoln Thomas Maverick Elias Josiah Charles Caleb Christopher
    Ezekiel Miles Jaxon Isaiah Andrew Joshua Nathan Nolan Adrian Cameron Santiago Eli Aaron
    Ryan Angel Cooper Waylon Easton Kai Christian Landon Colton Roman Axel Brooks Jonathan
    Robert Jameson Ian Everett Greyson Wesley Jeremiah Hunter Leonardo Jordan Jose Bennett
    Rahul Arjun Wei Hiroshi Kwame Chinedu Omar Yusuf Diego Carlos Javier Tuan Minh Dmitri
    Gerald Harold Walter Raymond Kenneth Dennis Larry Frank Donald Ronald Marcus Terrence
""".split()] + [(name, "X") for name in "Alex Jordan Taylor Morgan Casey Rowan Sage".split()]

LAST_NAMES = """
    Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
    Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
    Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
    Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
    Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
    Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
    Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo
    Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell
    Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
    Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera
    Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez
    McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns
    Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt
    Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer
    Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant
    Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight
    Okafor Adeyemi Nakamura Tanaka Yamamoto Singh Kaur Shah Gupta Khan Ali Haddad Nasser Cohen
    Levy Friedman Kowalski Novak Horvat Ivanov Petrov Larsen Nielsen Johansson Lindqvist Rossi
    Russo Esposito Bianchi Romano Costa Ferreira Oliveira Pereira Moreau Dubois Laurent Becker
    Schneider Hoffmann Schulz Zimmermann Kruger Park Choi Jung Kang Cho Yoon Huang Zhang Liu
    Wang Yang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin He Luo Whitfield Okonkwo Mensah Boateng
""".split()

NICKNAMES = {"Elizabeth": "Liz", "Alexander": "Alex", "Benjamin": "Ben", "Christopher": "Chris",
             "Daniel": "Dan", "Jonathan": "Jon", "Joseph": "Joe", "Katherine": "Kate",
             "Margaret": "Peggy", "Matthew": "Matt", "Michael": "Mike", "Nathan": "Nate",
             "Patricia": "Trish", "Robert": "Bob", "Samantha": "Sam", "Samuel": "Sam",
             "Theodore": "Teddy", "Thomas": "Tom", "Victoria": "Tori", "William": "Will",
             "Josephine": "Jo", "Gabriella": "Gabby", "Nevaeh": "Nev", "Dorothy": "Dot"}
STREETS = """Maple Oak Pine Cedar Elm Washington Lake Hill Park Main Church Spring Ridge
             Meadow River Highland Franklin Jefferson Lincoln Sunset Willow Chestnut""".split()
STREET_KINDS = ["St", "Ave", "Rd", "Ln", "Dr", "Ct", "Pl", "Way"]
TOWNS = [("Springfield", "MA", "011"), ("Worcester", "MA", "016"), ("Providence", "RI", "029"),
         ("Hartford", "CT", "061"), ("Albany", "NY", "122"), ("Burlington", "VT", "054"),
         ("Portland", "ME", "041"), ("Concord", "NH", "033"), ("New Haven", "CT", "065"),
         ("Cambridge", "MA", "021")]
AREA_CODES = ["413", "508", "401", "860", "518", "802", "207", "603", "203", "617"]
MAIL_DOMAINS = ["example.com", "example.net", "example.org"]
DIAGNOSES = ["F41.1", "F32.1", "F33.1", "F43.10", "F43.23", "F90.0", "F41.0", "F42.2", "F60.3"]
CREDENTIALS = ["LCSW", "PsyD", "PhD", "LMFT", "LMHC", "LPC", "MD"]

DOB_FIRST = dt.date(1940, 1, 1)
DOB_LAST = dt.date(2010, 12, 31)

# Weekly hours a provider may keep: (weekday mask, start, end, location). Bit 0 is Monday,
# as in clinicctl/services/timeutil.py; 1 is the main office, 2 telehealth.
MAIN_OFFICE, TELEHEALTH = 1, 2
LOCATIONS = ((MAIN_OFFICE, "Main office", "11"), (TELEHEALTH, "Telehealth", "10"))
WEEKLY_HOURS: tuple[tuple[tuple[int, dt.time, dt.time, int], ...], ...] = (
    ((0b0001111, dt.time(9), dt.time(17), MAIN_OFFICE),
     (0b0010000, dt.time(9), dt.time(13), TELEHEALTH)),
    ((0b0010101, dt.time(8), dt.time(16), MAIN_OFFICE),
     (0b0001010, dt.time(12), dt.time(20), TELEHEALTH)),
    ((0b0011110, dt.time(10), dt.time(18), MAIN_OFFICE),),
    ((0b0011111, dt.time(9), dt.time(15), MAIN_OFFICE),),
)
FUTURE_WEEKS = 12  # how far ahead the practice books
FILL = 0.7  # share of a provider's slots taken
TIME_OFF_WEEKS_PER_YEAR = 3
PAST_STATUSES = (("completed", 86), ("no-show", 5), ("cancelled", 6), ("late-cancelled", 3))
FUTURE_STATUSES = (("scheduled", 95), ("cancelled", 5))


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def name_key(*parts: str) -> str:
    """As clinicctl/people/refs.py: lower-cased, whitespace collapsed."""
    return " ".join(" ".join(parts).split()).casefold()


def search_key(*parts: str) -> str:
    """clinicctl's own (the schema this module fills is clinicctl's)."""
    from clinicctl.people.refs import search_key as clinicctl_search_key

    return clinicctl_search_key(*parts)


# --- people ----------------------------------------------------------------------------------

def client_rows(count: int, seed: int) -> Iterator[tuple[str, ...]]:
    """Client rows in CLIENT_COLUMNS order, as an intake spreadsheet would hold them.

    Never two clients with one name and date of birth: clinicctl takes those for the same
    person."""
    rng = random.Random(f"clients-{seed}")
    span = (DOB_LAST - DOB_FIRST).days
    first_id = rng.randrange(1_000_000, 8_000_000)
    seen: set[tuple[str, str, dt.date]] = set()
    for number in range(count):
        first, sex = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        dob = DOB_FIRST + dt.timedelta(days=rng.randrange(span + 1))
        while (first, last, dob) in seen:
            dob = DOB_FIRST + dt.timedelta(days=rng.randrange(span + 1))
        seen.add((first, last, dob))
        preferred = NICKNAMES.get(first, "") if rng.random() < 0.3 else ""
        email = (f"{first}.{last}{rng.randrange(100)}@{rng.choice(MAIL_DOMAINS)}".lower()
                 if rng.random() < 0.85 else "")
        phone = (f"({rng.choice(AREA_CODES)}) 555-{rng.randrange(100, 200):04d}"
                 if rng.random() < 0.95 else "")
        town, state, zip_prefix = rng.choice(TOWNS)
        address = (f"{rng.randrange(1, 2000)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}, "
                   f"{town}, {state} {zip_prefix}{rng.randrange(100):02d}")
        yield (f"MRN{first_id + number:07d}", first, last, preferred, dob.isoformat(),
               sex, email, phone, address)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_clients_csv(path: Path, count: int, seed: int) -> None:
    write_csv(path, CLIENT_COLUMNS, client_rows(count, seed))


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    email: str
    credentials: str
    hours: int  # index into WEEKLY_HOURS


def make_providers(count: int, seed: int, first_id: int) -> list[Provider]:
    rng = random.Random(f"providers-{seed}")
    providers: list[Provider] = []
    names: set[str] = {OWNER_NAME}
    while len(providers) < count:
        first, _ = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        if name in names:
            continue
        names.add(name)
        providers.append(Provider(first_id + len(providers), name,
                                  f"{first}.{last}@example.org".lower(),
                                  rng.choice(CREDENTIALS), len(providers) % len(WEEKLY_HOURS)))
    return providers


# --- stores ----------------------------------------------------------------------------------

class SQLiteStore:
    """Rows straight into a SQLite file made by ``clinicctl init``, in the formats that
    clinicctl's SQLAlchemy types write (timestamps are compared as text there)."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA foreign_keys = ON")
        self.connection.execute("PRAGMA synchronous = OFF")
        self.connection.execute("BEGIN")

    @staticmethod
    def instant(value: dt.datetime) -> str:
        # UTCDateTime stores naive UTC on SQLite (clinicctl/models.py).
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    @staticmethod
    def time(value: dt.time) -> str:
        return value.strftime("%H:%M:%S.%f")

    @staticmethod
    def flag(value: bool) -> int:
        return int(value)

    def scalar(self, query: str, *params: Any) -> Any:
        return self.connection.execute(query.replace("%s", "?"), params).fetchone()[0]

    def next_id(self, table: str) -> int:
        return int(self.scalar(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def finish(self) -> None:
        self.connection.execute("COMMIT")
        # One self-contained file, ready to be copied for each timed run.
        self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.connection.close()


class PostgresStore:
    """Rows into a PostgreSQL database made by ``clinicctl init``, through COPY."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.connection = psycopg.connect(url)
        self.inserted: list[str] = []

    @staticmethod
    def instant(value: dt.datetime) -> dt.datetime:
        return value.astimezone(dt.UTC)

    @staticmethod
    def time(value: dt.time) -> dt.time:
        return value

    @staticmethod
    def flag(value: bool) -> bool:
        return value

    def scalar(self, query: str, *params: Any) -> Any:
        row = self.connection.execute(query, params).fetchone()
        assert row is not None
        return row[0]

    def next_id(self, table: str) -> int:
        return int(self.scalar(f"SELECT coalesce(max(id), 0) + 1 FROM {table}"))

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        with self.connection.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        if "id" in columns:
            self.inserted.append(table)

    def finish(self) -> None:
        # Explicit ids leave the serial sequences behind; clinicctl's own inserts need them
        # past the rows written here.
        for table in dict.fromkeys(self.inserted):
            self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
        self.connection.commit()
        # A database that grew day by day has statistics (autovacuum); give these the same.
        self.connection.autocommit = True
        self.connection.execute("VACUUM ANALYZE")
        self.connection.close()


Store = SQLiteStore | PostgresStore


# --- practices -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PracticeSpec:
    providers: int
    clients: int
    appointments: int
    seed: int
    anchor: dt.date  # the Monday of the practice's current week

    @property
    def key(self) -> str:
        return (f"p{self.providers}-c{self.clients}-a{self.appointments}-s{self.seed}-"
                f"{self.anchor.isoformat()}")


@dataclass(frozen=True)
class Practice:
    """A practice planned from its spec alone, so a cached database needs no sidecar: the
    ids are those a fresh ``clinicctl init`` database hands out (the owner is staff #1)."""

    spec: PracticeSpec
    providers: list[Provider]
    external_ids: list[str]  # client #i + 1
    caseload: list[int]  # the provider id of client #i + 1
    first_day: dt.date
    weeks: int
    away: dict[int, set[dt.date]]  # provider id -> Mondays of their weeks off

    def client_of(self, provider: Provider) -> str:
        return self.external_ids[self.caseload.index(provider.id)]

    def working(self, monday: dt.date) -> list[Provider]:
        return [p for p in self.providers if monday not in self.away[p.id]]


FIRST_STAFF_ID = 2
FIRST_CLIENT_ID = 1


def plan_practice(spec: PracticeSpec) -> Practice:
    providers = make_providers(spec.providers, spec.seed, FIRST_STAFF_ID)
    external_ids = [row[0] for row in client_rows(spec.clients, spec.seed)]
    caseload = [providers[i % len(providers)].id for i in range(spec.clients)]
    average_week = sum(_sessions_per_week(hours) for hours in WEEKLY_HOURS) / len(WEEKLY_HOURS)
    working_share = 1 - TIME_OFF_WEEKS_PER_YEAR / 52
    weeks = max(FUTURE_WEEKS + 1, round(
        spec.appointments / (len(providers) * average_week * FILL * working_share)))
    first_day = spec.anchor - dt.timedelta(weeks=weeks - FUTURE_WEEKS)
    rng = random.Random(f"time-off-{spec.seed}")
    weeks_off = max(1, round(weeks * TIME_OFF_WEEKS_PER_YEAR / 52))
    away = {p.id: {first_day + dt.timedelta(weeks=w)
                   for w in rng.sample(range(weeks), min(weeks_off, weeks - 1))}
            for p in providers}
    return Practice(spec, providers, external_ids, caseload, first_day, weeks, away)


def _sessions_per_week(hours: tuple[tuple[int, dt.time, dt.time, int], ...]) -> int:
    day = dt.date(2024, 1, 1)
    return sum(len(list(_sessions(day, start, end))) * mask.bit_count()
               for mask, start, end, _ in hours)


def _sessions(day: dt.date, start: dt.time, end: dt.time) -> Iterator[dt.datetime]:
    """Session starts in a block, in the practice's zone. The blocks are far from the DST
    changes at 02:00, so wall-clock and elapsed minutes agree."""
    local = dt.datetime.combine(day, start, tzinfo=ZONE)
    while (local + dt.timedelta(minutes=SESSION_MINUTES)).time() <= end:
        yield local
        local += dt.timedelta(minutes=SESSION_MINUTES + BREAK_MINUTES)


def fill_practice(store: Store, practice: Practice) -> None:
    """Providers, locations, weekly hours, time off, clients in caseloads and a schedule,
    into a database that ``clinicctl init`` has just made."""
    if (store.next_id("staff"), store.next_id("client")) != (FIRST_STAFF_ID, FIRST_CLIENT_ID):
        raise ValueError("expected a database fresh from `clinicctl init`")
    spec = practice.spec
    owner_id = int(store.scalar("SELECT id FROM staff WHERE email = %s", OWNER_EMAIL))
    built_at = store.instant(_midnight(spec.anchor))
    providers = practice.providers
    store.insert("staff", ("id", "name", "name_key", "search_key", "email", "credentials",
                           "active", "records_owner", "created_at"),
                 ((p.id, p.name, name_key(p.name), search_key(p.name), p.email, p.credentials,
                   store.flag(True), "group", built_at) for p in providers))
    store.insert("staff_role", ("staff_id", "role"), ((p.id, "provider") for p in providers))
    store.insert("location", ("id", "name", "name_key", "pos_code", "created_at"),
                 ((i, name, name_key(name), pos, built_at) for i, name, pos in LOCATIONS))
    store.insert("availability_block",
                 ("provider_id", "weekdays", "start_time", "end_time", "location_id",
                  "session_minutes", "break_minutes", "created_by_id", "created_at"),
                 ((p.id, mask, store.time(start), store.time(end), location, SESSION_MINUTES,
                   BREAK_MINUTES, owner_id, built_at)
                  for p in providers for mask, start, end, location in WEEKLY_HOURS[p.hours]))
    store.insert("client", ("id", "external_id", "first_name", "last_name", "preferred_name",
                            "name_key", "search_key", "dob", "sex", "email", "phone",
                            "address", "created_at"),
                 ((FIRST_CLIENT_ID + i, row[0], row[1], row[2], row[3] or None,
                   name_key(row[1], row[2]), search_key(row[1], row[2]), row[4], row[5],
                   row[6] or None, row[7] or None,
                   row[8], built_at)
                  for i, row in enumerate(client_rows(spec.clients, spec.seed))))
    rng = random.Random(f"assignments-{spec.seed}")
    store.insert("assignment", ("client_id", "provider_id", "status", "diagnosis", "origin",
                                "created_by_id", "created_at"),
                 ((FIRST_CLIENT_ID + i, owner, "active", rng.choice(DIAGNOSES), "intake",
                   owner_id, built_at) for i, owner in enumerate(practice.caseload)))
    if spec.appointments:
        _fill_schedule(store, practice, owner_id)
    store.finish()


@dataclass(frozen=True)
class Slot:
    start: Any  # as the store writes it
    end: Any
    created: Any
    location: int
    monday: dt.date
    past: bool


def _fill_schedule(store: Store, practice: Practice, owner_id: int) -> None:
    spec = practice.spec
    store.insert("time_off", ("provider_id", "start_at", "end_at", "reason", "created_by_id",
                              "created_at"),
                 ((p.id, store.instant(_midnight(monday)),
                   store.instant(_midnight(monday + dt.timedelta(weeks=1))), "vacation",
                   owner_id, store.instant(_midnight(monday - dt.timedelta(weeks=4))))
                  for p in practice.providers for monday in sorted(practice.away[p.id])))

    days = [practice.first_day + dt.timedelta(days=d) for d in range(practice.weeks * 7)]
    offered = [_slots(store, hours, days, spec.anchor) for hours in range(len(WEEKLY_HOURS))]
    open_slots = {p.id: [s for s in offered[p.hours] if s.monday not in practice.away[p.id]]
                  for p in practice.providers}
    capacity = sum(len(slots) for slots in open_slots.values())
    if capacity < spec.appointments:
        raise ValueError(f"{spec.appointments} appointments do not fit in {capacity} slots")
    wanted = {p_id: spec.appointments * len(slots) // capacity
              for p_id, slots in open_slots.items()}
    for p in practice.providers[: spec.appointments - sum(wanted.values())]:
        wanted[p.id] += 1
    caseloads: dict[int, list[int]] = {p.id: [] for p in practice.providers}
    for i, owner in enumerate(practice.caseload):
        caseloads[owner].append(FIRST_CLIENT_ID + i)
    rng = random.Random(f"schedule-{spec.seed}")
    pos_codes = {location: pos for location, _, pos in LOCATIONS}

    def appointments() -> Iterator[tuple[Any, ...]]:
        for p in practice.providers:
            slots = open_slots[p.id]
            for index in sorted(rng.sample(range(len(slots)), wanted[p.id])):
                slot = slots[index]
                status = _pick(rng, PAST_STATUSES if slot.past else FUTURE_STATUSES)
                yield (rng.choice(caseloads[p.id]), p.id, slot.start, slot.end, SERVICE_CODE,
                       pos_codes[slot.location], slot.location, status,
                       "client asked to reschedule" if "cancelled" in status else None,
                       store.flag(False), owner_id, slot.created)

    store.insert("appointment", ("client_id", "provider_id", "start_at", "end_at",
                                 "service_code", "pos_code", "location_id", "status",
                                 "cancellation_reason", "outside_availability",
                                 "created_by_id", "created_at"), appointments())


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZONE)


def _slots(store: Store, hours: int, days: list[dt.date], anchor: dt.date) -> list[Slot]:
    """Every session a provider keeping these weekly hours offers on these days."""
    length = dt.timedelta(minutes=SESSION_MINUTES)
    slots = []
    for day in days:
        for mask, start, end, location in WEEKLY_HOURS[hours]:
            if mask & (1 << day.weekday()):
                slots.extend(Slot(store.instant(local), store.instant(local + length),
                                  store.instant(local - dt.timedelta(days=14)), location,
                                  monday_of(day), day < anchor)
                             for local in _sessions(day, start, end))
    return slots


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    roll = rng.randrange(sum(weight for _, weight in weighted))
    for value, weight in weighted:
        if roll < weight:
            return value
        roll -= weight
    raise AssertionError("unreachable")


def share_rows(practice: Practice) -> Iterator[tuple[str, str, str]]:
    """One demographics-only share per client, from their provider to a colleague."""
    rng = random.Random(f"shares-{practice.spec.seed}")
    emails = {p.id: p.email for p in practice.providers}
    for external_id, owner in zip(practice.external_ids, practice.caseload, strict=True):
        colleague = rng.choice([p for p in practice.providers if p.id != owner])
        yield external_id, emails[owner], colleague.email
