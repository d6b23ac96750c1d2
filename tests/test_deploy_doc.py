"""docs/deploy.md's from-scratch block, run as the page writes it (other ports and folders):
PostgreSQL initialised and started, a Chroma server, `proactive serve`, two workers with
`--feedback inbox`, a token, events over HTTP and from a file; the workers take them; the page's
stop block ends it all."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.servers import _free_port, _postgres_bin

pytestmark = pytest.mark.postgres

PAGE = ROOT / "docs" / "deploy.md"


def blocks() -> list[str]:
    """The page's bash blocks of its from-scratch section, in order."""
    text = PAGE.read_text()
    section = text.split("## From scratch", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)


def test_the_from_scratch_block_runs_as_written(tmp_path: Path) -> None:
    if _postgres_bin() is None:
        if os.environ.get("PROACTIVE_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is not installed")
        pytest.skip("PostgreSQL is not installed")
    install, start, stop, _operate = blocks()
    assert "pip install -e" in install and "postgresql" in install
    # Not under pytest's own folder (0700): as root, PostgreSQL runs as postgres and must reach it.
    srv = Path(tempfile.mkdtemp(prefix="proactive-deploy-", dir="/tmp"))
    srv.chmod(0o755)
    ports = {"PGPORT": _free_port(), "CHROMA_PORT": _free_port(), "HTTP_PORT": _free_port()}
    env = {**os.environ, "SRV": str(srv), **{k: str(v) for k, v in ports.items()}}
    env.pop("PROACTIVE_DB", None)
    script = f"set -e\n{start}\n"
    script += 'echo "TOKEN=$TOKEN"\necho "DB=$PROACTIVE_DB"\n'
    try:
        done = subprocess.run(
            ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stdout + done.stderr
        out = done.stdout
        assert '"ok":true' in out.replace(" ", "") and '"database":"ok"' in out.replace(" ", "")
        assert '"appended":1' in out.replace(" ", "")
        token = re.search(r"^TOKEN=(pa_\S+)$", out, flags=re.M)
        assert token, out
        base = f"http://127.0.0.1:{ports['HTTP_PORT']}"

        def threads() -> dict[str, dict]:
            request = urllib.request.Request(
                base + "/threads", headers={"Authorization": f"Bearer {token.group(1)}"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                return {t["thread"]: t for t in json.loads(response.read())["threads"]}

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen = threads()
            if set(seen) == {"ana-laptop", "ana-notes"} and all(
                t["taken"] == t["received"] == 1 for t in seen.values()
            ):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the workers did not take the events: {threads()}")
        logs = {p.name: p.read_text() for p in (srv / "logs").iterdir()}
        assert "worker-1.log" in logs and "worker-2.log" in logs
        assert all("Traceback" not in text for text in logs.values()), logs
    finally:
        # The page's own stop block (with the start block's variables).
        prelude = start.split("export PROACTIVE_DB", 1)[0]
        stopped = subprocess.run(
            ["bash", "-c", f"{prelude}\n{stop}"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    deadline = time.monotonic() + 60  # a worker finishes the event at hand first
    while time.monotonic() < deadline:
        left = subprocess.run(["pgrep", "-af", str(srv)], capture_output=True, text=True)
        if not left.stdout.strip():
            break
        time.sleep(0.5)
    shutil.rmtree(srv, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stderr
    assert left.stdout.strip() == "", f"left running: {left.stdout}"
