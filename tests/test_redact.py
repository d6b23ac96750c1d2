"""Privacy: the redaction rules, no false positives on ordinary activity, and no planted secret
reaching the state, the memory or a model's request; `local_only` refuses remote backends."""

from __future__ import annotations

import json
import re
import timeit
from pathlib import Path
from typing import Any

import pytest

from backends.llm import chat_model, register_chat_model
from graphs.agent import build_graph
from graphs.context import Context
from memory import open_memory
from nodes.observe import observe
from privacy import RULES, redact
from privacy.redact import card_ok, iban_ok, luhn_ok
from tests.fakes import OpenAICompatibleServer, ScriptedChatModel, agent_json, judge_json

ROOT = Path(__file__).resolve().parents[1]

# Planted secrets: (rule, secret, a sentence holding it). All are fakes or documented examples.
PLANTED = [
    (
        "private_key",
        "-----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEA7bq9x0 -----END RSA PRIVATE KEY-----",
        "The user pastes '{}' into the terminal.",
    ),
    (
        "url_credentials",
        "admin:Sup3rS3cret",
        "The user runs 'git clone https://{}@git.example.org/x'.",
    ),
    (
        "aws_access_key",
        "AKIAIOSFODNN7EXAMPLE",
        "The user types 'aws_access_key_id = {}' in ~/.aws.",
    ),
    ("openai_key", "sk-proj-Abc123def456GHI789jkl012", "The user exports OPENAI_API_KEY={}."),
    ("github_token", "ghp_" + "a1B2c3D4e5" * 4, "The user pastes {} into the token field."),
    ("github_token", "github_pat_11ABCDEFG0123456789_abcdefXYZ", "The user copies {} to CI."),
    ("slack_token", "xoxb-123456789012-abcdefABCDEF", "The user sets SLACK_BOT={} in .env."),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "The user inspects the cookie {} in DevTools.",
    ),
    ("bearer_token", "a9f8e7d6c5b4a3f2e1d0", "curl -H 'Authorization: Bearer {}' shows 401."),
    (
        "secret",
        "hunter2",
        "The user types password=hunter2 into the login form.".replace("hunter2", "{}"),
    ),
    ("secret", "c0rrect-h0rse", "The config shows 'db_passwd: {}' on line 3."),
    ("secret", "my very secret", 'The user edits settings.ini: secret = "{}".'),
    ("email", "jane.doe+work@example.co.uk", "The user writes an e-mail to {} about the bug."),
    ("card_number", "4111 1111 1111 1111", "The user enters the card number {} at checkout."),
    ("card_number", "5500-0000-0000-0004", "The user types {} into the payment form."),
    ("card_number", "378282246310005", "The user reads {} off the Amex card."),
    ("iban", "GB82 WEST 1234 5698 7654 32", "The user copies the IBAN {} into the invoice."),
    ("iban", "DE89370400440532013000", "The user pays to {}."),
    ("phone", "+44 20 7946 0958", "The user dials {} on Zoom."),
]

ORDINARY = [
    "The user opens 'main.py' in Visual Studio Code.",
    "The user runs 'python report.py' and the terminal shows \"ValueError: could not convert "
    "string to float: 'N/A'\".",
    "The user searches on Google for 'pandas to_numeric ignore N/A values'.",
    "The user types 'const token = await getOAuthToken();' into their JavaScript code.",
    "The user types 'token = get_token()' and 'password = os.environ[\"DB_PASSWORD\"]'.",
    "The user reads an article about password managers and API key rotation.",
    "The log shows 'request 1767000000123 finished at 1767000000 after 1234567890123 ns'.",
    "The user scrolls to line 4111 of 'events_20240611.log' (order id 1234567890123456).",
    "The user installs lodash@4.17.21 and @types/node, then runs 'npm test'.",
    "The user decorates the method with @property and @staticmethod.",
    "The user commits 'fix: handle sk-learn pipelines' on branch feature/tokenizer-speedup.",
    "The user opens https://docs.python.org/3/library/re.html#re.sub in Firefox.",
    "The user reads 'Bearer tokens explained' and the Basic authentication section.",
    "The user sets the font size to 14 and the tab width to 4 in settings.json.",
    "The calendar shows 'Team sync, Day 3, 10:30 AM' with +2 attendees.",
    "The user computes 3.14159265358979323 * 2 in the Python REPL.",
    "The user highlights the version string 1.2.3-rc.4+build.5 in the changelog.",
    "The user types git diff HEAD~3 and sees +120 -30 lines changed.",
    "The user renames 'AKIA_notes.txt' to 'aws_notes.txt'.",
    "The tokenizer splits 'secret sauce' into two tokens.",
]


