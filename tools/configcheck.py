"""`check_config`: a configuration file (YAML, TOML, .env, INI, JSON) read against a checklist
of the settings that hurt in production, and compared with a sibling configuration.

The checklist: debug mode on; a debug or trace log level; a password, token or key written in
plain text (also inside a URL, `postgres://user:password@host`); a container image on the moving
`latest` tag or on none; a single replica; TLS verification turned off; any origin or host
allowed. With a second file (staging beside prod) each finding says what that file does instead,
and the other settings whose values differ are listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from tools.project import ProjectFileError, clip, read_text, relative

MAX_CONFIG_BYTES = 500_000
"""Largest file read."""
MAX_FINDINGS = 30
"""Findings listed."""

_SETTING = re.compile(
    r"""^\s*(?:-\s+)?(?:export\s+)?["']?(?P<key>[A-Za-z_][\w.-]*)["']?\s*(?::|=)\s*(?P<value>.*?)\s*,?\s*$"""
)
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_DEBUG = re.compile(r"(?:^|[_.-])debug$|^debug(?:[_.-]?mode)?$", re.I)
_LOG_LEVEL = re.compile(r"log[_.-]?level|^level$", re.I)
_SECRET = re.compile(
    r"pass(?:word|wd)?|secret|token|api[_.-]?key|private[_.-]?key|credential", re.I
)
_REFERENCE_KEY = re.compile(r"[_.-](?:name|ref|id|file|path)$", re.I)
_SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
"""A lowercase slug under a key ending in 'secret' names a stored secret: a reference."""
_REFERENCE_VALUE = re.compile(r"^\$\{|^\{\{|^\$[A-Z_]|secretKeyRef|^vault:|^env:|^<", re.I)
_URL_PASSWORD = re.compile(r"://(?P<user>[^:/@\s]+):(?P<password>[^@/\s]+)@")
_REPLICAS = re.compile(r"^(?:replicas|replica[_.-]?count|instances|min[_.-]?replicas)$", re.I)
_VERIFY = re.compile(r"verify(?:[_.-]?(?:ssl|tls|certs?))?$", re.I)
_INSECURE = re.compile(r"insecure|skip[_.-]?tls|disable[_.-]?(?:ssl|tls)", re.I)
_OPEN = re.compile(r"allowed[_.-]?hosts|cors|origins?$", re.I)


@dataclass(frozen=True)
class Setting:
    """One `key: value` line of a configuration file."""

    key: str
    """The key as written (its last part for a nested YAML key)."""
    value: str
    """The value without quotes."""
    line: int
    """1-based line."""


