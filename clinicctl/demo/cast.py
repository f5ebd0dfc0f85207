"""The demo practice's people, clients, charts and schedule: who is who in the walkthrough."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_URL = "sqlite:///clinicctl-demo.sqlite3"


PRACTICE = "Riverside Counseling"


TIMEZONE = "America/New_York"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    role: str
    credentials: str | None = None
    records_owner: str = "group"

    @property
    def first(self) -> str:
        return self.name.split()[0]

    @property
    def label(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


OWNER = Person("Dana Reyes", "dana@riverside.example", "owner")


MANAGER = Person("Morgan Blake", "morgan@riverside.example", "manager")


SAM = Person("Sam Okafor", "sam@riverside.example", "provider", "LCSW")


ANA = Person("Ana Ruiz", "ana@riverside.example", "provider", "LMFT")


LEE = Person("Lee Park", "lee@riverside.example", "provider", "PhD")


PRIYA = Person("Priya Natarajan", "priya@riverside.example", "provider", "LPC")


# Owns her records: only she may start a chart share of her notes.
KIM = Person("Kim Novak", "kim@riverside.example", "provider", "PsyD", records_owner="provider")


CUSTODIAN = Person("Rae Quinn", "rae@riverside.example", "records-custodian", "RHIA")


SCHEDULER = Person("Jo Diaz", "jo@riverside.example", "scheduler")


BILLER = Person("Bo Grant", "bo@riverside.example", "biller", "CPC")


STAFF = (MANAGER, SAM, ANA, LEE, PRIYA, KIM, CUSTODIAN, SCHEDULER, BILLER)

# The associate who joins in the supervision step, pre-licensed: Lee supervises her.
ASSOCIATE = Person("Nora Vance", "nora@riverside.example", "provider", "LPC-A")


PROVIDERS = (SAM, ANA, LEE, PRIYA, KIM)


DIAGNOSES = {
    "F41.1": "generalized anxiety",
    "F33.1": "recurrent depression",
    "F43.10": "post-traumatic stress",
    "F43.23": "adjustment with mixed anxiety and low mood",
    "F90.0": "attention difficulties",
    "F42.2": "obsessive-compulsive symptoms",
    "F32.1": "a depressive episode",
    "F43.22": "adjustment with anxiety",
    "F40.10": "social anxiety",
    "F33.0": "recurrent depression, mild",
    "F41.0": "panic attacks",
    "F34.1": "persistent low mood",
}


@dataclass(frozen=True)
class DemoClient:
    first: str
    last: str
    dob: str
    sex: str
    phone: str
    provider: Person
    diagnosis: str
    status: str  # the provider's status for the client after intake

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def email(self) -> str:
        return f"{self.first}.{self.last}@example.com".lower()


CLIENTS = (
    DemoClient("Maya", "Chen", "1990-04-12", "F", "555-0101", SAM, "F41.1", "active"),
    DemoClient("Daniel", "Brooks", "1978-11-03", "M", "555-0102", SAM, "F33.1", "active"),
    DemoClient("Aisha", "Rahman", "1995-02-27", "F", "555-0103", SAM, "F43.10", "new"),
    DemoClient("Grace", "Whitfield", "1983-07-19", "F", "555-0104", ANA, "F43.23", "active"),
    DemoClient("Tomas", "Alvarez", "2001-09-08", "M", "555-0105", ANA, "F90.0", "active"),
    DemoClient("Jordan", "Ellis", "1999-05-30", "X", "555-0106", LEE, "F42.2", "active"),
    DemoClient("Eleanor", "Fitzgerald", "1956-01-14", "F", "555-0107", LEE, "F32.1", "active"),
    DemoClient("Marcus", "Bell", "1988-12-02", "M", "555-0108", LEE, "F43.22", "inactive"),
    DemoClient("Sofia", "Marino", "2006-03-21", "F", "555-0109", PRIYA, "F40.10", "active"),
    DemoClient("Benjamin", "Osei", "1970-08-09", "M", "555-0110", PRIYA, "F33.0", "discharged"),
    DemoClient("Omar", "Haddad", "1985-09-30", "M", "555-0111", KIM, "F41.0", "active"),
    DemoClient("Lucy", "Tran", "1992-06-25", "F", "555-0112", KIM, "F34.1", "new"),
)


WALK = CLIENTS[0]  # the client the walkthrough follows: Maya Chen, in Sam Okafor's list


FIRST, NEW = SAM, ANA  # the provider who has her, the provider she is shared with


# Sam's chart for Maya: (days before today, kind, body). Dates are relative to today so
# that no note is ever dated in the future, whatever the clock says.
WALK_NOTES = (
    (42, "intake", "Intake: referred by her primary care physician for a year of persistent "
     "worry and poor sleep. GAD-7 15. Goals: fewer worry spikes at work, 7 hours of sleep. "
     "Plan: weekly CBT."),
    (35, "progress", "Session 2: psychoeducation on the worry cycle; started a worry log. "
     "Homework: log worries at 6 pm daily."),
    (28, "progress", "Session 3: reviewed the worry log; practised paced breathing and "
     "scheduled worry time. GAD-7 12."),
    (28, "private", "Private note: impressions of family dynamics to explore later. Not part "
     "of the shared chart."),
)


WALK_DOCUMENTS = (
    ("Consent to treatment", False, b"Signed consent to treatment and practice policies."),
    ("Insurance card", False, b"Member ID RVS-0101, group 4471, copay $25."),
    ("Intake assessment (GAD-7, PHQ-9)", True, b"GAD-7 15 (moderate); PHQ-9 6 (mild)."),
)


NEW_PROVIDER_DOCUMENT = ("PHQ-9 screening", True, b"PHQ-9 5 (mild); no safety concerns.")


# The schedule. Locations with their default place of service, and each provider's weekly
# hours (50-minute sessions with a 10-minute break, the default).
LOCATIONS = (("Main office", "11"), ("Telehealth", "10"))


HOURS = (
    (SAM, "mon,tue,wed,thu", "09:00", "17:00", "Main office"),
    (ANA, "tue,wed,fri", "12:00", "20:00", "Main office"),
    (LEE, "tue,thu", "09:00", "17:00", "Main office"),
    (PRIYA, "mon,wed", "09:00", "13:00", "Main office"),
    (PRIYA, "fri", "09:00", "13:00", "Telehealth"),
    (KIM, "mon,thu", "10:30", "16:30", "Telehealth"),
)


# Next week's sessions with each client's own provider: (client, weekday (0 = Monday), time,
# weekly occurrences). Maya's weekly CBT with Sam is a series, as her intake plans it.
SESSIONS = (
    (CLIENTS[0], 0, "09:00", 4),   # Maya Chen, Sam
    (CLIENTS[1], 0, "10:00", 1),   # Daniel Brooks, Sam
    (CLIENTS[2], 2, "09:00", 1),   # Aisha Rahman, Sam (her first session)
    (CLIENTS[3], 1, "12:00", 1),   # Grace Whitfield, Ana
    (CLIENTS[4], 2, "16:00", 1),   # Tomas Alvarez, Ana
    (CLIENTS[5], 1, "09:00", 1),   # Jordan Ellis, Lee
    (CLIENTS[6], 3, "11:00", 1),   # Eleanor Fitzgerald, Lee
    (CLIENTS[8], 0, "10:00", 1),   # Sofia Marino, Priya
    (CLIENTS[10], 0, "10:30", 1),  # Omar Haddad, Kim
    (CLIENTS[11], 3, "10:30", 1),  # Lucy Tran, Kim (her first session)
)


# The booking paths: each takes Maya to a provider new to her.
BOOKED = LEE  # way 2: the scheduler books her with Lee from the calendar


BOOKED_AT = (1, "10:00")  # next Tuesday


SEARCHED = (PRIYA, KIM)  # way 3: find availability with two therapists, book the first slot


FOUND = PRIYA  # whose slot is first (checked)


SLOTS_SHOWN = 6


SERIES = KIM  # way 4: Sam books her, from her profile, a weekly series with Kim


SERIES_AT = (3, "14:30", 4)  # next Thursday, weekly, four sessions


# A group session (after the four ways): Sam runs a group for two of his clients and one of
# Kim's, who is new to him; Maya is not in it.
GROUP = "Thursday coping skills"
GROUP_MEMBERS = (CLIENTS[1], CLIENTS[2], CLIENTS[10])  # Daniel Brooks, Aisha Rahman, Omar Haddad
GROUP_AT = (3, "15:30")  # next Thursday; 90853 is 90 minutes, in Sam's hours