@pytest.mark.parametrize(("rule", "secret", "sentence"), PLANTED)
def test_each_rule_redacts_its_planted_secret(rule: str, secret: str, sentence: str) -> None:
    text = sentence.format(secret)
    result = redact(text)
    assert secret not in result.text
    assert f"[REDACTED:{rule}]" in result.text
    assert (rule, 1) in result.findings
    # The rest of the sentence survives.
    head = sentence.split("{}")[0]
    assert result.text.startswith(head[: max(0, len(head) - 20)])


def test_rule_names_are_unique_and_findings_follow_rule_order() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    text = "mail a@b.io, key AKIAIOSFODNN7EXAMPLE, card 4111111111111111 and c@d.org"
    result = redact(text)
    assert result.findings == [("aws_access_key", 1), ("email", 2), ("card_number", 1)]
    assert result.changed
    assert not redact("nothing here").changed


def test_kept_context_around_secrets() -> None:
    assert redact("password=hunter2").text == "password=[REDACTED:secret]"
    assert redact("Authorization: Bearer abcdef1234567890abcd").text == (
        "Authorization: Bearer [REDACTED:bearer_token]"
    )
    assert redact("https://bob:pw1@db.example.com/x").text == (
        "https://[REDACTED:url_credentials]@db.example.com/x"
    )
    # A token inside an assignment is named for what it is, and counted once.
    result = redact("api_key=sk-abcdefghij1234567890XYZ")
    assert result.text == "api_key=[REDACTED:openai_key]"
    assert result.findings == [("openai_key", 1)]


def test_redaction_is_idempotent() -> None:
    for _, secret, sentence in PLANTED:
        once = redact(sentence.format(secret)).text
        assert redact(once).text == once


@pytest.mark.parametrize("sentence", ORDINARY)
def test_no_false_positives_on_ordinary_activity(sentence: str) -> None:
    result = redact(sentence)
    assert result.findings == []
    assert result.text == sentence


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert card_ok("4111 1111 1111 1111")
    assert not card_ok("1767000000123")  # a millisecond unix time: no card prefix
    assert not card_ok("4111111111111112")  # Visa prefix, bad Luhn
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB83 WEST 1234 5698 7654 32")


def test_unix_times_and_non_luhn_digit_runs_are_not_cards() -> None:
    for i in range(500):
        seconds = 1_000_000_000 + i * 2_000_003  # 2001..2033, as s, ms, us and ns
        for t in (seconds, seconds * 1000 + i, seconds * 1_000_000 + i, seconds * 10**9 + i):
            assert redact(f"The job finished at {t}.").findings == [], t
    kept = 0
    for i in range(1000):
        number = str(4_000_000_000_000_000 + i * 7_919_113_713)  # Visa-prefixed 16 digits
        if not luhn_ok(number):
            kept += 1
            assert redact(f"Order {number} shipped.").findings == [], number
    assert kept > 800  # about 9 in 10 fail the Luhn check and are kept


def test_redaction_is_fast() -> None:
    sentence = ORDINARY[1]
    seconds = timeit.timeit(lambda: redact(sentence), number=2000) / 2000
    assert seconds < 500e-6  # tens of microseconds in practice; generous for slow CI


def test_proactivebench_events_are_not_flagged(bench_data: Path) -> None:
    texts: set[str] = set()
    for line in (bench_data / "reward_data" / "train_data.jsonl").read_text().splitlines():
        if line.strip():
            texts |= {o.get("event") or o.get("text", "") for o in json.loads(line)["obs"]}
    for path in (bench_data / "test_data").glob("*_*.json"):
        texts |= {row["observation"]["event"] for row in json.loads(path.read_text())}
    assert len(texts) > 100
    flagged = {t: redact(t).findings for t in texts if redact(t).findings}
    # Only genuine e-mail addresses may be found in the benchmark's activity sentences.
    assert all(name == "email" for f in flagged.values() for name, _ in f), flagged


