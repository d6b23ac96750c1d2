"""`trace_logging`: where each logging call of a script ends up under a logging configuration.

The configuration is read, never applied: a `fileConfig` INI file (`[logger_x]`, `[handler_y]`
sections) or a `dictConfig` mapping in JSON, YAML or TOML (`loggers`, `root`, `handlers`). Each
call `log.debug("...")` of the script is resolved to its logger (`getLogger("name")`,
`getLogger(__name__)`, `logging.info(...)` is the root) and followed as the logging module does:
the logger's effective level (its own, else the nearest ancestor's, else the root's), then the
handlers of the logger and, while `propagate` is on, of its ancestors, each with its own level;
with no handler anywhere, Python's last-resort handler prints WARNING and above to stderr. Every
setting that decides is cited with its file and line.
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

# The scene loader's alias limit: every YAML the project reads has the same bound.
from gym.scenes import MAX_YAML_NODES, _expanded_size
from tools.project import ProjectFileError, clip, read_text, relative

MAX_CALLS = 12
"""Most logging calls traced from one script."""
LEVELS = {"NOTSET": 0, "DEBUG": 10, "INFO": 20, "WARNING": 30, "WARN": 30, "ERROR": 40}
LEVELS |= {"CRITICAL": 50, "FATAL": 50}
_METHOD_LEVEL = {
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARNING",
    "warn": "WARNING",
    "error": "ERROR",
    "exception": "ERROR",
    "critical": "CRITICAL",
}
_GET_LOGGER = re.compile(
    r"^\s*(?P<var>\w+)\s*=\s*logging\.getLogger\(\s*(?:(?P<q>[\"'])(?P<name>[^\"']*)(?P=q)"
    r"|(?P<dunder>__name__))?\s*\)"
)
_CALL = re.compile(
    r"\b(?P<var>\w+)\.(?P<method>debug|info|warning|warn|error|exception|critical)\(\s*"
    r"f?(?P<q>[\"'])(?P<message>[^\"']*)(?P=q)"
)


@dataclass
class Setting:
    """One configured value and where it is written."""

    value: str
    """The value as written."""
    where: str
    """'file line N' of the setting ('' when it is a default)."""


@dataclass
class LoggerConf:
    """A configured logger."""

    level: Setting | None = None
    """Its own level; None: NOTSET (the ancestors' decides)."""
    handlers: list[str] = field(default_factory=list)
    """Its handlers' names."""
    handlers_at: str = ""
    """Where its handlers are listed."""
    propagate: Setting | None = None
    """Its propagate setting; None: on (the default)."""


@dataclass
class HandlerConf:
    """A configured handler."""

    kind: str
    """Its class, as written."""
    level: Setting | None
    """Its level; None: NOTSET (everything)."""


class ConfigError(ValueError):
    """A file that is not a logging configuration; the message names the fault."""


def _line_of(lines: list[str], pattern: str, start: int = 0) -> int:
    """The 1-based number of the first line from `start` matching `pattern` (0 if none)."""
    for index in range(start, len(lines)):
        if re.search(pattern, lines[index]):
            return index + 1
    return 0


def _ini(text: str, shown: str) -> tuple[dict[str, LoggerConf], dict[str, HandlerConf]]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as err:
        raise ConfigError(f"{shown} does not parse as an INI file: {clip(str(err), 120)}") from err
    if not parser.has_section("loggers"):
        raise ConfigError(f"{shown} has no [loggers] section")
    lines = text.splitlines()

    def where(section: str, key: str) -> str:
        head = _line_of(lines, rf"^\s*\[{re.escape(section)}\]\s*$")
        end = _line_of(lines, r"^\s*\[", head) or len(lines) + 1
        number = _line_of(lines[: end - 1], rf"^\s*{key}\s*[=:]", head)
        return f"{shown} line {number}" if number else ""

    loggers: dict[str, LoggerConf] = {}
    for key in [k.strip() for k in parser.get("loggers", "keys", fallback="").split(",")]:
        section = f"logger_{key}"
        if not key or not parser.has_section(section):
            continue
        conf = parser[section]
        name = "root" if key == "root" else conf.get("qualname", key)
        loggers[name] = LoggerConf(
            level=Setting(conf["level"].strip().upper(), where(section, "level"))
            if "level" in conf
            else None,
            handlers=[h.strip() for h in conf.get("handlers", "").split(",") if h.strip()],
            handlers_at=where(section, "handlers"),
            propagate=Setting(conf["propagate"].strip(), where(section, "propagate"))
            if "propagate" in conf
            else None,
        )
    handlers: dict[str, HandlerConf] = {}
    for key in [k.strip() for k in parser.get("handlers", "keys", fallback="").split(",")]:
        section = f"handler_{key}"
        if key and parser.has_section(section):
            conf = parser[section]
            level = conf.get("level")
            handlers[key] = HandlerConf(
                conf.get("class", "?").strip(),
                Setting(level.strip().upper(), where(section, "level")) if level else None,
            )
    return loggers, handlers


def _mapping(data: Any, text: str, shown: str) -> tuple[dict[str, LoggerConf], dict[str, Any]]:
    if not isinstance(data, dict) or not ({"loggers", "root", "handlers"} & set(data)):
        raise ConfigError(f"{shown} holds no logging configuration (loggers, root, handlers)")
    lines = text.splitlines()

    def where(name: str, key: str) -> str:
        head = _line_of(lines, rf"[\"']?{re.escape(name)}[\"']?\s*[:=]")
        number = _line_of(lines, rf"[\"']?{key}[\"']?\s*[:=]", head) if head else 0
        return f"{shown} line {number}" if number else ""

    entries = dict((data.get("loggers") or {}).items())
    if isinstance(data.get("root"), dict):
        entries["root"] = data["root"]
    loggers: dict[str, LoggerConf] = {}
    for name, conf in entries.items():
        conf = conf if isinstance(conf, dict) else {}
        level, propagate = conf.get("level"), conf.get("propagate")
        loggers[str(name)] = LoggerConf(
            level=Setting(str(level).upper(), where(name, "level")) if level else None,
            handlers=[str(h) for h in conf.get("handlers") or []],
            handlers_at=where(name, "handlers"),
            propagate=Setting(str(propagate), where(name, "propagate"))
            if propagate is not None
            else None,
        )
    handlers: dict[str, Any] = {}
    for name, conf in (data.get("handlers") or {}).items():
        conf = conf if isinstance(conf, dict) else {}
        level = conf.get("level")
        handlers[str(name)] = HandlerConf(
            str(conf.get("class", "?")),
            Setting(str(level).upper(), where(name, "level")) if level else None,
        )
    return loggers, handlers


def _bounded_yaml(text: str, shown: str) -> Any:
    """The first YAML document, refused when its aliases expand past the project's bound."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}, set()) > MAX_YAML_NODES:
            raise ConfigError(
                f"{shown}: refused, its aliases expand to more than {MAX_YAML_NODES:,} values"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_config(root: Path, path: str) -> tuple[str, dict[str, LoggerConf], dict[str, Any]]:
    """(the file as shown, its loggers by name, its handlers by name)."""
    real, text = read_text(root, path)
    shown = relative(root, real)
    suffix = real.suffix.lower()
    if suffix in (".ini", ".cfg", ".conf", "") or "[loggers]" in text:
        return (shown, *_ini(text, shown))
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = _bounded_yaml(text, shown)
    except ConfigError:
        raise
    except (ValueError, yaml.YAMLError) as err:
        raise ConfigError(f"{shown} does not parse: {clip(str(err), 120)}") from err
    return (shown, *_mapping(data, text, shown))


def _level(value: str) -> int:
    return int(value) if value.isdigit() else LEVELS.get(value.upper(), 0)


def _parent(name: str, loggers: dict[str, LoggerConf]) -> str:
    """The nearest configured ancestor of a dotted logger name, else the root."""
    while "." in name:
        name = name.rsplit(".", 1)[0]
        if name in loggers:
            return name
    return "root"


def trace(
    name: str, level: str, loggers: dict[str, LoggerConf], handlers: dict[str, Any]
) -> list[str]:
    """How a record of `level` from logger `name` is let through or dropped, step by step."""
    wanted = _level(level)
    out: list[str] = []
    chain, current = [], name
    if name not in loggers and name != "root":
        nearest = _parent(name, loggers)
        out.append(f"logger '{name}' is not configured; its nearest configured one is '{nearest}'")
    while True:
        chain.append(current)
        if current == "root":
            break
        current = _parent(current, loggers)
    decider = next((n for n in chain if loggers.get(n, LoggerConf()).level), None)
    setting = loggers[decider].level if decider else Setting("WARNING", "")
    source = (
        f"its own level={setting.value}"
        if decider == chain[0]
        else f"level={setting.value} of '{decider}'"
        if decider
        else "the root's default WARNING"
    )
    at = f" ({setting.where})" if setting.where else ""
    if wanted < _level(setting.value):
        out.append(
            f"dropped by logger '{chain[0]}': {level} is below {source}{at}, so no handler sees it"
        )
        return out
    out.append(f"logger '{chain[0]}' lets {level} through ({source}{at})")
    emitted = False
    seen_handler = False
    for logger in chain:
        conf = loggers.get(logger, LoggerConf())
        for handler in conf.handlers:
            seen_handler = True
            found = handlers.get(handler)
            if found is None:
                out.append(f"handler '{handler}' of '{logger}' is not defined in the file")
                continue
            h_level = found.level
            label = f"handler '{handler}' ({found.kind}) of logger '{logger}'"
            h_at = f" ({h_level.where}: level={h_level.value})" if h_level and h_level.where else ""
            if h_level and wanted < _level(h_level.value):
                out.append(f"{label} drops it: {level} is below its level {h_level.value}{h_at}")
            else:
                shown = f"level {h_level.value}" if h_level else "no level"
                out.append(f"{label} writes it ({shown}{h_at})")
                emitted = True
        propagate = conf.propagate
        if (
            logger != "root"
            and propagate
            and propagate.value.strip().lower() in ("0", "false", "no", "off")
        ):
            p_at = f" ({propagate.where}: propagate={propagate.value})" if propagate.where else ""
            rest = [n for n in chain[chain.index(logger) + 1 :]]
            out.append(
                f"logger '{logger}' does not propagate{p_at}: the record never reaches "
                + ", ".join(f"'{n}'" for n in rest)
                + " or its handlers"
            )
            break
    if not seen_handler:
        out.append(
            "no handler on the way: Python's last-resort handler prints WARNING and above to "
            "stderr" + ("" if wanted >= 30 else f", so this {level} record is not shown")
        )
        emitted = wanted >= 30
    out.append("so it is written " + ("by the handlers above" if emitted else "nowhere"))
    return out


def _script_calls(text: str) -> list[tuple[int, str, str, str]]:
    """(line, code, logger name, level) of each logging call of a script."""
    names = {"logging": "root"}
    calls = []
    for number, line in enumerate(text.splitlines(), start=1):
        got = _GET_LOGGER.match(line)
        if got:
            names[got["var"]] = "__main__" if got["dunder"] else (got["name"] or "root")
        call = _CALL.search(line)
        if call and call["var"] in names:
            calls.append((number, line.strip(), names[call["var"]], _METHOD_LEVEL[call["method"]]))
    return calls


def trace_logging(root: Path, config: str, script: str, message: str = "") -> str:
    """Each logging call of `script` (those whose message holds `message` first) traced
    through the logging configuration `config`."""
    try:
        shown, loggers, handlers = read_config(root, config)
        real, text = read_text(root, script)
    except (ProjectFileError, ConfigError) as err:
        return f"Error: {err}"
    name = relative(root, real)
    calls = _script_calls(text)
    if message.strip():  # the calls with the message asked about first, then the others
        calls.sort(key=lambda c: message.strip().lower() not in c[1].lower())
    if not calls:
        return f"{name} makes no logging call with a literal message."
    out = [f"Logging calls of {name} under {shown}:"]
    for number, code, logger, level in calls[:MAX_CALLS]:
        article = "an" if level[0] in "AEIOU" else "a"
        out.append(
            f"{name} line {number}: {clip(code)}: {article} {level} record of logger '{logger}'"
        )
        out += [f"  {step}" for step in trace(logger, level, loggers, handlers)]
    return "\n".join(out)


class TraceLoggingInput(BaseModel):
    """Arguments of trace_logging."""

    # Not `config`: langchain passes its own run configuration under that name.
    config_file: str = Field(
        description="The logging configuration: INI for fileConfig, JSON/YAML/TOML for dictConfig."
    )
    script: str = Field(description="The Python file whose logging calls are traced.")
    message: str = Field(
        default="", description="The calls whose message holds this text are traced first."
    )


def logging_tools(root: Path) -> list[BaseTool]:
    """trace_logging, reading under the project root."""

    def trace_logging_tool(config_file: str, script: str, message: str = "") -> str:
        return trace_logging(root, config_file, script, message)

    return [
        StructuredTool.from_function(
            func=trace_logging_tool,
            name="trace_logging",
            description=(
                "Follow each logging call of a Python script through a logging configuration "
                "file (fileConfig INI or dictConfig JSON/YAML/TOML): the logger's effective "
                "level, each handler's level and propagation, with the file and line of each "
                "setting that lets the record through or drops it."
            ),
            args_schema=TraceLoggingInput,
        )
    ]
