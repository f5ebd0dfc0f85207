"""The presets' data holds together: every header a preset reads stands for a column of its
kind (or a slot of one of its merges), no header is both read and left out or read twice,
and the merges make columns of the kind."""

from __future__ import annotations

import pytest

from clinicctl.choices import PRESETS
from clinicctl.errors import InvalidChoice, InvalidInput
from clinicctl.exchange import imports
from clinicctl.exchange.file_format import FileFormat, Merge, ValueTable, header_key
from clinicctl.exchange.presets import LAYOUTS, preset_format

LAYOUT_IDS = [(preset, kind) for preset, layouts in LAYOUTS.items() for kind in layouts]


def test_the_presets_are_the_completed_choices():
    assert tuple(LAYOUTS) == PRESETS
    assert all("clients" in layouts for layouts in LAYOUTS.values())


@pytest.mark.parametrize(("preset", "kind"), LAYOUT_IDS)
def test_a_layout_reads_columns_of_its_kind(preset, kind):
    layout = LAYOUTS[preset][kind]
    columns = set(imports.REQUIRED[kind] + imports.OPTIONAL[kind])
    slots = {slot for merge in layout.merges for slot in merge.slots}
    assert {merge.column for merge in layout.merges} <= columns
    assert not slots & columns, "a slot must not be named like a column"
    assert set(layout.reads) <= columns | slots
    assert slots <= set(layout.reads), "every slot is read from some header"
    assert set(layout.values) <= columns
    assert set(imports.REQUIRED[kind]) <= set(layout.reads) | columns


@pytest.mark.parametrize(("preset", "kind"), LAYOUT_IDS)
def test_no_header_is_read_twice_or_both_read_and_left_out(preset, kind):
    layout = LAYOUTS[preset][kind]
    read = [header_key(h) for headers in layout.reads.values() for h in headers]
    dropped = [header_key(h) for h in layout.dropped]
    assert len(read) == len(set(read))
    assert len(dropped) == len(set(dropped))
    assert not set(read) & set(dropped)
    assert {header_key(h) for h in layout.nulls} <= set(read)


def test_preset_format_and_its_errors():
    layout = preset_format("OpenEMR", "clients")
    assert layout.preset == "openemr"
    assert layout.aliases["fname"] == "first_name"
    assert header_key("ss") in layout.dropped
    with pytest.raises(InvalidChoice) as bad:
        preset_format("simplepractise", "clients")
    assert bad.value.message == ("invalid --preset 'simplepractise': expected openemr, "
                                 "simplepractice or generic")
    assert bad.value.hint == "did you mean 'simplepractice'?"
    with pytest.raises(InvalidInput) as lacking:
        preset_format("openemr", "appointments")
    assert lacking.value.message == ("the openemr preset has no layout for appointments; it "
                                     "has clients")


def test_merges():
    phone = Merge("phone", (("cell",), ("home",)), first=True)
    assert phone.combine({"cell": "", "home": "2"}) == ("2", 0)
    assert phone.combine({"cell": "1", "home": "2"}) == ("1", 1)
    assert phone.combine({"cell": "1", "home": "1"}) == ("1", 0)
    assert phone.combine({}) == ("", 0)
    address = Merge("address", (("street",), ("city",), ("state", "zip")))
    assert address.combine({"street": "1 Elm", "city": "", "state": "IL", "zip": "62704"}
                           ) == ("1 Elm, IL 62704", 0)
    assert address.combine({"zip": "62704"}) == ("62704", 0)


def test_value_tables_translate_or_refuse():
    sex = ValueTable("openemr", "sex", {"Female": "F", "Male": "M"})
    assert [sex.translate(v) for v in ("female", " MALE ", "")] == ["F", "M", ""]
    with pytest.raises(InvalidInput) as bad:
        sex.translate("F")
    assert bad.value.message == ("invalid sex 'F' for the openemr preset: expected Female, "
                                 "Male or empty")


def test_a_mapped_column_is_no_longer_the_presets():
    layout = preset_format("openemr", "clients").with_options(
        columns={"phone_biz": "phone", "sex": "sex"})
    assert [m.column for m in layout.merges] == ["address"]
    assert "phone_cell" not in layout.aliases
    assert {header_key("phone_cell"), header_key("phone_home")} <= layout.dropped
    assert "sex" not in layout.values
    assert FileFormat().with_options(ignore_unknown=True).ignore_unknown


def test_cells_of_the_other_kinds_translate_too():
    from clinicctl.exchange.cells import Cells

    cells = Cells({"sex": " female ", "name": "Kai"},
                  values={"sex": ValueTable("generic", "sex", {"Female": "F"})})
    assert (cells.get("sex"), cells.get("name")) == ("F", "Kai")
    with pytest.raises(InvalidInput):
        Cells({"sex": "woman"}, values={"sex": ValueTable("generic", "sex", {"F": "F"})}
              ).get("sex")