def test_docs_list_every_rule() -> None:
    doc = (ROOT / "docs" / "privacy.md").read_text()
    for rule in RULES:
        assert re.search(rf"^\|\s*`{rule.name}`\s*\|", doc, re.MULTILINE), rule.name


# --- through the graph --------------------------------------------------------------------

SECRETS = {
    "email": "jane.doe@example.com",
    "openai_key": "sk-proj-Zz9Yy8Xx7Ww6Vv5Uu4Tt3",
    "password": "hunter2xyz",
    "card": "4111 1111 1111 1111",
    "aws": "AKIAIOSFODNN7EXAMPLE",
}
LEAKY = (
    f"The user pastes 'OPENAI_API_KEY={SECRETS['openai_key']}' and 'password={SECRETS['password']}'"
    f" into the terminal, mails {SECRETS['email']} the card {SECRETS['card']} and the key "
    f"{SECRETS['aws']}; the terminal shows \"ModuleNotFoundError: No module named 'requests'\"."
)


def assert_clean(blob: str) -> None:
    for name, secret in SECRETS.items():
        assert secret not in blob, name
        assert secret.replace(" ", "") not in blob, name


def stored_documents(memory_dir: Path, user: str) -> list[str]:
    entry = open_memory(str(memory_dir))._collection(user, create=False)
    assert entry is not None
    return list(entry.collection.get(include=["documents"])["documents"] or [])


