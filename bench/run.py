"""Benchmark clinicctl side by side with what a user would otherwise run (issue 5).

    python bench/run.py                  # 5 runs of each command, full sizes
    python bench/run.py --quick          # 2 runs, smaller data: a smoke test of the harness
    python bench/run.py --only find      # one pair: startup, data-startup, import (with
                                         # memory), share, find (with the group find), week;
                                         # repeat --only for several
    python bench/run.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python bench/run.py --postgres URL --write-docs   # also into docs/performance.md

Every command is a real subprocess: the installed ``clinicctl`` and ``sqlite-utils`` next to
this Python, started through ``spawn.py``, which times it and reads its own peak RSS. The
commands of a pair run alternately, each timed run on a fresh copy of its prepared database
(copying is not timed), and the table shows medians and their ratio (clinicctl / peer)
against the issue's target. Machines are noisy, so the verdict is always the ratio, never a
time. The table goes to stdout, progress to stderr; the exit status is 0 even when targets
are missed, since this is a report. ``--write-docs`` also replaces the latest run in
``docs/performance.md`` (between its ``benchmark:start`` and ``benchmark:end`` markers).

Generated databases and CSV files are cached in ``bench/.cache`` by size, seed, week and
schema revision; delete the directory to rebuild them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import generate
from generate import Practice, PracticeSpec

BIN = Path(sys.executable).parent
CLINICCTL = str(BIN / "clinicctl")
SQLITE_UTILS = str(BIN / "sqlite-utils")
SQLITE3 = shutil.which("sqlite3")
SPAWN = str(Path(__file__).resolve().parent / "spawn.py")
CACHE = Path(__file__).resolve().parent / ".cache"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
DOCS_START = "<!-- benchmark:start -->"
DOCS_END = "<!-- benchmark:end -->"
# Bump when the generator changes what it writes, so cached files are rebuilt.
GENERATOR_VERSION = 1
PRACTICE_NAME = "Riverbend Group Therapy"


@dataclass(frozen=True)
class Sizes:
    runs: int
    import_rows: int
    share_rows: int
    find_clients: int
    find_appointments: int
    week_providers: int
    week_clients: int
    week_appointments: int


FULL = Sizes(runs=5, import_rows=100_000, share_rows=10_000, find_clients=10_000,
             find_appointments=50_000, week_providers=160, week_clients=40_000,
             week_appointments=1_000_000)
QUICK = Sizes(runs=2, import_rows=10_000, share_rows=1_000, find_clients=2_000,
              find_appointments=10_000, week_providers=40, week_clients=10_000,
              week_appointments=100_000)
FIND_THERAPISTS = 20
FIND_DAYS = 30
GROUP_MEMBERS = 10
GROUP_NAME = "Thursday skills group"
SHARE_PROVIDERS = 20
PAIRS = ("startup", "data-startup", "import", "share", "find", "week")
ALIASES = {"memory": "import"}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- running one command ---------------------------------------------------------------------

@dataclass
class Invocation:
    """One run of a command; ``cleanup`` removes what its untimed set-up made."""

    argv: list[str]
    env: dict[str, str]
    cleanup: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_kib: int  # the child's own peak resident set size


class CommandFailed(Exception):
    pass


def measure(invocation: Invocation) -> Sample:
    """Wall-clock time and peak RSS of one run, taken by spawn.py around the command alone."""
    with tempfile.TemporaryFile() as stderr, tempfile.NamedTemporaryFile("r") as result:
        subprocess.run([sys.executable, "-I", "-S", SPAWN, result.name, *invocation.argv],
                       env=invocation.env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=stderr)
        stderr.seek(0)
        fields = result.read().split()
        if not fields:  # spawn.py could not start the command
            raise CommandFailed(_first_error(stderr.read()))
        seconds, peak_kib, status = float(fields[0]), int(fields[1]), int(fields[2])
        if status != 0:
            raise CommandFailed(f"{_first_error(stderr.read())} (exit {status})")
    return Sample(seconds, peak_kib)


def _first_error(stderr: bytes) -> str:
    """The first line of stderr, skipping progress lines printed before an ``Error:``."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines()
             if line.strip()]
    if lines and lines[0].startswith("Traceback"):
        return lines[-1]  # the exception, not the header of the traceback
    return next((line for line in lines if line.startswith("Error")),
                lines[0] if lines else "(no message)")


