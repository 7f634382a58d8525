"""Defaults for any flag: from a file at the configuration root, and from the environment.

In: the configuration root of a run (``desired.configuration.find_root``) and the commands.
Out: click's ``default_map`` (``{command: {parameter: value}}``), and each option's environment
variable, ``SPECTRUM_RECONCILER_<COMMAND>_<FLAG>`` (``apply --parallelism`` ->
``SPECTRUM_RECONCILER_APPLY_PARALLELISM``). click itself then gives the precedence: a flag on
the command line, else its variable, else the file, else the built-in default.

The file is ``spectrum-reconciler.toml`` at the root (its ``[defaults]`` table), else the
root's ``pyproject.toml`` (``[tool.spectrum-reconciler.defaults]``). Keys are long flags
without their dashes (``parallelism = 8``, ``rate-limit = "600/300"``); a key of ``[defaults]``
applies to every command that has the flag and accepts the value, one of ``[defaults.apply]``
to that command only, before the shared one. An unknown key, a value of the wrong TOML type or
one the flag refuses is a located one-line error. Flags that lift a safety rule for one run
(``--force``, ``--break-glass``) and secrets (``--token``) cannot be set from a file: a file is
shared and lives in git. The API token never comes from a flag at all.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import click

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the same parser, for 3.10
    import tomli as tomllib

ENV_PREFIX = "SPECTRUM_RECONCILER"
PYPROJECT = "pyproject.toml"
TABLE = "defaults"
NOT_FROM_A_FILE = {
    "force": "it lifts the safety gate: give --force on the run that needs it",
    "break-glass": "it overrides a freeze: give --break-glass WHY on the run that needs it",
    "token": "a secret does not belong in a file kept in git",
}
Defaults = dict[str, dict[str, Any]]


class DefaultsError(click.ClickException):
    """A defaults file that cannot be used, as ``file:line:col: message`` (exit 1)."""

    exit_code = 1


def flag_of(option: click.Option) -> str:
    """The long flag without its dashes (``--rate-limit`` -> ``rate-limit``)."""
    longs = [o for o in option.opts if o.startswith("--")]
    return (longs or option.opts)[0].lstrip("-")


def settable(command: click.Command) -> dict[str, click.Option]:
    """The options of ``command`` a default may be given for, by flag."""
    return {
        flag_of(p): p
        for p in command.params
        if isinstance(p, click.Option) and p.expose_value and p.name != "help"
    }


def envvar_name(command: str, option: click.Option) -> str:
    return f"{ENV_PREFIX}_{command}_{flag_of(option)}".upper().replace("-", "_")


def name_envvars(command_name: str, command: click.Command) -> None:
    """Give every option of ``command`` its variable (after any it already reads)."""
    for option in settable(command).values():
        ours = envvar_name(command_name, option)
        given = option.envvar
        before = [given] if isinstance(given, str) else list(given or ())
        if ours not in before:
            option.envvar = [*before, ours] if before else ours


def defaults_file(start: Path) -> Path | None:
    """The file defaults come from, for a run started at ``start``, if there is one."""
    # Imported here: `--version` and `--help` need no YAML loader.
    from reconciler.desired.configuration import ROOT_MARKER, find_root

    root = find_root(start)
    if root is None:
        return None
    for name in (ROOT_MARKER, PYPROJECT):
        if (root / name).is_file():
            return root / name
    return None


def load(path: Path, commands: Callable[[], Mapping[str, click.Command]]) -> Defaults:
    """The ``default_map`` the file at ``path`` gives the commands (asked for only when it sets
    something: loading them all costs imports); ``DefaultsError`` if it is bad."""
    try:
        text = path.read_text("utf-8")
        document = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        raise DefaultsError(f"{path}:1:1: cannot read the defaults ({error})") from None
    except tomllib.TOMLDecodeError as error:
        line, col = _where_toml_failed(str(error))
        raise DefaultsError(f"{path}:{line}:{col}: not valid TOML: {error}") from None
    table_path, table = _defaults_table(path, document)
    if table == {}:
        return {}
    return Checker(path, text, table_path, commands()).default_map(table)


def _defaults_table(path: Path, document: dict[str, Any]) -> tuple[tuple[str, ...], Any]:
    """Where the defaults table is (``[defaults]``, or pyproject's
    ``[tool.spectrum-reconciler.defaults]``) and what it holds; any other key there is refused."""
    ours: tuple[str, ...] = () if path.name != PYPROJECT else ("tool", "spectrum-reconciler")
    section: Any = document
    for part in ours:
        section = section.get(part, {}) if isinstance(section, dict) else {}
    if not isinstance(section, dict):
        section = {}
    unknown = sorted(set(section) - {TABLE})
    if unknown:
        where = _locate(path.read_text("utf-8"), ours, unknown[0])
        raise DefaultsError(
            f"{path}:{where}: unknown key {unknown[0]!r} (this file holds a [{TABLE}] table)"
        )
    return (*ours, TABLE), section.get(TABLE, {})


def _where_toml_failed(message: str) -> tuple[int, int]:
    found = re.search(r"at line (\d+), column (\d+)", message)
    return (int(found[1]), int(found[2])) if found else (1, 1)


class Checker:
    """Checks one file's defaults against the commands, locating every complaint."""

    def __init__(
        self, path: Path, text: str, table: tuple[str, ...], commands: Mapping[str, click.Command]
    ) -> None:
        self.path, self.text, self.table, self.commands = path, text, table, commands

    def default_map(self, table: Any) -> Defaults:
        if not isinstance(table, dict):
            self._fail(self.table[:-1], self.table[-1], f"[{self._dotted()}] must be a table")
        shared = {k: v for k, v in table.items() if not isinstance(v, dict)}
        own = {k: v for k, v in table.items() if isinstance(v, dict)}
        result: Defaults = {name: {} for name in self.commands}
        for flag, value in shared.items():
            self._share(flag, value, result)
        for name, values in own.items():
            if name not in self.commands:
                self._fail(self.table, name, f"no command {name!r} ({', '.join(self.commands)})")
            for flag, value in values.items():
                option = self._option(name, flag, (*self.table, name))
                checked = self._checked(option, value, name, (*self.table, name), flag)
                result[name][option.name or flag] = checked
        return {name: values for name, values in result.items() if values}

    def _share(self, flag: str, value: Any, result: Defaults) -> None:
        having = [name for name, c in self.commands.items() if flag in settable(c)]
        if not having or flag in NOT_FROM_A_FILE:
            self._option(None, flag, self.table)  # raises: no command has it, or it is refused
        complaints = []
        for name in having:
            option = settable(self.commands[name])[flag]
            try:
                checked = self._checked(option, value, name, self.table, flag)
                result[name][option.name or flag] = checked
            except DefaultsError as error:
                complaints.append(error)
        if len(complaints) == len(having):
            raise complaints[0]

    def _option(self, command: str | None, flag: str, table: tuple[str, ...]) -> click.Option:
        if flag in NOT_FROM_A_FILE:
            self._fail(table, flag, f"--{flag} cannot be set from a file: {NOT_FROM_A_FILE[flag]}")
        options = settable(self.commands[command]) if command else {}
        if flag not in options:
            whose = f"the {command} command" if command else "any command"
            hint = f" (keys are flags without their dashes: {flag.replace('_', '-')}?)"
            message = f"unknown key {flag!r}: not a flag of {whose}"
            self._fail(table, flag, message + (hint if "_" in flag else ""))
        return options[flag]

    def _checked(
        self, option: click.Option, value: Any, command: str, table: tuple[str, ...], flag: str
    ) -> Any:
        expected = _toml_type(option)
        items = value if option.multiple and isinstance(value, list) else [value]
        if option.multiple and not isinstance(value, list):
            self._fail(table, flag, f"--{flag} is repeatable: give a list, e.g. [{value!r}]")
        for item in items:
            if not _is(item, expected):
                got = type(item).__name__
                self._fail(table, flag, f"--{flag} takes {expected} values, not {got} ({item!r})")
        try:  # as click will: the type, then the option's callback (durations, rate, zones)
            option.process_value(click.Context(self.commands[command]), value)
        except click.BadParameter as error:
            self._fail(table, flag, f"--{flag} (for {command}): {error.message}")
        return value

    def _dotted(self) -> str:
        return ".".join(self.table)

    def _fail(self, table: tuple[str, ...], key: str, message: str) -> None:
        raise DefaultsError(f"{self.path}:{_locate(self.text, table, key)}: {message}")


