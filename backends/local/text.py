"""What one activity sentence says: its words, actions, applications and quoted names.

Every embedded model reads events through `read_event`, so the featuriser, the entity extractor
and the drafter agree on what a sentence means. Results are cached by text because the same
event is read again at every later step of a trace.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

# Quoted spans: straight quotes whose opening quote does not follow a letter (so "Katla's"
# and "users'" are apostrophes, not quotes), double quotes, and typographic quotes.
_QUOTED = re.compile(
    r"(?<![\w])'([^'\n]{1,300}?)'(?![\w])"
    r'|"([^"\n]{1,300}?)"'
    r"|\u201c([^\u201d]{1,300}?)\u201d"
    r"|\u2018([^\u2019]{1,300}?)\u2019"
)

FILE_EXTENSIONS = (
    "py rb js ts jsx tsx java kt go rs c h cpp hpp cs swift m r jl php html css scss json yaml "
    "yml toml xml csv tsv txt md rst tex bib ipynb sql sh bat ps1 doc docx odt pdf ppt pptx xls "
    "xlsx ini cfg env lock vue svelte dart lua pl scala patch diff"
).split()
"""Extensions that make a name a file name (web domains such as .org or .io are not files)."""

_EXT = "(?:" + "|".join(FILE_EXTENSIONS) + ")"
# A quoted name may hold spaces ('notes (1).md'); a bare one may not.
_FILE = re.compile(r"((?:[\w.\-]+[/\\])*[\w\-][\w.\-() ]*?\." + _EXT + r")", re.IGNORECASE)
_BARE_FILE = re.compile(
    r"(?<![\w./\\-])((?:[\w.\-]+[/\\])*[\w\-][\w.\-]*?\." + _EXT + r")(?![\w])",
    re.IGNORECASE,
)

# Actions: each is a coarse verb class; an event may carry several ("clicks and types").
ACTION_PATTERNS: dict[str, re.Pattern[str]] = {
    "search": re.compile(
        r"\bsearch\w*|\bgoogled\b|\bquer(?:y|ies)\b|\blook(?:s|ed|ing)? up\b|search (?:bar|box)"
    ),
    "click": re.compile(r"\bclick\w*|\bdouble-click\w*|\btap(?:s|ped)?\b|\binteract\w*"),
    "type": re.compile(r"\btyp(?:e|es|ed|ing)\b|\binputs?\b|\bpress\w*|\bhits? 'enter'|\bkeyboard"),
    "switch": re.compile(r"\bswitch\w*|\breturn\w*|\b(?:goes|went|go|back) (?:back )?to\b"),
    "open": re.compile(r"\bopen\w*|\blaunch\w*|\bnavigat\w*|\bvisit\w*|\bcreat\w*|\bstart\w*"),
    "scroll": re.compile(r"\bscroll\w*"),
    "copy": re.compile(r"\bcop(?:y|ies|ied|ying)\b|ctrl\+c\b|cmd\+?c\b"),
    "paste": re.compile(r"\bpast(?:e|es|ed|ing)\b|ctrl\+v\b|cmd\+?v\b"),
    "read": re.compile(
        r"\bread\w*|\breview\w*|\bview\w*|\bbrows(?:e|es|ed|ing)\b|\bexamin\w*|\bexplor\w*|\bstay\w*"
        r"|\blook\w* (?:at|through|for)\b|\bfocus\w*|\bcheck\w*"
    ),
    "error": re.compile(
        r"\berror\w*|\bexception\w*|\bfail\w*|\bnot found\b|\btraceback\b|\bwarning\w*|\binvalid\b"
    ),
    "run": re.compile(
        r"\bruns?\b|\bran\b|\bexecut\w*|\bcompil\w*|\btest(?:s|ed|ing)?\b|\binstall\w*"
    ),
    "write": re.compile(
        r"\bwrit\w*|\bedit\w*|\bcoding\b|\bupdat\w*|\brecord\w*|\bnotes?\b|\bmodif\w*|\badd\w*"
        r"|\bimplement\w*|\bdraft\w*|\bwork(?:s|ed|ing)? (?:on|in)\b|\bcomplet\w*"
    ),
    "save": re.compile(r"\bsav(?:e|es|ed|ing)\b"),
    "close": re.compile(r"\bclos(?:e|es|ed|ing)\b"),
    "idle": re.compile(
        r"\bidle\b|no specific action|without performing|\binactive\b"
        r"|\bmov(?:e|es|ed|ing) the mouse"
        r"|\bremain\w* active|\bactive on\b|\bpause\w*"
    ),
}
"""Coarse action classes and the wording that signals each."""

ACTIONS = tuple(ACTION_PATTERNS)
"""Action class names in a fixed order."""

# Known applications: canonical display name -> (pattern, category).
_APPS: tuple[tuple[str, str, str], ...] = (
    ("Visual Studio Code", r"visual studio code|vs ?code|code\.exe", "editor"),
    ("PyCharm", r"pycharm", "editor"),
    ("Xcode", r"xcode", "editor"),
    ("IntelliJ IDEA", r"intellij", "editor"),
    ("Sublime Text", r"sublime", "editor"),
    ("Jupyter", r"jupyter", "editor"),
    ("Vim", r"\bvim\b", "editor"),
    (
        "Microsoft Word",
        r"microsoft word|\bms word\b|\bword document\b|\bword\b(?= app| file)",
        "document",
    ),
    ("Google Docs", r"google docs", "document"),
    ("Excel", r"\bexcel\b", "document"),
    ("PowerPoint", r"powerpoint", "document"),
    ("Notion", r"\bnotion\b", "document"),
    ("Overleaf", r"overleaf", "document"),
    ("Google Chrome", r"\bchrome\b", "browser"),
    ("Firefox", r"firefox", "browser"),
    ("Safari", r"\bsafari\b", "browser"),
    ("Microsoft Edge", r"\bedge browser|microsoft edge", "browser"),
    ("Google Search", r"\bgoogle\b(?! docs)", "browser"),
    ("Bing", r"\bbing\b", "browser"),
    ("Stack Overflow", r"stack ?overflow", "browser"),
    ("GitHub", r"github", "browser"),
    ("arXiv", r"arxiv", "browser"),
    ("DeepSeek", r"deepseek", "chat"),
    ("Kimi", r"\bkimi\b", "chat"),
    ("ChatGPT", r"chatgpt", "chat"),
    ("Terminal", r"\bterminal\b|command line|\bconsole\b|\bshell\b|powershell", "terminal"),
    ("Slack", r"\bslack\b", "chat"),
    ("Outlook", r"outlook", "mail"),
    ("Gmail", r"gmail", "mail"),
)
_APP_PATTERNS = tuple((name, re.compile(pat), cat) for name, pat, cat in _APPS)
# Words that place an event in a browser or an editor when no application is named.
_GENERIC_CONTEXT = (
    (
        "browser",
        re.compile(r"\bbrowser\b|\bweb ?page\b|\bwebsite\b|\btab\b|\blink\b|\bsite\b|https?:"),
    ),
    ("editor", re.compile(r"\bcode\b|\beditor\b|\bfile\b|\bscript\b")),
    ("document", re.compile(r"\bdocument\b|\bmarkdown\b|\bnotes?\b|\breport\b")),
)

APP_CATEGORIES = ("editor", "browser", "document", "chat", "terminal", "mail", "other")
"""Kinds of application an event can happen in."""

STOPWORDS = frozenset(
    """a an the and or but if of to in on at for from by with into onto over about as is are was
    were be been being it its this that these those there their them they he she his her you your
    i me my we our us user users user's then than so such also again some any all each more most
    other another new same just only very not no yes can could would should will may might do does
    did done has have had having which who whom what when where while how why one two three
    several multiple various within without through after before up down out off back via""".split()
)
"""Words too common to say anything about a topic."""

_ACTION_WORDS = frozenset(
    """click clicks clicked clicking type types typed typing press presses pressed switch switches
    switched return returns returned open opens opened opening navigate navigates navigated visit
    visits visited scroll scrolls scrolled scrolling read reads reading view views viewed review
    reviews reviewed browse browses browsed browsing search searches searched searching move moves
    moved mouse left right button key keys enter hits hit continue continues continued start starts
    started starting stays stayed remains remained active application app interacts interacted
    interacting performs performed page tab link result results web browser google bing text
    input inputs inputted looks looking look checks checked multiple actions run runs ran
    shows showed displays displayed saves saved opens types works worked again""".split()
)

_ERROR_CONTEXT = re.compile(r"\berror|\bexception|\bwarning|\bfail|\btraceback")
_ERROR_CLAUSE = re.compile(
    r"\berror(?: message)?\s+(?:indicating|saying|stating|that reads|reading|:)\s+"
    r"(?:that\s+)?(.+?)\.?$",
    re.IGNORECASE,
)
_QUERY_BEFORE = re.compile(
    r"(?:search\w*|googl\w*|look\w* up|quer(?:y|ies)|results?(?: pages?)?)\s+"
    r"(?:again\s+|once more\s+)?(?:on \w+\s+|in \w+\s+)?"
    r"(?:for|of|about|related to|regarding|on)?\s*$"
    r"|search\w*\s*$|googl\w*\s*$"
)
_QUERY_AFTER = re.compile(
    r"^\s*(?:in|into|on)\s+(?:the\s+|a\s+)?(?:\w+\s+){0,2}(?:search|address)\s+(?:bar|box|field|page)"
    r"|^\s*(?:google|bing)?\s*search results|^\s*on (?:google|bing)\b"
)
_PAGE_BEFORE = re.compile(
    r"(?:page|link|site|website|article|post|discussion|thread|tab|result|titled|title|"
    r"documentation|video|paper|repository|section|sections|chapter|guide|to|on)\s*(?:on|for|of)?\s*$"
)
_PAGE_AFTER = re.compile(
    r"^\s*(?:page|website|site|article|tab|documentation|web page|blog|thread|section|post)\b"
)
_WORD = re.compile(r"[^\W_]+")


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (Python's `hash()` is salted per run)."""
    return zlib.crc32(text.encode("utf-8"))


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits; CJK runs stay whole)."""
    return _WORD.findall(text.lower())


def content_words(text: str) -> list[str]:
    """Tokens that can name a topic: no stop words, no action words, no bare numbers."""
    return [
        t
        for t in tokens(text)
        if len(t) > 2 and t not in STOPWORDS and t not in _ACTION_WORDS and not t.isdigit()
    ]


@dataclass(frozen=True)
class EventFacts:
    """What one event sentence says, as read by the rules of this module."""

    words: tuple[str, ...]
    """Lower-case content words, quoted text included."""
    shape: tuple[str, ...]
    """All tokens with each quoted span replaced by a role placeholder (<file>, <query>...)."""
    actions: frozenset[str]
    """Action classes the sentence mentions (see ACTIONS)."""
    apps: tuple[str, ...]
    """Known applications named, in order of appearance."""
    app_category: str
    """Where the event happens (see APP_CATEGORIES); 'other' when nothing says."""
    files: tuple[str, ...]
    """File names (with an extension)."""
    queries: tuple[str, ...]
    """Search queries."""
    errors: tuple[str, ...]
    """Error messages."""
    pages: tuple[str, ...]
    """Titles of pages, links, sites and sections."""
    quoted: tuple[str, ...]
    """Every quoted span, whatever its role."""


def _role(text: str, span: str, start: int, end: int) -> str:
    """Decide what a quoted span is from the span itself and the words around it."""
    lowered = text.lower()
    before = lowered[max(0, start - 48) : start]
    after = lowered[end : end + 40]
    if "://" in span or span.lower().startswith("www."):
        return "page"
    if _FILE.fullmatch(span.strip()):
        return "file"
    if any(pattern.fullmatch(span.lower()) for _, pattern, _ in _APP_PATTERNS):
        return "app"
    if _ERROR_CONTEXT.search(before[-28:]) or _ERROR_CONTEXT.search(after[:20]):
        return "error"
    if _QUERY_BEFORE.search(before) or _QUERY_AFTER.search(after):
        return "query"
    if _PAGE_BEFORE.search(before) or _PAGE_AFTER.search(after) or " - " in span or " | " in span:
        return "page"
    return "text"


@lru_cache(maxsize=8192)
def read_event(text: str) -> EventFacts:
    """Read one event sentence (cached: every later step of a trace reads it again)."""
    lowered = text.lower()
    files: list[str] = []
    queries: list[str] = []
    errors: list[str] = []
    pages: list[str] = []
    quoted: list[str] = []
    shape_parts: list[str] = []
    last = 0
    for match in _QUOTED.finditer(text):
        span = next(g for g in match.groups() if g is not None)
        clean = " ".join(span.split()).strip(" .,;:")
        if not clean:
            continue
        quoted.append(clean)
        role = _role(text, clean, match.start(), match.end())
        if role == "file":
            files.append(clean)
        elif role == "error":
            errors.append(clean)
        elif role == "query":
            queries.append(clean)
        elif role == "page":
            pages.append(clean)
        elif _FILE.search(clean):
            # A quoted command or path that contains a file name: keep the file.
            files.extend(m.group(1) for m in _BARE_FILE.finditer(clean))
        shape_parts.append(lowered[last : match.start()])
        shape_parts.append(f" <{role}> ")
        last = match.end()
    shape_parts.append(lowered[last:])
    # File names outside quotes ("named data_analysis.py").
    unquoted = "".join(p for p in shape_parts if not p.startswith(" <"))
    for m in _BARE_FILE.finditer(unquoted):
        name = m.group(1).strip()
        if len(name.split(".")[0]) >= 2 and name not in files:
            files.append(name)
    clause = _ERROR_CLAUSE.search(text)
    if clause and not errors:
        errors.append(clause.group(1).strip(" .'\""))
    apps = tuple(name for name, pattern, _ in _APP_PATTERNS if pattern.search(lowered))
    category = next((cat for name, pattern, cat in _APP_PATTERNS if pattern.search(lowered)), "")
    if not category:
        category = next(
            (cat for cat, pattern in _GENERIC_CONTEXT if pattern.search(lowered)), "other"
        )
    actions = frozenset(
        name for name, pattern in ACTION_PATTERNS.items() if pattern.search(lowered)
    )
    if queries:
        actions |= {"search"}
    if errors:
        actions |= {"error"}
    shape = tuple(
        tok
        for part in shape_parts
        for tok in ([part.strip()] if part.startswith(" <") else tokens(part))
    )
    return EventFacts(
        words=tuple(content_words(text)),
        shape=shape,
        actions=actions,
        apps=apps,
        app_category=category,
        files=tuple(dict.fromkeys(files)),
        queries=tuple(dict.fromkeys(queries)),
        errors=tuple(dict.fromkeys(errors)),
        pages=tuple(dict.fromkeys(pages)),
        quoted=tuple(dict.fromkeys(quoted)),
    )


COMMAND = re.compile(
    r"^(?:python3?|py|pytest|node|npm|npx|deno|bash|sh|zsh|ruby|perl|php|java|go|cargo|make"
    r"|pip3?|uv|poetry|git|cat|less|head|tail|open|code|vim|nano|jq|csvlook|sqlite3|Rscript)\s",
    re.IGNORECASE,
)


def command_files(name: str) -> list[str]:
    """A quoted command line read as a file name ('python app.py data.txt'): the files it
    names; any other name as it is."""
    if not COMMAND.match(name):
        return [name]
    return [t for t in name.split()[1:] if "." in t.strip("./") and not t.startswith("-")]