# --- pairs, rows and results -----------------------------------------------------------------

Contenders = dict[str, Callable[[], Invocation]]


@dataclass(frozen=True)
class Row:
    what: str
    ours: str
    peer: str
    target: float | None
    metric: str = "time"  # or "memory"


@dataclass
class Trial:
    """Commands that run alternately, and the rows of the table they give."""

    pair: str
    database: str | None
    rows: list[Row]
    prepare: Callable[[], Contenders]  # builds the data (untimed), then says how to run
    warmup: bool = False


@dataclass
class Outcome:
    samples: list[Sample] = field(default_factory=list)
    failure: str | None = None

    def median(self, metric: str) -> float:
        if metric == "memory":
            return statistics.median(s.peak_kib for s in self.samples)
        return statistics.median(s.seconds for s in self.samples)


def run_trial(trial: Trial, runs: int) -> dict[str, Outcome]:
    contenders = trial.prepare()
    outcomes = {name: Outcome() for name in contenders}
    if trial.warmup:  # page cache and bytecode: the first run of a cold command is an outlier
        for start in contenders.values():
            _run(start, Outcome())
    for round_ in range(runs):
        # ABBA order: neither command always runs first, right after a cache-warming one.
        order = list(contenders.items())
        if round_ % 2:
            order.reverse()
        for name, start in order:
            say(f"  {trial.pair}{_where(trial)}: {name}, run {round_ + 1} of {runs}")
            _run(start, outcomes[name])
    return outcomes


def _run(start: Callable[[], Invocation], outcome: Outcome) -> None:
    if outcome.failure is not None:
        return
    invocation = start()
    try:
        outcome.samples.append(measure(invocation))
    except CommandFailed as exc:
        outcome.failure = str(exc)
    finally:
        invocation.cleanup()


def _where(trial: Trial) -> str:
    return f" ({trial.database})" if trial.database else ""


def _on(backend: Backend) -> str:
    """How a row names its database: SQLite is the default and goes unsaid."""
    return "" if backend.name == "SQLite" else f" on {backend.name}"


# --- databases -------------------------------------------------------------------------------

class Backend(Protocol):
    name: str

    def initialised(self, label: str) -> str: ...
    def practice(self, label: str, practice: Practice) -> str: ...
    def fresh_copy(self, url: str) -> tuple[str, Callable[[], None]]: ...


