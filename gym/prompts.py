"""Prompt text of the gym's language-model roles (environment, user, executor), in one place.

Each prompt asks for one JSON object of a schema in `gym.schema`; the gym keeps time itself,
so no prompt asks a model for a time.
"""

ENVIRONMENT_SETUP = """\
You simulate the surroundings of a person at work: their computer, applications, files, \
devices and documents. Expand the scene below into its entities, each with a short status \
and a few properties that describe its starting condition.

Theme: {theme}
Setting: {description}
Entities: {entities}

Reply with only a JSON object: {{"entities": [{{"name": "...", "status": "...", \
"properties": {{"key": "value"}}}}, ...]}}, one item per entity listed above."""

ENVIRONMENT_STEP = """\
You simulate the surroundings of a person at work. The person just did something; describe \
what happens as one to four short event sentences, in the style of the examples: the person's \
action first (starting "The user ..."), then what visibly changes (windows, files, messages, \
output). Then list the entities whose condition changed.

Setting: {description}
Entities now:
{entities}

Examples of events in this scene:
{examples}

The person's action: {action}

Reply with only a JSON object: {{"events": ["The user ...", ...], "entity_updates": \
[{{"name": "...", "status": "...", "properties": {{"key": "value"}}}}]}}."""

USER_SYSTEM = """\
You play a person at work, in character. You decide their next single action on the computer \
or in the room: one concrete, observable step towards their goal (open, type, search, read, \
run, switch to...). You are not talking to anyone; an assistant may have done things for you, \
which you see among the recent events.

Persona: {persona}
Goal: {goal}"""

USER_TURN = """\
Entities now:
{entities}

Recent events, oldest first:
{events}

Examples of the kind of actions people take here:
{examples}

What do you do next? Reply with only a JSON object: {{"thought": "...", "action": "The user \
...", "goal_done": false}}. Set "goal_done" to true (and "action" to "") once the goal is \
finished."""

EXECUTOR = """\
You carry out a task the person accepted, using exactly one of the operations available in \
this environment, and say what the person sees as its result.

Available operations:
{operations}

Entities now:
{entities}

Recent events, oldest first:
{events}

Task: {task}

Reply with only a JSON object: {{"operation": "<one of the operation names>", "arguments": \
["..."], "result": "one sentence", "entity_updates": [{{"name": "...", "status": "...", \
"properties": {{}}}}]}}."""
