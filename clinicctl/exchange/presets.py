"""``import --preset openemr|simplepractice|generic``: other systems' exports as named layouts.

A preset is a ``FileFormat`` per kind of import: the headers its system writes for each
clinicctl column, the headers its system exports that clinicctl does not keep (read, left out
and named on stderr), the columns it makes of several headers, the values it translates, and
its date format. Anything else in the file is an unknown column (exit 2) unless
``--ignore-unknown``; a value it cannot translate refuses its row. Options given beside it
(``--map``, ``--mapping``, ``--date-format``, ``--encoding``, ``--delimiter``) win over it.

Where the header names come from:

- ``openemr``: the ``patient_data`` table, whose column names are an OpenEMR export's headers
  (phpMyAdmin, ``mysql --batch``, a report's CSV). The columns of ``CREATE TABLE patient_data``
  in openemr/openemr ``sql/database.sql``, with the ones later releases added in
  ``sql/*_upgrade.sql`` (``preferred_name`` and ``nationality_country`` in
  ``sql/7_0_1-to-7_0_2_upgrade.sql``). ``DOB`` is an SQL date (YYYY-MM-DD); ``sex`` holds an
  option of the ``sex`` list (``Female``, ``Male`` in database.sql; ``UNK`` added by an
  upgrade script). A dump writes an SQL NULL as ``NULL``: in the nullable columns read
  (``DOB``, ``preferred_name``, ``street_line_2``) that is an empty cell.
- ``simplepractice``: SimplePractice documents its client fields by their labels, not a
  header row: support.simplepractice.com articles 31454473981197 (Transferring client data
  to SimplePractice: the client data template), 360049778071 (Editing a client's
  information: Legal first name, Legal last name, What name do they go by?, Client status,
  Primary clinician), 5651627697037 (the Demographics form: middle name, email, phone,
  address, date of birth, relationship and employment status, emergency contact) and
  12416306860429 (Adding a client: billing type, location). The headers here are those
  labels and their plain spellings; the dates are US (MM/DD/YYYY), as its US product shows
  them (the pages read do not state the export's format: --date-format overrides). Sex is
  translated from Female and Male only.
- ``generic``: the spellings spreadsheets and most practice systems use (First Name, Last Name,
  Date of Birth, DOB, Email, Phone, Mobile, Client ID, ...), for every kind that has them.
  No date format: give --date-format for anything but YYYY-MM-DD.

Sex is kept as HL7 administrative sex codes (F, M, O, U), as the demo practice writes it (F, M).
Pure data and small functions: no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from clinicctl.choices import PRESETS
from clinicctl.errors import InvalidChoice, InvalidInput
from clinicctl.exchange.file_format import FileFormat, Merge, ValueTable, header_key


@dataclass(frozen=True)
class Layout:
    """One kind of file as a system exports it."""

    # A clinicctl column, or a slot of one of the merges -> the headers the system writes.
    reads: Mapping[str, tuple[str, ...]]
    merges: tuple[Merge, ...] = ()
    dropped: tuple[str, ...] = ()  # exported by the system, not kept by clinicctl
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    date_format: str | None = None
    nulls: tuple[str, ...] = ()  # headers whose "NULL" is an SQL NULL: an empty cell


# --- OpenEMR: patient_data ---------------------------------------------------------------

_OPENEMR_PHONE = Merge("phone", (("phone_cell",), ("phone_home",)), first=True)
_OPENEMR_ADDRESS = Merge("address", (("street",), ("street_line_2",), ("city",),
                                     ("state", "postal_code")))

# The patient_data columns clinicctl does not keep, in the table's order.
_OPENEMR_DROPPED = (
    "id", "uuid", "title", "language", "financial", "mname", "country_code",
    "drivers_license", "ss", "occupation", "phone_biz", "phone_contact", "pharmacy_id",
    "status", "contact_relationship", "date", "referrer", "referrerID", "providerID",
    "ref_providerID", "email_direct", "ethnoracial", "race", "ethnicity", "religion",
    "interpretter", "migrantseasonal", "family_size", "monthly_income", "billing_note",
    "homeless", "financial_review", "pid", "genericname1", "genericval1", "genericname2",
    "genericval2", "hipaa_mail", "hipaa_voice", "hipaa_notice", "hipaa_message",
    "hipaa_allowsms", "hipaa_allowemail", "squad", "fitness", "referral_source",
    *(f"usertext{n}" for n in range(1, 9)), *(f"userlist{n}" for n in range(1, 8)),
    "pricelevel", "regdate", "contrastart", "completed_ad", "ad_reviewed", "vfc",
    "mothersname", "guardiansname", "allow_imm_reg_use", "allow_imm_info_share",
    "allow_health_info_ex", "allow_patient_portal", "deceased_date", "deceased_reason",
    "soap_import_status", "cmsportal_login", "care_team_provider", "care_team_facility",
    "care_team_status", "county", "industry", "imm_reg_status", "imm_reg_stat_effdate",
    "publicity_code", "publ_code_eff_date", "protect_indicator", "prot_indi_effdate",
    "guardianrelationship", "guardiansex", "guardianaddress", "guardiancity", "guardianstate",
    "guardianpostalcode", "guardiancountry", "guardianphone", "guardianworkphone",
    "guardianemail", "sexual_orientation", "gender_identity", "birth_fname", "birth_lname",
    "birth_mname", "dupscore", "name_history", "suffix", "patient_groups",
    "prevent_portal_apps", "provider_since_date", "created_by", "updated_by",
    "nationality_country",
)

OPENEMR = {
    "clients": Layout(
        reads={
            "first_name": ("fname",), "last_name": ("lname",), "dob": ("DOB",),
            "preferred_name": ("preferred_name",), "sex": ("sex",), "email": ("email",),
            "external_id": ("pubpid",),
            "phone_cell": ("phone_cell",), "phone_home": ("phone_home",),
            "street": ("street",), "street_line_2": ("street_line_2",), "city": ("city",),
            "state": ("state",), "postal_code": ("postal_code",),
        },
        merges=(_OPENEMR_PHONE, _OPENEMR_ADDRESS),
        dropped=_OPENEMR_DROPPED,
        # The option ids of OpenEMR's `sex` list, and the title export reports print.
        values={"sex": {"Female": "F", "Male": "M", "UNK": "U", "Unknown": "U"}},
        nulls=("DOB", "preferred_name", "street_line_2"),
    ),
}


# --- SimplePractice: client list ---------------------------------------------------------

_ADDRESS = Merge("address", (("street",), ("street_2",), ("city",), ("state", "zip")))
_ADDRESS_READS = {
    "street": ("Address", "Street", "Street Address", "Address 1", "Address Line 1"),
    "street_2": ("Address 2", "Address Line 2"),
    "city": ("City", "Town"),
    "state": ("State", "Province", "Region"),
    "zip": ("Zip", "ZIP Code", "Postal Code", "Postcode"),
}

SIMPLEPRACTICE = {
    "clients": Layout(
        reads={
            "first_name": ("Legal First Name", "First Name"),
            "last_name": ("Legal Last Name", "Last Name"),
            "preferred_name": ("What name do they go by?", "Name they go by",
                               "Preferred Name"),
            "dob": ("Date of Birth", "DOB", "Birth Date"),
            "sex": ("Sex",),
            "email": ("Email", "Email Address"),
            "external_id": ("Client ID",),
            "mobile_phone": ("Mobile Phone", "Cell Phone"),
            "home_phone": ("Phone", "Phone Number", "Home Phone"),
            **_ADDRESS_READS,
        },
        merges=(Merge("phone", (("mobile_phone",), ("home_phone",)), first=True), _ADDRESS),
        dropped=("Middle Name", "Minor", "Client Type", "Client Status", "Status",
                 "Primary Clinician", "Clinician", "Location", "Billing Type",
                 "Relationship Status", "Employment Status", "Gender Identity", "Pronouns",
                 "Work Phone", "Country", "Emergency Contact Name",
                 "Emergency Contact Phone", "Emergency Contact Relationship",
                 "Insurance", "Member ID", "Date Added", "Referral Source"),
        values={"sex": {"Female": "F", "Male": "M"}},
        date_format="%m/%d/%Y",
    ),
}


# --- generic: the common spellings ---------------------------------------------------------

_SEX = {"F": "F", "Female": "F", "M": "M", "Male": "M", "O": "O", "Other": "O", "U": "U",
        "Unknown": "U"}
_CLIENT = {  # a client named in a file of another kind (assignments, appointments)
    "client_external_id": ("Client ID", "Patient ID", "MRN", "Chart Number"),
    "client_first_name": ("First Name", "Client First Name", "Patient First Name"),
    "client_last_name": ("Last Name", "Client Last Name", "Patient Last Name"),
    "client_dob": ("Date of Birth", "DOB", "Birth Date", "Client Date of Birth"),
}
_PROVIDER = ("Provider", "Clinician", "Therapist", "Counselor", "Practitioner")
_PROVIDER_EMAIL = ("Provider Email", "Clinician Email", "Therapist Email")

GENERIC = {
    "staff": Layout(
        reads={"email": ("Email", "Email Address", "Work Email"),
               "name": ("Name", "Full Name", "Staff Name"),
               "given_name": ("First Name",), "family_name": ("Last Name",),
               "credentials": ("Credentials", "Credential", "License", "Degree"),
               "roles": ("Roles", "Role")},
        merges=(Merge("name", (("given_name", "family_name"),)),),
        dropped=("Middle Name", "Phone", "Mobile", "Title", "NPI"),
    ),
    "clients": Layout(
        reads={
            "first_name": ("First Name", "First", "Given Name", "Forename",
                           "Legal First Name"),
            "last_name": ("Last Name", "Last", "Surname", "Family Name", "Legal Last Name"),
            "dob": ("Date of Birth", "DOB", "Birth Date", "Birthday"),
            "external_id": ("Client ID", "Patient ID", "MRN", "Chart Number",
                            "Record Number"),
            "preferred_name": ("Preferred Name", "Nickname", "Goes By", "Known As"),
            "sex": ("Sex", "Gender"),
            "email": ("Email", "Email Address"),
            "mobile_phone": ("Mobile", "Mobile Phone", "Mobile Number", "Cell", "Cell Phone"),
            "home_phone": ("Phone", "Phone Number", "Telephone", "Home Phone"),
            **_ADDRESS_READS,
        },
        merges=(Merge("phone", (("mobile_phone",), ("home_phone",)), first=True), _ADDRESS),
        dropped=("Middle Name", "Middle Initial", "Title", "Suffix", "Age", "Country",
                 "Work Phone", "Fax", "Pronouns", "Gender Identity", "Marital Status",
                 "Status", "Notes"),
        values={"sex": _SEX},
    ),
    "assignments": Layout(
        reads={**_CLIENT, "provider": _PROVIDER,
               "status": ("Status", "Client Status"),
               "diagnosis": ("Diagnosis", "Diagnoses", "Diagnosis Code", "ICD-10")},
    ),
    "appointments": Layout(
        reads={**_CLIENT, "provider": _PROVIDER,
               "start": ("Start", "Start Time", "Starts At", "Appointment Start"),
               "end": ("End", "End Time", "Ends At", "Appointment End"),
               "status": ("Status", "Appointment Status"),
               "service": ("Service", "Service Code", "CPT Code", "CPT"),
               "pos": ("POS", "Place of Service"),
               "location": ("Location", "Office")},
        dropped=("Duration", "Notes", "Fee", "Amount"),
    ),
    "availability": Layout(
        reads={"provider_email": _PROVIDER_EMAIL, "provider": _PROVIDER,
               "weekdays": ("Days", "Weekdays", "Day"),
               "start_time": ("Start", "Start Time", "From"),
               "end_time": ("End", "End Time", "To", "Until"),
               "location": ("Location", "Office")},
    ),
    "timeoff": Layout(
        reads={"provider_email": _PROVIDER_EMAIL, "provider": _PROVIDER,
               "start": ("Start", "From", "Start Date", "First Day"),
               "end": ("End", "To", "End Date", "Last Day"),
               "reason": ("Reason", "Note", "Notes")},
    ),
}

LAYOUTS: dict[str, dict[str, Layout]] = {
    "openemr": OPENEMR, "simplepractice": SIMPLEPRACTICE, "generic": GENERIC}  # PRESETS


def check_preset(name: str) -> str:
    """A --preset name, ignoring case; another is refused with the closest one."""
    preset = name.strip().lower()
    if preset not in LAYOUTS:
        raise InvalidChoice(f"invalid --preset {name!r}: expected openemr, simplepractice or "
                            "generic", value=name, choices=PRESETS)
    return preset


def preset_format(name: str, kind: str) -> FileFormat:
    """The ``FileFormat`` of a preset for one kind of import; a kind the preset has no
    layout for is refused, naming the kinds it has."""
    preset = check_preset(name)
    layout = LAYOUTS[preset].get(kind)
    if layout is None:
        kinds = ", ".join(LAYOUTS[preset])
        raise InvalidInput(f"the {preset} preset has no layout for {kind}; it has {kinds}")
    return FileFormat(
        date_format=layout.date_format, preset=preset,
        aliases={header: target for target, headers in layout.reads.items()
                 for header in headers},
        merges=layout.merges,
        dropped=frozenset(header_key(header) for header in layout.dropped),
        values={column: ValueTable(preset, column, values)
                for column, values in layout.values.items()},
        nulls=frozenset(header_key(header) for header in layout.nulls))