class Bench:
    """Paths, sizes and the environment every command runs in."""

    def __init__(self, sizes: Sizes, seed: int, cache: Path, work: Path) -> None:
        self.sizes = sizes
        self.seed = seed
        self.cache = cache
        self.work = work
        self.anchor = generate.monday_of(dt.date.today())
        home = work / "home"
        home.mkdir()
        (home / "clinicctl.toml").touch()  # a config file that is named must exist
        # As a user's shell runs them: no PYTHONDONTWRITEBYTECODE or PYTHONUNBUFFERED from
        # this session (the first recompiles clinicctl on every run, the second makes each
        # write a system call). Bytecode goes to the cache, not next to the sources.
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("CLINICCTL_", "PYTHON"))}
        self.base_env = base | {"HOME": str(home),
                                "CLINICCTL_CONFIG": str(home / "clinicctl.toml"),
                                "CLINICCTL_ACTOR": generate.OWNER_EMAIL,
                                "PYTHONPYCACHEPREFIX": str(cache / "pycache")}
        self._scratch = 0

    def env(self, db_url: str | None = None) -> dict[str, str]:
        return self.base_env | ({"CLINICCTL_DB": db_url} if db_url else {})

    def scratch(self, name: str) -> Path:
        """A path no run has used, in the work directory."""
        self._scratch += 1
        return self.work / f"{self._scratch}-{name}"

    def init_database(self, url: str) -> None:
        result = subprocess.run(
            [CLINICCTL, "init", "--practice", PRACTICE_NAME, "--timezone", generate.TIMEZONE,
             "--owner-name", generate.OWNER_NAME, "--owner-email", generate.OWNER_EMAIL],
            env=self.env(url), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"clinicctl init failed: {result.stderr.strip()}")

    def cached(self, name: str, build: Callable[[Path], None]) -> Path:
        """A generated file from the cache, built (into a partial file, then renamed) when
        missing."""
        path = self.cache / name
        if not path.exists():
            self.cache.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + ".part")
            for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
                leftover.unlink(missing_ok=True)
            say(f"  generating {name} ...")
            started = time.perf_counter()
            build(partial)
            partial.replace(path)
            say(f"  generated {name} in {time.perf_counter() - started:.1f} s")
        return path

    def clients_csv(self, rows: int) -> Path:
        return self.cached(f"clients-{rows}-s{self.seed}-g{GENERATOR_VERSION}.csv",
                           lambda path: generate.write_clients_csv(path, rows, self.seed))

    def spec(self, providers: int, clients: int, appointments: int) -> PracticeSpec:
        return PracticeSpec(providers, clients, appointments, self.seed, self.anchor)

    def prune_cache(self) -> None:
        """Databases of past weeks: their dates no longer surround today."""
        current = self.anchor.isoformat()
        for path in self.cache.glob("*"):
            dates = re.findall(r"\d{4}-\d{2}-\d{2}", path.name)
            if dates and current not in dates:
                path.unlink()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


class SQLiteBackend:
    name = "SQLite"

    def __init__(self, bench: Bench) -> None:
        self.bench = bench

    def initialised(self, label: str) -> str:
        path = self.bench.scratch(f"{label}.sqlite3")
        self.bench.init_database(sqlite_url(path))
        return sqlite_url(path)

    def practice(self, label: str, practice: Practice) -> str:
        def build(path: Path) -> None:
            self.bench.init_database(sqlite_url(path))
            generate.fill_practice(generate.SQLiteStore(path), practice)

        schema = _schema_head()
        return sqlite_url(self.bench.cached(f"{label}-{practice.spec.key}-g{GENERATOR_VERSION}"
                                            f"-r{schema}.sqlite3", build))

    def fresh_copy(self, url: str) -> tuple[str, Callable[[], None]]:
        copy = self.bench.scratch("copy.sqlite3")
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)

        def cleanup() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)

        return sqlite_url(copy), cleanup


class PostgresBackend:
    """Scratch databases on one server, all dropped when the run ends."""

    name = "PostgreSQL"

    def __init__(self, bench: Bench, url: str) -> None:
        import psycopg

        self.bench = bench
        self.url = url
        try:
            self.admin = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise SystemExit(f"cannot connect to {url}: {exc}") from None
        self.prefix = f"clinicctl_bench_{os.getpid()}"
        self.numbers = itertools.count(1)
        self.created: list[str] = []

    def version(self) -> str:
        row = self.admin.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"

    def _create(self, label: str, template: str | None = None) -> str:
        name = f"{self.prefix}_{next(self.numbers)}_{label}"
        self.admin.execute(f'CREATE DATABASE "{name}"'
                           + (f' TEMPLATE "{template}"' if template else ""))
        self.created.append(name)
        return urlsplit(self.url)._replace(path=f"/{name}").geturl()

    def _drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.created.remove(name)

    def initialised(self, label: str) -> str:
        url = self._create(label)
        self.bench.init_database(url)
        return url

    def practice(self, label: str, practice: Practice) -> str:
        say(f"  building {label} database on PostgreSQL ...")
        started = time.perf_counter()
        url = self.initialised(label)
        generate.fill_practice(generate.PostgresStore(url), practice)
        say(f"  built it in {time.perf_counter() - started:.1f} s")
        return url

    def fresh_copy(self, url: str) -> tuple[str, Callable[[], None]]:
        copy = self._create("copy", template=urlsplit(url).path.lstrip("/"))
        return copy, lambda: self._drop(copy)

    def close(self) -> None:
        for name in list(self.created):
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