def settings(text: str) -> list[Setting]:
    """Every `key: value` / `key = value` line with a value, comments left out."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0]
        match = _SETTING.match(line)
        if not match or raw.lstrip().startswith(("#", ";", "//")):
            continue
        value = match["value"].strip().strip("\"'")
        if value in ("", "{", "[", "|", ">"):
            continue
        found.append(Setting(match["key"], value, number))
    return found


def _by_key(found: list[Setting]) -> dict[str, Setting]:
    return {s.key: s for s in reversed(found)}  # the first setting of a key wins


def _instead(key: str, other: dict[str, Setting] | None, name: str) -> str:
    if not other or key not in other:
        return ""
    return f" ({name} line {other[key].line} has {key}: {other[key].value})"


def _findings(
    found: list[Setting], other: dict[str, Setting] | None, other_name: str
) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for s in found:
        low = s.value.lower()
        also = _instead(s.key, other, other_name)
        if _DEBUG.search(s.key) and low in _TRUE:
            out.append(
                (
                    s.line,
                    f"{s.key} is {s.value}: debug mode shows stack traces, settings and data to "
                    f"whoever triggers an error, and slows the service; set it to false{also}",
                )
            )
        if _LOG_LEVEL.search(s.key) and low in ("debug", "trace", "all", "verbose"):
            out.append(
                (
                    s.line,
                    f"{s.key} is {s.value}: every request's details (tokens, personal data) go to "
                    f"the logs, and the volume is large; use info or warning{also}",
                )
            )
        url = _URL_PASSWORD.search(s.value)
        named = s.key.lower().endswith("secret") and _SECRET_NAME.match(s.value)
        plain = (
            _SECRET.search(s.key)
            and not _REFERENCE_KEY.search(s.key)
            and not named
            and not _REFERENCE_VALUE.search(s.value)
        ) or (url is not None and not _REFERENCE_VALUE.search(url["password"]))
        if plain:
            refs = sorted(k for k in (other or {}) if k != s.key and _SECRET.search(k))
            like = refs[0] if refs else ""
            where = (
                f" such as {other_name}'s {like} (line {other[like].line})"
                if like and other
                else ""
            )
            what = "a password in its URL" if url else "a secret"
            out.append(
                (
                    s.line,
                    f"{s.key} holds {what} in plain text: anyone who can read the file, the "
                    "repository or its history has it; move it to a secret store and reference "
                    f"it{where}, and change the leaked password",
                )
            )
        if s.key.lower() == "image" or s.key.lower().endswith(("_image", ".image")):
            tag = s.value.rsplit("/", 1)[-1]
            if tag.endswith(":latest") or ":" not in tag and "@" not in tag:
                pinned = ""
                if other and s.key in other and ":" in other[s.key].value.rsplit("/", 1)[-1]:
                    version = other[s.key].value.rsplit(":", 1)[-1]
                    if version != "latest":
                        pinned = (
                            f", such as {version} as {other_name} line {other[s.key].line} does"
                        )
                out.append(
                    (
                        s.line,
                        f"image {s.value} is not pinned: 'latest' moves with every push, so a "
                        "restart can run code nobody reviewed and a rollback has nothing to go "
                        f"back to; pin a version tag{pinned}",
                    )
                )
        if _REPLICAS.search(s.key) and s.value.isdigit() and int(s.value) <= 1:
            out.append(
                (
                    s.line,
                    f"{s.key}: {s.value} is a single copy: one crash, node drain or deploy takes "
                    f"the service down; run at least 2{also}",
                )
            )
        if (_VERIFY.search(s.key) and low in _FALSE) or (_INSECURE.search(s.key) and low in _TRUE):
            out.append(
                (
                    s.line,
                    f"{s.key} is {s.value}: certificates are not checked, so a "
                    "man-in-the-middle can read and change the traffic; turn verification on",
                )
            )
        if _OPEN.search(s.key) and s.value.strip("[]\"' ") == "*":
            out.append(
                (s.line, f"{s.key} is '*': any site or host is allowed; list the ones you serve")
            )
    return out


def check_config(root: Path, path: str, compare: str = "") -> str:
    """Risky settings of a configuration file, and its differences from `compare`."""
    try:
        real, text = read_text(root, path, max_bytes=MAX_CONFIG_BYTES)
        other_real, other_text = (
            read_text(root, compare, max_bytes=MAX_CONFIG_BYTES) if compare.strip() else (None, "")
        )
    except ProjectFileError as err:
        return f"Error: {err}"
    name = relative(root, real)
    other_name = relative(root, other_real) if other_real else ""
    mine = settings(text)
    other = _by_key(settings(other_text)) if other_real else None
    found = _findings(mine, other, other_name)
    flagged = {line for line, _ in found}
    if other is not None:
        for s in mine:
            theirs = other.get(s.key)
            if s.line not in flagged and theirs is not None and theirs.value != s.value:
                found.append(
                    (s.line, f"{s.key} differs: {s.value} here, {theirs.value} in {other_name}")
                )
        keys = {s.key for s in mine}
        missing = sorted(k for k in other if k not in keys)
        for key in missing:
            found.append((0, f"{key} is set in {other_name} (line {other[key].line}) but not here"))
    if not found:
        against = f"; it matches {other_name} apart from names" if other_name else ""
        checked = "debug, log level, plain secrets, image tags, replicas, TLS"
        return f"{name}: no risky settings ({checked}){against}"
    lines = text.splitlines()
    shown = []
    for number, finding in sorted(found, key=lambda f: (f[0] or 10**9, f[1]))[:MAX_FINDINGS]:
        if number:
            shown.append(f"{name}:{number}: {finding} | {clip(lines[number - 1].strip(), 120)}")
        else:
            shown.append(f"{name}: {finding}")
    return "\n".join(shown)


class CheckConfigInput(BaseModel):
    """Arguments of check_config."""

    path: str = Field(min_length=1, description="The configuration file to review.")
    compare: str = Field(
        default="", description="Optional: another configuration to compare with (staging)."
    )


def config_check_tools(root: Path) -> list[BaseTool]:
    """check_config over the project folder `root`."""
    root = Path(root).resolve()

    def check_config_tool(path: str, compare: str = "") -> str:
        return check_config(root, path, compare)

    return [
        StructuredTool.from_function(
            func=check_config_tool,
            name="check_config",
            description=(
                "Review a configuration file (YAML, TOML, .env, INI, JSON) for risky settings: "
                "debug on, debug logging, plain-text passwords or tokens, unpinned 'latest' "
                "images, a single replica, TLS verification off, '*' origins; optionally "
                "compared with a second configuration (staging vs prod)."
            ),
            args_schema=CheckConfigInput,
        )
    ]