def _toml_type(option: click.Option) -> str:
    if option.is_flag and not option.multiple:
        return "boolean"
    if isinstance(option.type, click.types.IntParamType):
        return "integer"
    if isinstance(option.type, click.types.FloatParamType):
        return "number"
    return "string"


def _is(value: Any, expected: str) -> bool:
    if expected == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if expected == "integer":
        return isinstance(value, int)
    if expected == "number":
        return isinstance(value, int | float)
    return isinstance(value, str)


def _locate(text: str, table: tuple[str, ...], key: str) -> str:
    """``line:col`` of ``key`` in ``table`` (its header when the key is not on a line of its
    own, as in an inline table; else the file's start)."""
    current: tuple[str, ...] = ()
    header_at = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            current = _header(stripped)
            if current == (*table, key):  # the key is a table of its own
                return f"{number}:{line.index('[') + 1}"
            header_at = f"{number}:{line.index('[') + 1}" if current == table else header_at
            continue
        found = re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", line)
        if current == table and found:
            return f"{number}:{len(line) - len(line.lstrip()) + 1}"
    return header_at or "1:1"


def _header(stripped: str) -> tuple[str, ...]:
    inside = stripped[1 : stripped.index("]")] if "]" in stripped else stripped[1:]
    return tuple(part.strip().strip("\"'") for part in inside.split("."))


def file_for(paths: Iterable[str], cwd: str = ".") -> Path | None:
    """The defaults file of the given paths' configuration root; when their roots hold
    different ones (``diff OLD NEW`` of two checkouts), the current directory's."""
    found = {defaults_file(Path(p)) for p in paths}
    return found.pop() if len(found) == 1 else defaults_file(Path(cwd))