def _schema_head() -> str:
    from clinicctl.schema import SCHEMA_HEAD

    return SCHEMA_HEAD


# --- the pairs -------------------------------------------------------------------------------

def fixed(argv: list[str], env: dict[str, str]) -> Callable[[], Invocation]:
    return lambda: Invocation(argv, env)


def startup_trials(bench: Bench) -> list[Trial]:
    def startup() -> Contenders:
        return {"clinicctl": fixed([CLINICCTL, "--version"], bench.env()),
                "python": fixed([sys.executable, "-c", "import typer"], bench.env())}

    def data_startup() -> Contenders:
        url = SQLiteBackend(bench).initialised("empty")
        return {"clinicctl": fixed([CLINICCTL, "client", "list"], bench.env(url)),
                "python": fixed([sys.executable, "-c", "import typer, sqlalchemy.orm"],
                                bench.env())}

    return [
        Trial("startup", None, [Row('start-up: `clinicctl --version` vs `python -c "import '
                                    'typer"`', "clinicctl", "python", 1.15)],
              startup, warmup=True),
        Trial("data-startup", None,
              [Row("data command start-up: `client list` on an empty database vs "
                   '`python -c "import typer, sqlalchemy.orm"`', "clinicctl", "python", 1.20)],
              data_startup, warmup=True),
    ]


def sqlite_utils_insert(bench: Bench, table: str, csv_path: Path) -> Callable[[], Invocation]:
    def start() -> Invocation:
        target = bench.scratch("sqlite-utils.db")
        return Invocation([SQLITE_UTILS, "insert", str(target), table, str(csv_path), "--csv"],
                          bench.env(), cleanup=lambda: target.unlink(missing_ok=True))

    return start


def sqlite3_import(bench: Bench, table: str, csv_path: Path) -> Callable[[], Invocation]:
    assert SQLITE3 is not None

    def start() -> Invocation:
        target = bench.scratch("sqlite3.db")
        return Invocation([SQLITE3, str(target), f'.import --csv "{csv_path}" {table}'],
                          bench.env(), cleanup=lambda: target.unlink(missing_ok=True))

    return start


def on_fresh_copy(bench: Bench, backend: Backend, template: str, argv: list[str]
                  ) -> Callable[[], Invocation]:
    def start() -> Invocation:
        url, cleanup = backend.fresh_copy(template)
        return Invocation(argv, bench.env(url), cleanup)

    return start


def import_trial(bench: Bench, backend: Backend) -> Trial:
    rows = bench.sizes.import_rows
    on = _on(backend)

    def prepare() -> Contenders:
        csv_path = bench.clients_csv(rows)
        template = backend.initialised("import")
        contenders = {
            "clinicctl": on_fresh_copy(bench, backend, template,
                                       [CLINICCTL, "import", "clients", str(csv_path)]),
            "sqlite-utils": sqlite_utils_insert(bench, "clients", csv_path),
        }
        if SQLITE3 and backend.name == "SQLite":
            contenders["sqlite3"] = sqlite3_import(bench, "clients", csv_path)
        return contenders

    table = [
        Row(f"bulk import{on}: `import clients` of {rows:,} rows vs `sqlite-utils insert "
            "--csv` into a fresh database", "clinicctl", "sqlite-utils", 0.4),
        Row(f"memory{on}: peak RSS of that import vs sqlite-utils' peak", "clinicctl",
            "sqlite-utils", 1.5, metric="memory"),
    ]
    if backend.name == "SQLite":
        table.append(Row("bulk import vs the floor: the `sqlite3` shell's `.import --csv` "
                         "(no target)", "clinicctl", "sqlite3", None))
    return Trial("import", backend.name, table, prepare)


