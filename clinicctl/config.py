"""Settings: built-in defaults < config file < environment < command-line flag.

The config file is TOML (read with ``tomllib``, written atomically with ``tomli-w``).
No password is ever read from a flag: PostgreSQL passwords come from libpq's ``.pgpass``
(``PGPASSFILE``) or ``PGPASSWORD``, so a URL written here normally carries none; if one
does, ``config show`` redacts it.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clinicctl.errors import InvalidChoice, InvalidInput

APP_NAME = "clinicctl"
FORMATS = ("table", "json", "csv")

# key -> (environment variable, description). The order is the order of `config show`.
KEYS: dict[str, tuple[str, str]] = {
    "db": ("CLINICCTL_DB", "database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"),
    "actor": ("CLINICCTL_ACTOR", "staff member the commands run as: email, #ID or full name"),
    "format": ("CLINICCTL_FORMAT", "default output format: table, json or csv"),
}
# Keys earlier versions read. A file that still sets one works, with a warning: nothing a
# user sets may decide who a PostgreSQL login is (a bound login is always its staff member).
RETIRED_KEYS = {
    "bind_actor_to_login": "bind_actor_to_login is no longer read: on PostgreSQL a login "
    "bound with `clinicctl staff login` is always its staff member",
}


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def default_db_url() -> str:
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir(APP_NAME)) / 'clinic.sqlite3'}"


@dataclass
class Settings:
    """Effective settings and, for each key, where its value came from."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    config_path: Path | None = None

    @property
    def db(self) -> str:
        return str(self.values["db"])

    @property
    def actor(self) -> str | None:
        return self.values.get("actor")

    @property
    def format(self) -> str:
        return str(self.values.get("format") or "table")


def _warn(text: str) -> None:
    from clinicctl.output import warning

    warning(text)


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read config file {path}: {exc.strerror}") from None
    for key in sorted(set(data) & set(RETIRED_KEYS)):
        _warn(f"Warning: config file {path}: {RETIRED_KEYS[key]}")
        del data[key]
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise InvalidInput(f"config file {path}: unknown key {unknown[0]!r}")
    return data


def load_settings(
    *,
    flags: dict[str, Any],
    config_path: str | None,
    missing_config_ok: bool = False,
) -> Settings:
    """Merge the layers; ``flags`` holds the command-line values (None when not given).

    A config file named by ``--config`` or ``CLINICCTL_CONFIG`` must exist (a typo in its
    name would otherwise drop every setting in it without a word), unless
    ``missing_config_ok`` (``config init``, which writes it); the default one may be missing.
    """
    if config_path:
        path, config_source = Path(config_path).expanduser(), "flag --config"
        hint = f"write one with `clinicctl --config {path} config init`"
    elif os.environ.get("CLINICCTL_CONFIG"):
        path = Path(os.environ["CLINICCTL_CONFIG"]).expanduser()
        config_source = "env CLINICCTL_CONFIG"
        hint = "write one with `clinicctl config init`, or unset CLINICCTL_CONFIG"
    else:
        path, config_source = default_config_path(), "default"
    if config_source != "default" and not missing_config_ok and not path.exists():
        raise InvalidInput(f"config file {path} does not exist (from {config_source})",
                           hint=hint)
    if flags.get("db") and _URL_PASSWORD.search(str(flags["db"])):
        raise InvalidInput("--db must not carry a password (it would show in the process list "
                           "and shell history)", hint="put it in ~/.pgpass or PGPASSFILE")
    file_values = read_config_file(path)
    settings = Settings(config_path=path)
    defaults: dict[str, Any] = {
        "db": None,
        "actor": None,
        "format": "table",
    }
    for key, (env_name, _) in KEYS.items():
        if flags.get(key) is not None:
            value, source = flags[key], "flag"
        elif os.environ.get(env_name):
            value, source = os.environ[env_name], f"env {env_name}"
        elif key in file_values:
            value, source = file_values[key], f"file {path}"
        else:
            value, source = defaults[key], "default"
        settings.values[key] = value
        settings.sources[key] = source
    if settings.values["db"] is None:
        settings.values["db"] = default_db_url()
    else:
        check_db_url(str(settings.values["db"]), settings.sources["db"])
    if os.environ.get("CLINICCTL_BIND_ACTOR_TO_LOGIN"):
        _warn("Warning: CLINICCTL_BIND_ACTOR_TO_LOGIN is set: "
              f"{RETIRED_KEYS['bind_actor_to_login']}")
    fmt = settings.values["format"]
    if fmt not in FORMATS:
        raise InvalidChoice(f"invalid format {fmt!r} (from {settings.sources['format']}); "
                            f"expected one of {', '.join(FORMATS)}", value=str(fmt),
                            choices=FORMATS)
    settings.sources["config"] = config_source
    return settings


# A scheme of two letters or more: "C:\clinic.sqlite3" is a path, "postgres:/db" a bad URL.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


def path_as_url(value: str) -> str | None:
    """The SQLite URL of ``value`` when it is a file path rather than a URL."""
    if "://" in value or _SCHEME.match(value) or not value.strip():
        return None
    return f"sqlite:///{Path(value).expanduser()}"


def check_db_url(value: str, source: str) -> None:
    """A database URL has a scheme: a bare file path is refused with its URL as the hint
    (``harbor.sqlite3`` would otherwise fail later as "invalid database URL")."""
    where = "--db" if source == "flag" else source
    url = path_as_url(value)
    if url is not None:
        raise InvalidInput(f"invalid database URL {value!r} (from {where}): a file path is "
                           "not a URL", hint=f"did you mean {url}?")


_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z0-9+]+://)(?P<user>[^:/@]*):(?P<password>[^@/]*)@")


def redact(value: Any) -> Any:
    """Hide a password embedded in a database URL."""
    if isinstance(value, str):
        return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", value)
    return value


def write_config_file(path: Path, values: dict[str, Any]) -> None:
    """Write ``values`` as TOML atomically (temp file + rename), mode 0600."""
    import tomli_w

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            tomli_w.dump(values, handle)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
