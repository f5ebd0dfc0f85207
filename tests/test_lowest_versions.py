"""CI's second test run installs the lowest versions pyproject.toml admits
(.ci/lowest-versions.txt): each pin there must be exactly the declared lower bound, so a raised
bound without a raised pin (or a new dependency without a pin) fails here, not in a user's
environment."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
TESTED_EXTRAS = ("postgres", "test")  # bench is not installed in the lowest-versions run


def declared_lower_bounds() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in TESTED_EXTRAS:
        requirements += project["optional-dependencies"][extra]
    bounds: dict[str, str] = {}
    for line in requirements:
        requirement = Requirement(line)
        lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        assert len(lower) == 1, f"{line}: declare one lower bound (>=)"
        names = [requirement.name] + [f"{requirement.name}-{extra}" for extra in
                                      requirement.extras]  # psycopg[binary] is psycopg-binary
        for name in names:
            key = canonicalize_name(name)
            assert bounds.get(key, lower[0]) == lower[0], f"{name}: two lower bounds"
            bounds[key] = lower[0]
    return bounds


def pinned_versions() -> dict[str, str]:
    pins: dict[str, str] = {}
    for raw in (ROOT / ".ci" / "lowest-versions.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{raw}: pin with =="
            pins[canonicalize_name(name)] = version
    return pins


def release(version: str) -> tuple[int, ...]:
    parts = [int(part) for part in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def test_every_declared_dependency_is_pinned_at_its_lower_bound() -> None:
    bounds, pins = declared_lower_bounds(), pinned_versions()
    assert sorted(bounds) == sorted(pins)
    for name, lower in bounds.items():
        assert release(pins[name]) == release(lower), \
            f"{name}: pinned {pins[name]}, declared >={lower}"