def share_trial(bench: Bench, backend: Backend) -> Trial:
    rows = bench.sizes.share_rows
    on = _on(backend)

    def prepare() -> Contenders:
        practice = generate.plan_practice(bench.spec(SHARE_PROVIDERS, rows, 0))
        csv_path = bench.cached(
            f"shares-{practice.spec.key}-g{GENERATOR_VERSION}.csv",
            lambda path: generate.write_csv(path, generate.SHARE_COLUMNS,
                                            generate.share_rows(practice)))
        template = backend.practice("share", practice)
        return {
            "clinicctl": on_fresh_copy(bench, backend, template,
                                       [CLINICCTL, "client", "share", "--csv", str(csv_path)]),
            "sqlite-utils": sqlite_utils_insert(bench, "shares", csv_path),
        }

    return Trial("share", backend.name,
                 [Row(f"batch share{on}: `client share --csv` of {rows:,} rows vs "
                      "`sqlite-utils insert --csv` of the same file", "clinicctl",
                      "sqlite-utils", 1.2)], prepare)


def find_trial(bench: Bench, backend: Backend) -> Trial:
    sizes = bench.sizes
    on = _on(backend)

    def prepare() -> Contenders:
        practice = generate.plan_practice(
            bench.spec(FIND_THERAPISTS, sizes.find_clients, sizes.find_appointments))
        # A copy with one client group (untimed set-up): the first provider's, one client
        # from each of GROUP_MEMBERS caseloads, so each member is busy with another provider.
        url, _ = backend.fresh_copy(backend.practice("find", practice))
        members = [arg for p in practice.providers[:GROUP_MEMBERS]
                   for arg in ("--client", practice.client_of(p))]
        made = subprocess.run([CLINICCTL, "-q", "group", "add", GROUP_NAME, "--provider",
                               practice.providers[0].email, *members],
                              env=bench.env(url), capture_output=True, text=True)
        if made.returncode != 0:
            raise SystemExit(f"clinicctl group add failed: {made.stderr.strip()}")
        client = practice.client_of(practice.providers[0])
        therapists = [arg for p in practice.providers for arg in ("--therapist", p.email)]
        window = ["--from", (bench.anchor + dt.timedelta(weeks=1)).isoformat(),  # the future
                  "--days", str(FIND_DAYS)]
        return {
            "clinicctl": fixed([CLINICCTL, "availability", "find", "--client", client,
                                *therapists, *window], bench.env(url)),
            "clinicctl group": fixed([CLINICCTL, "availability", "find", "--group", GROUP_NAME,
                                      *window], bench.env(url)),
            "client show": fixed([CLINICCTL, "client", "show", client], bench.env(url)),
        }

    return Trial("find", backend.name,
                 [Row(f"find availability{on}: {FIND_THERAPISTS} therapists x {FIND_DAYS} "
                      f"days, {sizes.find_appointments:,} appointments, "
                      f"{sizes.find_clients:,} clients vs `client show` of one client",
                      "clinicctl", "client show", 1.3),
                  Row(f"find for a {GROUP_MEMBERS}-member group{on}: `availability find "
                      f"--group G` over {FIND_DAYS} days (the group's provider and service), "
                      "the same practice vs `client show` of one client",
                      "clinicctl group", "client show", 1.3)], prepare, warmup=True)


def week_trial(bench: Bench, backend: Backend) -> Trial:
    sizes = bench.sizes
    on = _on(backend)

    def prepare() -> Contenders:
        practice = generate.plan_practice(
            bench.spec(sizes.week_providers, sizes.week_clients, sizes.week_appointments))
        url = backend.practice("week", practice)
        provider = practice.working(bench.anchor)[0]
        last_day = bench.anchor + dt.timedelta(days=6)
        return {
            "clinicctl": fixed([CLINICCTL, "appointment", "list", "--provider", provider.email,
                                "--from", bench.anchor.isoformat(),
                                "--to", last_day.isoformat()], bench.env(url)),
            "client show": fixed([CLINICCTL, "client", "show", practice.client_of(provider)],
                                 bench.env(url)),
        }

    return Trial("week", backend.name,
                 [Row(f"provider week{on}: `appointment list --provider P --from D --to D+6` "
                      f"on {sizes.week_appointments:,} appointments vs `client show` of one "
                      "client", "clinicctl", "client show", 1.3)], prepare, warmup=True)


