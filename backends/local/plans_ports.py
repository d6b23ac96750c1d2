"""review of a compose file's port mappings against the port the service really listens on.

`ports: - "8080:80"` sends the host's 8080 to port 80 inside the container; when the image's
Dockerfile says `EXPOSE 8000` and its code runs `app.run(port=8000)`, nothing answers on 80
and the browser gets "connection reset". The listening port is read from the service's own
Dockerfile (EXPOSE, a `--port`/`--bind` in CMD) and from the code under its build folder.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from backends.local.plans import Work

_MAPPING = re.compile(
    r"""^\s*-\s*["']?(?:[\d.]+:)?(?P<host>\d{2,5}):(?P<container>\d{2,5})(?:/\w+)?["']?\s*$"""
)
_SERVICE = re.compile(r"^(?P<indent> {2,4}|\t)(?P<name>[\w.-]+):\s*$")
_BUILD = re.compile(r"^\s+(?:build|context):\s*['\"]?(?P<dir>[\w./-]+)['\"]?\s*$")
_EXPOSE = re.compile(r"^\s*EXPOSE\s+(?P<ports>\d+(?:/\w+)?(?:\s+\d+(?:/\w+)?)*)", re.I)
_CMD_PORT = re.compile(r"(?:--port[=\s\"',]+|--bind[=\s\"',]+[\w.]*:|-b[\s\"',]+[\w.]*:)(\d{2,5})")
_CODE_PORT = re.compile(r"\bport\s*=\s*(\d{2,5})\b")
_HIT = re.compile(r"^(?P<path>[^\s:][^:\n]*):(?P<line>\d+): ?(?P<text>.*)$")
_READ_CAP = 400


def port_findings(work: Work, target: str) -> list[str]:
    """Each mapping of `target` whose container port is not the one its service listens on."""
    numbered = _read(work, target)
    if not numbered or not any("ports:" in t for t in numbered.values()):
        return []
    folder = target.rsplit("/", 1)[0] + "/" if "/" in target else ""
    mappings: list[tuple[int, str, str, str, str]] = []  # line, text, host, container, build
    build = ""
    in_services = False
    service_indent: int | None = None
    for number in sorted(numbered):
        text = numbered[number]
        if re.match(r"^services:\s*$", text):
            in_services = True
            continue
        head = _SERVICE.match(text)
        if in_services and head:
            indent = len(head["indent"])
            service_indent = indent if service_indent is None else service_indent
            if indent == service_indent:
                build = ""  # a new service: its own build folder follows
        built = _BUILD.match(text)
        if built and built["dir"] != "true":
            build = built["dir"]
        mapped = _MAPPING.match(text)
        if mapped and build:
            mappings.append((number, text.strip(), mapped["host"], mapped["container"], build))
    found: list[str] = []
    for number, text, host, container, build in mappings:
        base = _joined(folder, build)
        listens = _listening(work, base)
        ports = sorted({p for p, _ in listens})
        if not ports or container in ports or len(ports) != 1:
            continue
        evidence = "; ".join(where for _, where in listens[:3])
        before, _, after = text.lstrip("- ").strip().rpartition(f":{container}")
        fixed = f"{before}:{ports[0]}{after}"  # the container port is the last one
        found.append(
            f"`{target}` line {number}: {text.lstrip('- ')} sends host port {host} to port "
            f"{container} in the container, but the service listens on {ports[0]} ({evidence}), "
            f"so nothing answers on {host}; map it as {fixed}"
        )
    return found


def _joined(folder: str, build: str) -> str:
    """The build folder relative to the project root ('' for the root)."""
    parts: list[str] = []
    for part in (folder + build).split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _listening(work: Work, base: str) -> list[tuple[str, str]]:
    """(port, where it is said) from the build folder's Dockerfile and code, in that order."""
    prefix = f"{base}/" if base else ""
    dockerfile = f"{prefix}Dockerfile"
    said: list[tuple[str, str]] = []
    for number, text in sorted(_read(work, dockerfile).items()):
        exposed = _EXPOSE.match(text)
        ports = exposed["ports"].split() if exposed else []
        ports += (
            _CMD_PORT.findall(text) if text.lstrip().upper().startswith(("CMD", "ENTRY")) else []
        )
        for port in ports:
            said.append((port.split("/")[0], f"`{dockerfile}` line {number}: {text.strip()}"))
    for hit in (work.output("search_text", text="port") or "").splitlines():
        match = _HIT.match(hit)
        if not match or not match["path"].startswith(prefix) or not match["path"].endswith(".py"):
            continue
        for port in _CODE_PORT.findall(match["text"]):
            where = f"`{match['path']}` line {match['line']}: {match['text'].strip()}"
            said.append((port, where))
    return said


def _read(work: Work, path: str) -> dict[int, str]:
    shown = work.output("read_lines", path=path, start=1, end=_READ_CAP) or ""
    numbered: dict[int, str] = {}
    for line in shown.splitlines():
        match = re.match(r"^(\d+): ?(.*)$", line)
        if match:
            numbered[int(match.group(1))] = match.group(2)
    return numbered
