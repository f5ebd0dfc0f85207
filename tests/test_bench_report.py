"""bench/run.py --write-docs: the report goes between the markers of docs/performance.md and
nothing else of the page changes."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PAGE = ROOT / "docs" / "performance.md"

REPORT = """Machine:

- CPU: Test CPU, 4 cores; Linux 6.1
- 2 runs of each command, alternating; medians; full sizes, seed 5

| what | clinicctl median | peer median | ratio (clinicctl/peer) | target | met? |
|---|---|---|---|---|---|
| start-up: `clinicctl --version` | 0.010 s | 0.050 s | 0.20 | <= 1.15 | yes |

All targets met."""


@pytest.fixture(scope="module")
def bench_run() -> ModuleType:
    if not (BENCH / "run.py").exists():
        pytest.skip("bench/ is not part of this copy")
    sys.path.insert(0, str(BENCH))  # run.py imports its neighbour generate.py
    try:
        spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


@pytest.fixture
def page(tmp_path: Path) -> Path:
    copy = tmp_path / "performance.md"
    shutil.copyfile(PAGE, copy)
    return copy


def between_markers(text: str, run: ModuleType) -> str:
    return text.split(run.DOCS_START, 1)[1].split(run.DOCS_END, 1)[0]


def test_the_report_replaces_only_the_text_between_the_markers(bench_run, page):
    before = page.read_text()
    bench_run.write_docs(page, REPORT + "\n", "python bench/run.py --postgres ...",
                         dt.date(2027, 1, 4))
    after = page.read_text()
    assert between_markers(after, bench_run) == (
        "\nLatest full run (`python bench/run.py --postgres ...`, 2027-01-04):\n\n"
        + REPORT + "\n")
    head, tail = before.split(bench_run.DOCS_START)[0], before.split(bench_run.DOCS_END)[1]
    assert after.startswith(head + bench_run.DOCS_START + "\n")
    assert after.endswith(bench_run.DOCS_END + tail)
    assert "## What makes it fast" in tail


def test_writing_the_same_run_again_changes_nothing(bench_run, page):
    bench_run.write_docs(page, REPORT, "python bench/run.py", dt.date(2027, 1, 4))
    once = page.read_text()
    bench_run.write_docs(page, REPORT, "python bench/run.py", dt.date(2027, 1, 4))
    assert page.read_text() == once


def test_the_page_holds_a_run_in_the_form_the_writer_writes(bench_run, page):
    block = between_markers(page.read_text(), bench_run)
    first, rest = block.strip("\n").split("\n\n", 1)
    assert first.startswith("Latest full run (`python bench/run.py")
    assert rest.startswith("Machine:\n")
    command = first.split("`")[1]
    day = dt.date.fromisoformat(first.rsplit(", ", 1)[1].rstrip("):"))
    bench_run.write_docs(page, rest, command, day)
    assert page.read_text() == PAGE.read_text()


@pytest.mark.parametrize("text", [
    "# Performance\n\nno markers\n",
    "<!-- benchmark:end -->\n<!-- benchmark:start -->\n",
    "<!-- benchmark:start -->\n<!-- benchmark:start -->\n<!-- benchmark:end -->\n",
])
def test_a_page_without_one_pair_of_markers_in_order_is_refused(bench_run, tmp_path, text):
    page = tmp_path / "performance.md"
    page.write_text(text)
    with pytest.raises(ValueError, match="benchmark:"):
        bench_run.write_docs(page, REPORT, "python bench/run.py", dt.date(2027, 1, 4))
    assert page.read_text() == text


def test_the_command_shown_hides_the_server_url_and_the_docs_flag(bench_run):
    assert bench_run.shown_command(
        ["--postgres", "postgresql://admin:secret@db/x", "--write-docs", "--runs", "7"]
    ) == "python bench/run.py --postgres ... --runs 7"
    assert bench_run.shown_command(["--postgres=postgresql://u:p@h/d"]) == (
        "python bench/run.py --postgres ...")


def test_write_docs_takes_only_full_runs(bench_run, capsys):
    for flags in (["--quick"], ["--only", "find"]):
        with pytest.raises(SystemExit) as exit_info:
            bench_run.parse_args(["--write-docs", *flags])
        assert exit_info.value.code == 2
        assert "--write-docs records full runs" in capsys.readouterr().err
    assert bench_run.parse_args(["--write-docs"]).write_docs is True