# --- the report ------------------------------------------------------------------------------

def machine(postgres: PostgresBackend | None) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = f"{os.cpu_count()} cores" + (f" ({usable} usable)" if usable != os.cpu_count()
                                         else "")
    shell = (subprocess.run([SQLITE3, "--version"], capture_output=True, text=True)
             .stdout.split()[0] if SQLITE3 else "not installed")
    lines = [
        f"- CPU: {cpu}, {cores}; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; clinicctl {metadata.version('clinicctl')}, "
        f"typer {metadata.version('typer')}, SQLAlchemy {metadata.version('SQLAlchemy')}, "
        f"sqlite-utils {metadata.version('sqlite-utils')}",
        f"- SQLite {sqlite3.sqlite_version} (Python's library); sqlite3 shell {shell}",
    ]
    if postgres is not None:
        lines.append(f"- PostgreSQL {postgres.version()}")
    return lines


def cells(row: Row, outcomes: dict[str, Outcome]) -> tuple[list[str], str]:
    """The table cells of one row, and its verdict: met, missed, failed or none."""
    target = f"<= {row.target:.2f}" if row.target is not None else "none"
    shown = []
    for name in (row.ours, row.peer):
        outcome = outcomes.get(name)
        if outcome is None:
            shown.append(f"{name}: not installed")
        elif outcome.failure is not None:
            shown.append(f"failed: {outcome.failure}")
        else:
            shown.append(_amount(outcome.median(row.metric), row.metric))
    ours, peer = outcomes.get(row.ours), outcomes.get(row.peer)
    if not (ours and peer and ours.samples and peer.samples):
        verdict = "failed" if row.target is not None else "none"
        return [row.what, *shown, "-", target, "failed" if verdict == "failed" else "-"], verdict
    ratio = ours.median(row.metric) / peer.median(row.metric)
    if row.target is None:
        return [row.what, *shown, f"{ratio:.2f}", target, "-"], "none"
    met = ratio <= row.target
    return ([row.what, *shown, f"{ratio:.2f}", target, "yes" if met else "**NO**"],
            "met" if met else "missed")


def _amount(value: float, metric: str) -> str:
    return f"{value / 1024:.1f} MiB" if metric == "memory" else f"{value:.3f} s"


def report(results: list[tuple[Trial, dict[str, Outcome]]], header: list[str]) -> str:
    lines = ["Machine:", "", *header, "",
             "| what | clinicctl median | peer median | ratio (clinicctl/peer) | target | "
             "met? |", "|---|---|---|---|---|---|"]
    verdicts: dict[str, list[str]] = {"missed": [], "failed": []}
    for trial, outcomes in results:
        for row in trial.rows:
            row_cells, verdict = cells(row, outcomes)
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row_cells) + " |")
            verdicts.setdefault(verdict, []).append(row.what.split(":")[0])
    lines.append("")
    if verdicts["missed"]:
        lines.append(f"Missed targets: {', '.join(verdicts['missed'])}.")
    if verdicts["failed"]:
        lines.append(f"Failed (no ratio): {', '.join(verdicts['failed'])}.")
    if not verdicts["missed"] and not verdicts["failed"]:
        lines.append("All targets met.")
    return "\n".join(lines)


def write_docs(path: Path, report_text: str, command: str, day: dt.date) -> None:
    """Put a run's report into the page at ``path``, in place of the text between the markers;
    everything outside them (the explanations written by hand) is kept as it is."""
    text = path.read_text(encoding="utf-8")
    if text.count(DOCS_START) != 1 or text.count(DOCS_END) != 1:
        raise ValueError(f"{path}: expected one {DOCS_START} and one {DOCS_END} line")
    start, end = text.index(DOCS_START), text.index(DOCS_END)
    if end < start:
        raise ValueError(f"{path}: {DOCS_END} comes before {DOCS_START}")
    head, tail = text[:start], text[end + len(DOCS_END):]
    block = f"Latest full run (`{command}`, {day.isoformat()}):\n\n{report_text.strip()}\n"
    path.write_text(f"{head}{DOCS_START}\n{block}{DOCS_END}{tail}", encoding="utf-8")