def raw_bytes_under(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


def test_observe_stores_the_redacted_event() -> None:
    from graphs.state import State  # noqa: PLC0415

    update = observe(State(event={"time": 1_767_000_000, "text": LEAKY}))
    [event] = update["events"]
    assert update["event"] == event
    assert_clean(event.text)
    assert "[REDACTED:email]" in event.text and "ModuleNotFoundError" in event.text


def test_no_planted_secret_reaches_state_memory_or_prompt(tmp_path: Path) -> None:
    name = "privacy-agent"
    agent = ScriptedChatModel([agent_json("Explain how to install 'requests'")] * 4)
    judge = ScriptedChatModel([judge_json(True)] * 4)
    register_chat_model(name, agent)
    register_chat_model(name + "-judge", judge)
    memory_dir = tmp_path / "memory"
    ctx = Context(
        agent_backend=f"custom:{name}",
        judge_backend=f"custom:{name}-judge",
        memory_dir=str(memory_dir),
        workspace=str(tmp_path / "ws"),
        user_id="private",
    )
    graph = build_graph()
    config = {"configurable": {"thread_id": "p"}}
    out: dict[str, Any] = {}
    for i, text in enumerate([LEAKY, "The user searches for 'pip install requests'."]):
        out = graph.invoke(
            {"event": {"time": 1_767_000_000 + 30 * i, "text": text}}, config, context=ctx
        )

    # The state: events and everything else in it.
    assert "[REDACTED:openai_key]" in out["events"][0].text
    assert_clean(json.dumps([e.model_dump() for e in out["events"]]))
    assert_clean(repr(graph.get_state(config).values))
    # The memory: the stored documents, what a search returns, and the bytes on disk (the
    # journal of writes waiting for their batch included: they are checked before the flush).
    assert_clean(raw_bytes_under(memory_dir).decode("latin-1"))
    open_memory(str(memory_dir)).flush()
    documents = stored_documents(memory_dir, "private")
    assert any("[REDACTED:email]" in d for d in documents)
    assert_clean("\n".join(documents))
    hits = open_memory(str(memory_dir)).search(user="private", query="terminal card key", k=10)
    assert_clean("\n".join(h.text for h in hits))
    assert_clean(raw_bytes_under(memory_dir).decode("latin-1"))
    # Every conversation the models were shown.
    assert agent.seen and judge.seen
    assert_clean(repr(agent.seen) + repr(judge.seen))
    assert "[REDACTED:card_number]" in repr(agent.seen)


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Any:
    def responder(body: dict[str, Any]) -> dict[str, Any]:
        if "stand in for the person" in body["messages"][0]["content"]:
            return {"content": judge_json(False, "not now")}
        return {"content": agent_json("Explain how to install 'requests'")}

    with OpenAICompatibleServer(responder) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        yield server


def test_no_planted_secret_in_an_outgoing_request(endpoint: Any, tmp_path: Path) -> None:
    ctx = Context(
        agent_backend="openai:test",
        judge_backend="openai:test",
        memory_dir=str(tmp_path / "memory"),
        max_refinements=0,
    )
    build_graph().invoke(
        {"event": {"time": 1_767_000_000, "text": LEAKY}},
        {"configurable": {"thread_id": "o"}},
        context=ctx,
    )
    assert endpoint.requests
    wire = json.dumps(endpoint.requests)
    assert "REDACTED" in wire and "ModuleNotFoundError" in wire
    assert_clean(wire)


# --- local only ---------------------------------------------------------------------------


def test_local_only_refuses_remote_backends() -> None:
    register_chat_model("privacy-any", ScriptedChatModel([]))
    for spec in ("openai:gpt-4o", "custom:privacy-any", "anthropic:claude"):
        with pytest.raises(ValueError, match=r"local_only is set: backend .* remote model"):
            chat_model(spec, local_only=True)
    assert chat_model("custom:privacy-any", local_only=False) is not None


def test_local_only_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROACTIVE_LOCAL_ONLY", "1")
    assert Context().local_only is True
    with pytest.raises(ValueError, match="openai:gpt-4o"):
        chat_model("openai:gpt-4o")


def test_local_only_graph_refuses_remote_and_sends_nothing(endpoint: Any, tmp_path: Path) -> None:
    """The settings are refused when they are made, before any event is handled."""
    settings = {"agent_backend": "openai:test", "memory_dir": str(tmp_path / "m")}
    with pytest.raises(ValueError, match="local_only is set, but agent_backend is 'openai:test'"):
        Context(**settings, local_only=True)
    with pytest.raises(ValueError, match="local_only is set"):
        build_graph().invoke(
            {"event": {"time": 1_767_000_000, "text": LEAKY}},
            {"configurable": {"thread_id": "l"}},
            context={**settings, "local_only": True},
        )
    assert endpoint.requests == []
    assert not (tmp_path / "m").exists()  # nothing was stored either


def test_local_only_graph_allows_local(tmp_path: Path) -> None:
    ctx = Context(memory_dir=str(tmp_path / "m"), local_only=True)
    out = build_graph().invoke(
        {"event": {"time": 1_767_000_000, "text": LEAKY}},
        {"configurable": {"thread_id": "l"}},
        context=ctx,
    )
    assert out["status"] not in ("failed", "observing")
    assert_clean(json.dumps([e.model_dump() for e in out["events"]]))


def test_cli_local_only_flag() -> None:
    from cli.common import make_context  # noqa: PLC0415
    from cli.main import build_parser  # noqa: PLC0415

    args = build_parser().parse_args(["run", "--events", "-", "--local-only"])
    assert make_context(args, "/tmp/x").local_only is True
    args = build_parser().parse_args(["run", "--events", "-"])
    assert make_context(args, "/tmp/x").local_only is False


def test_redact_cli_run_keeps_secrets_out_of_checkpoints_and_memory(tmp_path: Path) -> None:
    """`proactive run` redacts before the graph's input is checkpointed on disk."""
    import json as _json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    secret = "alice.secret@example.org"
    events = tmp_path / "events.jsonl"
    events.write_text(
        _json.dumps({"time": 1_767_000_000, "event": f"The user e-mails {secret} the draft."})
        + "\n"
    )
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", "--events", str(events), "--data-dir", str(data)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout and "[REDACTED:email]" in done.stdout
    for path in data.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


# --- issue 13: redaction before any cut, and disguised or unlabelled secrets ---------------------

CUT_SECRETS = {
    # name: (secret, how many of its characters fall before the 4,000-character cut)
    "github": ("ghp_" + "Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2J3k4", 33),
    "aws": ("AKIAIOSFODNN7EXAMPLE", 14),
    "card": ("4111111111111111", 12),
}


@pytest.mark.parametrize("name", sorted(CUT_SECRETS))
def test_a_secret_across_the_cut_is_redacted_whole(name: str, tmp_path: Path) -> None:
    """An event longer than the 4,000 kept characters with a secret spanning the cut: no part of
    it reaches the checkpoint or the memory (through the real `proactive run`)."""
    import subprocess
    import sys

    from graphs.state import MAX_EVENT_CHARS

    secret, before_cut = CUT_SECRETS[name]
    head = "The user pastes a long log: "
    prefix = head + "x" * (MAX_EVENT_CHARS - before_cut - len(head) - 1)
    text = f"{prefix} {secret} and keeps typing."
    assert text.index(secret) + before_cut == MAX_EVENT_CHARS
    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps({"time": 1_767_000_000, "event": text}) + "\n")
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "run", "--events", str(events), "--data-dir", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    fragment = secret[:before_cut].encode()  # what the cut would have kept of it
    for path in data.rglob("*"):
        if path.is_file():
            assert fragment not in path.read_bytes(), path


