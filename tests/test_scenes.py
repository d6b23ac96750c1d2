"""Scene files (validation, `proactive scenes check`) and scene generation (`scenes generate`)
with scripted chat models and through the real OpenAI client against a local server."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from backends.llm import register_chat_model
from cli.main import main
from gym.generate import MAX_EVENTS, generate_scenes, scene_messages
from gym.scenes import SceneError, load_scenes, load_seeds
from tests.fakes import OpenAICompatibleServer, ScriptedChatModel

SEEDS = {
    "codingassistant": {
        "tasks": ["Write a tiny parser for dates in log lines.", "Fix the flaky unit test."],
        "sample_events": ["The user opens the editor.", "The user runs the tests again."],
    },
    "dailyassistant": {
        "tasks": ["Plan a weekend hike with friends."],
        "sample_events": ["The user checks the weather forecast."],
    },
}
TASKS = [t for family in SEEDS.values() for t in family["tasks"]]


def scene_dict(goal: str, theme: str = "Test Bench", events: int = 12) -> dict[str, Any]:
    return {
        "environment": {
            "theme": theme,
            "description": "A quiet desk with a laptop and a second screen.",
            "entities": ["Laptop", "Editor", "Browser"],
            "agent_ops": ["search_docs(query)", "open_file(path)"],
            "events_example": [f"The user does step {i}." for i in range(1, events + 1)],
        },
        "user": {"description": "Sam, 30, careful and curious.", "goal": goal},
    }


def scene_json(goal: str, theme: str = "Test Bench", events: int = 12) -> str:
    return json.dumps(scene_dict(goal, theme, events))


@pytest.fixture
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "seeds.yaml"
    path.write_text(yaml.safe_dump(SEEDS), encoding="utf-8")
    return path


def scripted(name: str, replies: list[str]) -> ScriptedChatModel:
    model = ScriptedChatModel(replies)
    register_chat_model(name, model)
    return model


def human_texts(conversation: list[Any]) -> str:
    return "\n".join(str(m.content) for m in conversation)


# --- validation -------------------------------------------------------------------------


@pytest.mark.data
def test_shared_good_file_and_seeds_validate(bench_data: Path, capsys: Any) -> None:
    scenes = load_scenes(bench_data / "scenes" / "new_scenes_good.yaml")
    assert len(scenes) == 68
    assert all(s.environment.events_example and s.user.goal for s in scenes)
    seeds = load_seeds(bench_data / "scenes" / "seedtask.yaml")
    assert set(seeds) == {"codingassistant", "writingassistant", "dailyassistant"}
    assert main(["scenes", "check", str(bench_data / "scenes" / "new_scenes_good.yaml")]) == 0
    assert "68 valid scenes" in capsys.readouterr().out


def _missing_goal(tmp: Path) -> Path:
    bad = scene_dict("Second goal")
    del bad["user"]["goal"]
    return _write(tmp, [scene_dict("First goal"), bad])


def _wrong_type(tmp: Path) -> Path:
    bad = scene_dict("Second goal")
    bad["environment"]["entities"] = "Laptop"
    return _write(tmp, [scene_dict("First goal"), bad])


def _extra_key(tmp: Path) -> Path:
    bad = scene_dict("Second goal")
    bad["user"]["mood"] = "happy"
    return _write(tmp, [scene_dict("First goal"), bad])


def _write(tmp: Path, data: Any) -> Path:
    path = tmp / "scenes.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _text(tmp: Path, text: str) -> Path:
    path = tmp / "scenes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_missing_goal, ["scene 1", "user.goal", "Field required"]),
        (_wrong_type, ["scene 1", "'Second goal'", "environment.entities"]),
        (_extra_key, ["scene 1", "user.mood"]),
        (lambda t: _text(t, "- environment:\n    theme: [unclosed\n"), ["not valid YAML at line"]),
        (lambda t: _text(t, "[]\n"), ["non-empty list"]),
        (lambda t: _text(t, ""), ["non-empty list"]),
        (lambda t: _text(t, "theme: not a list\n"), ["non-empty list"]),
        (lambda t: t / "absent.yaml", ["cannot read"]),
        (lambda t: t, ["cannot read"]),
    ],
    ids=[
        "missing-field",
        "wrong-type",
        "extra-key",
        "bad-yaml",
        "empty-list",
        "empty-file",
        "mapping",
        "missing-file",
        "directory",
    ],
)
def test_broken_scene_files(tmp_path: Path, capsys: Any, make: Any, expected: list[str]) -> None:
    path = make(tmp_path)
    with pytest.raises(SceneError) as info:
        load_scenes(path)
    for part in expected:
        assert part in str(info.value)
    assert str(path) in str(info.value)
    assert main(["scenes", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected[0] in err


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    path = _text(tmp_path, "- environment:\n    theme: ok\n  user: {goal: [x\n")
    with pytest.raises(SceneError, match=r"line [34]"):
        load_scenes(path)


def test_check_prints_the_count(tmp_path: Path, capsys: Any) -> None:
    path = _write(tmp_path, [scene_dict("A"), scene_dict("B")])
    assert main(["scenes", "check", str(path)]) == 0
    assert "2 valid scenes" in capsys.readouterr().out


# --- generation with scripted models ------------------------------------------------------


def test_generate_retries_a_malformed_reply_and_skips_a_hopeless_task(
    seed_file: Path, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "new.yaml"
    model = scripted(
        "scenes-mixed",
        [
            scene_json(TASKS[0], events=3),  # too few events: sent back with the error
            "```json\n" + scene_json("a paraphrased goal", theme="Log Parsing") + "\n```",
            "I cannot do that.",  # task 2: never valid, skipped after 1 + 2 retries
            "{not json",
            json.dumps({"environment": {}}),
            scene_json(TASKS[2], theme="Trail Planning", events=MAX_EVENTS + 5),
        ],
    )
    code = main(
        ["scenes", "generate", "--seed", str(seed_file), "--out", str(out)]
        + ["--model", "custom:scenes-mixed"]
    )
    err = capsys.readouterr().err
    assert code == 1  # some scenes failed; the batch still ran to the end
    assert len(model.seen) == 6
    retry = human_texts(model.seen[1])
    assert "could not be used" in retry and "environment.events_example" in retry
    assert TASKS[0] in human_texts(model.seen[0])

    assert "FAILED" in err and "codingassistant" in err and TASKS[1] in err
    assert err.count(" -> ok (") == 2  # one progress line per scene
    assert "[3/3] dailyassistant" in err

    scenes = load_scenes(out)
    assert [s.user.goal for s in scenes] == [TASKS[0], TASKS[2]]  # goal is the seed task
    assert scenes[0].environment.theme == "Log Parsing"
    assert len(scenes[1].environment.events_example) == MAX_EVENTS
    assert not list(tmp_path.glob(".*.tmp"))


def test_generate_resumes_skipping_goals_already_in_out(
    seed_file: Path, tmp_path: Path, capsys: Any
) -> None:
    out = _write(tmp_path, [scene_dict(TASKS[0], theme="Old One"), scene_dict(TASKS[2])])
    model = scripted("scenes-resume", [scene_json(TASKS[1], theme="Flaky Tests")])
    args = ["scenes", "generate", "--seed", str(seed_file), "--out", str(out)]
    assert main([*args, "--model", "custom:scenes-resume"]) == 0
    assert len(model.seen) == 1 and TASKS[1] in human_texts(model.seen[0])
    scenes = load_scenes(out)
    assert [s.user.goal for s in scenes] == [TASKS[0], TASKS[2], TASKS[1]]
    assert "2 already present" in capsys.readouterr().err

    # All goals present: nothing is asked, the file is unchanged.
    before = out.read_text()
    idle = scripted("scenes-idle", [])
    assert main([*args, "--model", "custom:scenes-idle"]) == 0
    assert idle.seen == [] and out.read_text() == before

    # Two per task: one more each, asked for a setting unlike the existing one.
    more = scripted("scenes-more", [scene_json(t, theme=f"New {i}") for i, t in enumerate(TASKS)])
    assert main([*args, "--model", "custom:scenes-more", "--per-task", "2"]) == 0
    assert len(more.seen) == 3
    assert "Old One" in human_texts(more.seen[0])
    assert len(load_scenes(out)) == 6


def test_generate_limit_and_families(tmp_path: Path, seed_file: Path) -> None:
    seeds = load_seeds(seed_file)
    model = ScriptedChatModel([scene_json("x"), scene_json("y")])
    log = io.StringIO()
    result = generate_scenes(
        seeds, model, families=["dailyassistant"], per_task=3, limit=2, log=log
    )
    assert [s.user.goal for s in result.written] == [TASKS[2], TASKS[2]]
    assert log.getvalue().count("\n") == 2  # one progress line per scene
    assert "Test Bench" in human_texts(model.seen[1])  # the second is asked to differ


def test_prompt_shows_family_style_and_the_task(seed_file: Path) -> None:
    seeds = load_seeds(seed_file)
    messages = scene_messages("codingassistant", seeds["codingassistant"], TASKS[0])
    text = human_texts(messages)
    assert TASKS[0] in text and "The user opens the editor." in text
    assert "programming" in text and "JSON" in text


def test_generate_without_model_explains_how_to_get_one(
    seed_file: Path, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "new.yaml"
    assert main(["scenes", "generate", "--seed", str(seed_file), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--model" in err and "OPENAI_BASE_URL" in err and "openai:MODEL" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--families", "codingassistant,nosuch"], "unknown families nosuch"),
        (["--per-task", "0"], "--per-task"),
        (["--model", "custom:never-registered"], "no chat model registered"),
    ],
)
def test_generate_argument_errors(
    seed_file: Path, tmp_path: Path, capsys: Any, extra: list[str], message: str
) -> None:
    args = ["scenes", "generate", "--seed", str(seed_file), "--out", str(tmp_path / "o.yaml")]
    if "--model" not in extra:
        extra = [*extra, "--model", "custom:scenes-unused"]
        scripted("scenes-unused", [])
    assert main(args + extra) == 2
    assert message in capsys.readouterr().err


def test_generate_refuses_a_broken_out_file(seed_file: Path, tmp_path: Path, capsys: Any) -> None:
    out = _text(tmp_path, "- just: a string\n")
    scripted("scenes-unused2", [])
    code = main(
        ["scenes", "generate", "--seed", str(seed_file), "--out", str(out)]
        + ["--model", "custom:scenes-unused2"]
    )
    assert code == 2 and "scene 0" in capsys.readouterr().err
    assert out.read_text() == "- just: a string\n"


# --- generation through the real OpenAI client -------------------------------------------


def scene_responder(body: dict[str, Any]) -> dict[str, Any]:
    """Answers a scene request with a scene for the goal named in the prompt."""
    prompt = body["messages"][-1]["content"]
    lines = prompt.splitlines()
    goal = lines[lines.index(next(x for x in lines if "word for word" in x)) + 1]
    return {"content": scene_json(goal, theme=f"Served {len(goal)}")}


def test_generate_through_openai_compatible_server(
    seed_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    out = tmp_path / "served.yaml"
    with OpenAICompatibleServer(scene_responder) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        code = main(
            ["scenes", "generate", "--seed", str(seed_file), "--out", str(out)]
            + ["--model", "openai:test-model", "--families", "codingassistant"]
        )
    assert code == 0, capsys.readouterr().err
    assert len(server.requests) == 2
    assert {r["model"] for r in server.requests} == {"test-model"}
    assert server.requests[0]["messages"][0]["role"] == "system"
    scenes = load_scenes(out)
    assert [s.user.goal for s in scenes] == TASKS[:2]
    assert scenes[0].environment.theme == f"Served {len(TASKS[0])}"
    # Round trip: what was written loads back to the same scenes.
    again = tmp_path / "again.yaml"
    again.write_text(out.read_text())
    assert load_scenes(again) == scenes


def test_generate_openai_without_credentials_says_what_to_set(
    seed_file: Path, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "o.yaml"
    args = ["scenes", "generate", "--seed", str(seed_file), "--out", str(out)]
    assert main([*args, "--model", "openai:test-model"]) == 2
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err and "OPENAI_BASE_URL" in err
    assert not out.exists()