def shown_command(argv: list[str]) -> str:
    """The command line of this run as the docs show it: no server URL, no --write-docs."""
    shown, skip = ["python", "bench/run.py"], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--postgres":
            shown += [arg, "..."]
            skip = True
        elif arg.startswith("--postgres="):
            shown += ["--postgres", "..."]
        elif arg != "--write-docs":
            shown.append(arg)
    return " ".join(shown)


# --- main ------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    # No abbreviations: the command line shown in the docs must hide every server URL.
    parser = argparse.ArgumentParser(
        description="Benchmark clinicctl against its peers: medians and ratios.",
        allow_abbrev=False)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK.runs} runs and smaller data (a smoke test)")
    parser.add_argument("--runs", type=int, help="runs of each command (default 5, quick 2)")
    parser.add_argument("--only", choices=[*PAIRS, *ALIASES], metavar="NAME", action="append",
                        help=f"run one pair: {', '.join(PAIRS)} (memory is part of import, "
                        "the group find of find); repeat it for several")
    parser.add_argument("--postgres", metavar="URL",
                        help="also run import, share, find and week on this PostgreSQL "
                        "server (scratch databases are created and dropped)")
    parser.add_argument("--seed", type=int, default=5, help="generator seed (default 5)")
    parser.add_argument("--cache", type=Path, default=CACHE,
                        help="where generated data is kept (default bench/.cache)")
    parser.add_argument("--write-docs", action="store_true",
                        help="also put the report into docs/performance.md, in place of the "
                        "latest run (full runs only)")
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.write_docs and (args.quick or args.only):
        parser.error("--write-docs records full runs: drop --quick and --only")
    return args


@contextmanager
def backends(bench: Bench, postgres_url: str | None) -> Iterator[list[Backend]]:
    postgres = PostgresBackend(bench, postgres_url) if postgres_url else None
    try:
        yield [SQLiteBackend(bench), *([postgres] if postgres else [])]
    finally:
        if postgres is not None:
            postgres.close()


def trials(bench: Bench, databases: list[Backend]) -> list[Trial]:
    found = startup_trials(bench)
    for make in (import_trial, share_trial, find_trial, week_trial):
        found.extend(make(bench, backend) for backend in databases)
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = QUICK if args.quick else FULL
    runs = args.runs or sizes.runs
    only = {ALIASES.get(name, name) for name in args.only or ()}
    for tool in (CLINICCTL, SQLITE_UTILS):
        if not Path(tool).exists():
            raise SystemExit(f"{tool} not found: pip install -e '.[bench]' into this Python")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clinicctl-bench-") as work:
        bench = Bench(sizes, args.seed, args.cache, Path(work))
        if bench.cache.exists():
            bench.prune_cache()
        with backends(bench, args.postgres) as databases:
            postgres = next((d for d in databases if isinstance(d, PostgresBackend)), None)
            header = [*machine(postgres),
                      f"- {runs} runs of each command, alternating; medians; "
                      f"{'--quick sizes' if args.quick else 'full sizes'}, seed {args.seed}"]
            results = []
            for trial in trials(bench, databases):
                if only and trial.pair not in only:
                    continue
                say(f"{trial.pair}{_where(trial)}")
                results.append((trial, run_trial(trial, runs)))
    text = report(results, header)
    print(text)
    if args.write_docs:
        command = shown_command(sys.argv[1:] if argv is None else argv)
        write_docs(DOCS, text, command, dt.date.today())
        say(f"wrote the report into {DOCS}")
    say(f"finished in {_duration(time.perf_counter() - started)}")
    return 0


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


if __name__ == "__main__":
    sys.exit(main())