DISGUISED = [
    ("zero-width space inside the label", "The user types pass\u200bword=Hunter2024 in .env."),
    ("zero-width joiner inside the value", "The user types password=hun\u200dter2 here."),
    ("full-width letters", "The config shows ｐａｓｓｗｏｒｄ：ｈｕｎｔｅｒ２ on screen."),
    ("German label", "The user notes 'Passwort: geheim123' in the wiki."),
    ("Spanish label", "The user writes contraseña=Secreto99 in the chat."),
    ("Russian label", "The user types пароль: qwerty123 into the form."),
    ("Chinese label", "The user types 密码：abc12345 into the form."),
    ("Japanese label", "The memo says パスワード: hogehoge42."),
    ("space-separated value", "The user says the password is Tr0ub4dor&3 to a colleague."),
    ("space-separated token", "The user pastes token Zx9Yw8Vu7Ts6 into Slack."),
    ("bearer without a digit", "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyzABCDEF'"),
    ("provider key without a digit", "The user exports KEY sk-abcdefghijklmnopqrstuvWXYZ now."),
    ("mysql flag", "The user runs 'mysql -u root -pS3cretPass shop' in the terminal."),
    ("long password flag", "The user runs 'deploy --password Hunter2024 --verbose'."),
    ("sshpass", "The user runs 'sshpass -p Hunter2024 ssh admin@10.0.0.2'."),
    ("docker login", "The user runs 'docker login -u bob -p Hunter2024 registry.io'."),
    ("curl user", "The user runs 'curl -u admin:s3cretpw https://api.example.org/v1'."),
    ("token flag", "The user runs 'gh auth login --token abcdEFGHijklMNOPqrst'."),
    (
        "Slack webhook",
        "The user pastes https://hooks.slack.com/services/T0AB12CD/B0CD34EF/AbCdEfGhIjKlMnOpQrStUvWx.",
    ),
    (
        "Discord webhook",
        "The user opens https://discord.com/api/webhooks/123456789/AbCdEfGhIjKlMnOp.",
    ),
    (
        "Teams webhook",
        "The user copies https://contoso.webhook.office.com/webhookb2/abc-123/IncomingWebhook/xyz.",
    ),
]


@pytest.mark.parametrize(("what", "sentence"), DISGUISED, ids=[d[0] for d in DISGUISED])
def test_disguised_and_unlabelled_secrets_are_redacted(what: str, sentence: str) -> None:
    result = redact(sentence)
    assert result.findings, what
    # What follows the label or flag is gone, whatever its disguise.
    for secret in (
        "Hunter2024",
        "hunter2",
        "geheim123",
        "Secreto99",
        "qwerty123",
        "abc12345",
        "hogehoge42",
        "Tr0ub4dor&3",
        "Zx9Yw8Vu7Ts6",
        "abcdefghijklmnopqrstuvwxyz",
        "S3cretPass",
        "s3cretpw",
        "abcdEFGHijklMNOPqrst",
        "AbCdEfGhIjKlMnOp",
        "IncomingWebhook",
    ):
        assert secret not in result.text.replace("\u200b", "").replace("\u200d", ""), what
