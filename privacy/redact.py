"""Redact secrets and personal data from an event sentence, by an ordered, documented rule set.

Every incoming event passes through :func:`redact` in the ``observe`` node, so the event kept
in the graph state, the vector memory and every prompt sent to a model only ever see the
redacted text. Each match is replaced by ``[REDACTED:<rule>]`` (for a few rules a harmless
prefix such as ``password=`` or ``Bearer`` is kept, so the sentence still reads naturally).

The rules run in the order of :data:`RULES`: specific token formats first (so an API key in
``api_key=sk-...`` is named for what it is), then generic ``password=...`` assignments, then
personal data. Card numbers must pass the Luhn check and start with a card network's prefix,
and IBANs must pass the ISO 13616 mod-97 check, so ordinary digit runs (unix times, ids, line
numbers) are left alone. See docs/privacy.md for the table and what is not caught.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

PLACEHOLDER = "[REDACTED:{rule}]"
"""What a redacted span becomes; ``{rule}`` is the rule's name."""


def placeholder(rule: str) -> str:
    """The text that replaces a match of ``rule``."""
    return PLACEHOLDER.format(rule=rule)


@dataclass(frozen=True)
class Redaction:
    """The redacted text and what was found: ``(rule, count)`` in rule order."""

    text: str
    findings: list[tuple[str, int]]

    @property
    def changed(self) -> bool:
        """True when anything was redacted."""
        return bool(self.findings)


@dataclass(frozen=True)
class Rule:
    """One redaction rule: a pattern, and how a match is replaced."""

    name: str
    """Short name, used in the placeholder ``[REDACTED:<name>]``."""
    description: str
    """What it matches (one line, for the documentation)."""
    pattern: re.Pattern[str]
    """The pattern; a match is replaced by :meth:`replace`."""
    triggers: tuple[str, ...] = ()
    """Cheap substring tests: when none occurs in the text the pattern is not run."""
    fold_triggers: bool = False
    """Test the triggers against the lower-cased text (for case-insensitive rules)."""
    keep_group: str | None = None
    """A named group kept before the placeholder (e.g. ``password=`` or ``Bearer ``)."""
    check: Callable[[str], bool] | None = None
    """An extra validation of the matched text (Luhn, mod-97): a match failing it is kept."""

    def apply(self, text: str) -> tuple[str, int]:
        """``text`` with this rule's matches replaced, and how many were."""
        haystack = text.lower() if self.fold_triggers else text
        if self.triggers and not any(t in haystack for t in self.triggers):
            return text, 0
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            if self.check is not None and not self.check(match.group("secret")):
                return match.group(0)
            count += 1
            kept = match.group(self.keep_group) if self.keep_group else ""
            return f"{kept}{placeholder(self.name)}"

        new = self.pattern.sub(replace, text)
        return new, count


def luhn_ok(number: str) -> bool:
    """True when the digits of ``number`` pass the Luhn checksum."""
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_CARD_PREFIX = re.compile(
    r"^(?:4\d{12}(?:\d{3}){0,2}"  # Visa: 13, 16 or 19 digits
    r"|(?:5[1-5]\d{2}|222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)\d{12}"  # Mastercard
    r"|3[47]\d{13}"  # American Express
    r"|3(?:0[0-5]|[689]\d)\d{11,16}"  # Diners Club
    r"|(?:6011|65\d{2}|64[4-9]\d)\d{12,15}"  # Discover
    r"|35(?:2[89]|[3-8]\d)\d{12,15}"  # JCB
    r"|62\d{14,17})$"  # UnionPay
)


def card_ok(number: str) -> bool:
    """True for a payment card number: a card network's prefix and length, and the Luhn check."""
    digits = "".join(c for c in number if c.isdigit())
    return bool(_CARD_PREFIX.match(digits)) and luhn_ok(digits)


def iban_ok(candidate: str) -> bool:
    """True when ``candidate`` is an IBAN with a valid ISO 13616 mod-97 check."""
    iban = candidate.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def phone_ok(candidate: str) -> bool:
    """True for an international phone number: 8 to 15 digits (E.164)."""
    return 8 <= sum(c.isdigit() for c in candidate) <= 15


def token_like(candidate: str) -> bool:
    """True for a credential-looking string: a digit in it, or 20+ characters mixing upper and
    lower case (a random key), or 24+ characters with URL-safe punctuation inside."""
    if any(c.isdigit() for c in candidate):
        return True
    body = candidate.rstrip("=")
    if len(body) >= 20 and any(c.isupper() for c in body) and any(c.islower() for c in body):
        return True
    return len(body) >= 24 and any(c in "._~+/-" for c in body.strip("._~+/-"))


_PASSWORD_WORDS = (
    r"passwort|kennwort|contraseña|contrasena|mot de passe|senha|wachtwoord|hasło|haslo"
    r"|lösenord|losenord|adgangskode|passord|salasana|şifre|sifre|heslo|jelszó|jelszo"
    r"|parola d'ordine|пароль|密码|密碼|口令|パスワード|비밀번호|كلمة المرور|סיסמה|पासवर्ड"
)
"""'password' in other languages and scripts (matched after NFKC normalisation)."""

_KEY_NAMES = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey"
    rf"|access[_-]?key|auth[_-]?key|private[_-]?key|credentials?|{_PASSWORD_WORDS})"
)
_CODE_WORDS = (
    r"(?:await|new|null|nil|None|true|false|True|False|undefined|os|process|self|this|env"
    r"|input|getpass|function|lambda|req|request|response|res|config|settings)"
)
"""Unquoted values that are code, not a secret (``token = await getToken()``)."""
_KEY_TRIGGERS = (
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "credential",
    "kennwort",
    "contrase",
    "senha",
    "wachtwoord",
    "hasło",
    "haslo",
    "lösenord",
    "losenord",
    "adgangskode",
    "salasana",
    "şifre",
    "sifre",
    "heslo",
    "jelsz",
    "parola",
    "пароль",
    "密码",
    "密碼",
    "口令",
    "パスワード",
    "비밀번호",
    "كلمة المرور",
    "סיסמה",
    "पासवर्ड",
)
_VALUE = r"[^\s,;\"'`()\[\]{}]"
"""A character of an unquoted secret value."""

RULES: tuple[Rule, ...] = (
    Rule(
        "private_key",
        "PEM private key blocks (RSA, EC, OPENSSH, PGP, ...), up to the END line or the end",
        re.compile(
            r"(?P<secret>-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?"
            r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$))",
            re.DOTALL,
        ),
        triggers=("PRIVATE KEY",),
    ),
    Rule(
        "url_credentials",
        "user:password@ in a URL (the scheme and host are kept)",
        re.compile(
            r"(?P<keep>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<secret>[^\s/?#@:]+:[^\s/?#@]+)(?=@)"
        ),
        triggers=("://",),
        keep_group="keep",
    ),
    Rule(
        "aws_access_key",
        "AWS access key ids (AKIA..., ASIA..., 20 characters)",
        re.compile(r"\b(?P<secret>(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16})\b"),
        triggers=("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA"),
    ),
    Rule(
        "openai_key",
        "OpenAI / Anthropic style keys: sk-..., sk-proj-..., sk-ant-... (20+ characters, "
        "with a digit or mixed case)",
        re.compile(r"(?<![A-Za-z0-9_-])(?P<secret>sk-[A-Za-z0-9_-]{20,})"),
        triggers=("sk-",),
        check=token_like,
    ),
    Rule(
        "github_token",
        "GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_ and github_pat_",
        re.compile(r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
        triggers=("gh", "github_pat_"),
    ),
    Rule(
        "slack_token",
        "Slack tokens: xoxb-, xoxp-, xoxa-, xoxo-, xoxs-, xoxr-",
        re.compile(r"\b(?P<secret>xox[abposr]-[A-Za-z0-9-]{10,})"),
        triggers=("xox",),
    ),
    Rule(
        "jwt",
        "JSON Web Tokens: eyJ....eyJ....signature",
        re.compile(r"\b(?P<secret>eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)"),
        triggers=("eyJ",),
    ),
    Rule(
        "bearer_token",
        "Bearer / Basic / Token credentials in an Authorization value (16+ characters, with a "
        "digit, or 20+ mixing upper and lower case)",
        re.compile(
            r"(?P<keep>\b(?:[Bb]earer|BEARER|Basic|[Tt]oken)\s+)"
            r"(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)"
        ),
        triggers=("earer", "EARER", "Basic", "oken"),
        keep_group="keep",
        check=token_like,
    ),
    Rule(
        "webhook_url",
        "webhook URLs that carry their own secret: Slack, Discord, Microsoft Teams, Zapier, and "
        "any .../webhook(s)/<8+ characters> (the scheme and host are kept)",
        re.compile(
            r"(?P<keep>\bhttps?://(?:hooks\.slack\.com/(?:services|workflows|triggers)/"
            r"|(?:[\w-]+\.)?discord(?:app)?\.com/api/webhooks/"
            r"|[\w.-]*webhook\.office\.com/webhookb2/"
            r"|hooks\.zapier\.com/hooks/catch/"
            r"|[\w.-]+(?::\d+)?(?:/[\w.-]+)*/webhooks?/))"
            r"(?P<secret>[A-Za-z0-9/_@.+=-]{8,})"
        ),
        triggers=("hook",),
        keep_group="keep",
    ),
    Rule(
        "password_flag",
        "passwords and tokens given to a command as --password=..., --token ..., mysql -pSECRET, "
        "sshpass -p / docker login -p SECRET (the flag is kept)",
        re.compile(
            r"(?P<keep>--(?:password|passwd|pass|pwd|token|api[_-]?key|apikey|secret"
            r"|client[_-]secret|auth[_-]token|access[_-]token)(?:=|[ \t]+)"
            r"|\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b[^'\"`\n]*?[ \t]-p"
            r"|\b(?:sshpass|docker[ \t]+login|podman[ \t]+login|nerdctl[ \t]+login)\b"
            r"[^'\"`\n]*?[ \t]-p[ \t]*)"
            rf"(?P<secret>(?!-|\[REDACTED){_VALUE}+)",
            re.IGNORECASE,
        ),
        triggers=("--", "mysql", "mariadb", "sshpass", "login"),
        fold_triggers=True,
        keep_group="keep",
    ),
    Rule(
        "user_password_flag",
        "user:password given to curl / wget / http clients with -u or --user (the user is kept)",
        re.compile(
            r"(?P<keep>(?<!\S)(?:-u|--user|--proxy-user)(?:=|[ \t]+)[^:\s'\"`]+:)"
            rf"(?P<secret>(?!\[REDACTED){_VALUE}+)"
        ),
        triggers=("-u", "--user", "--proxy-user"),
        keep_group="keep",
    ),
    Rule(
        "secret",
        "password / passwd / pwd / secret / token / api_key ... = or : followed by a value "
        "(the name is kept)",
        re.compile(
            rf"(?P<keep>{_KEY_NAMES}[\"']?\s*(?:=|:)\s*)"
            r"(?P<secret>(?!\[REDACTED)(?:\"[^\"]+\"|'[^']+'"
            rf"|(?!{_CODE_WORDS}\b|[A-Za-z_]\w*\()[^\s,;\"'()\[\]{{}}]+))",
            re.IGNORECASE,
        ),
        triggers=_KEY_TRIGGERS,
        fold_triggers=True,
        keep_group="keep",
    ),
    Rule(
        "secret_spaced",
        "a password / token / key ... word followed, after a space (or 'is'), by a value that "
        "looks like a secret: 6+ characters with a digit or a symbol (the words are kept)",
        re.compile(
            rf"(?P<keep>{_KEY_NAMES}[\"']?[ \t]+(?:(?:is|was|ist|es|est|é|è|是|は)[ \t]+)?)"
            rf"(?P<secret>(?!\[REDACTED|{_CODE_WORDS}\b)"
            rf"(?=[^\s]*[\d!#$%&*+=?@^_~|\\/<>])(?:{_VALUE}){{5,}}(?<![.:!?]))",
            re.IGNORECASE,
        ),
        triggers=_KEY_TRIGGERS,
        fold_triggers=True,
        keep_group="keep",
    ),
    Rule(
        "email",
        "e-mail addresses",
        re.compile(
            r"(?<![A-Za-z0-9._%+-])(?P<secret>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+"
            r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b"
        ),
        triggers=("@",),
    ),
    Rule(
        "card_number",
        "payment card numbers (13-19 digits, spaces or dashes allowed) with a card network's "
        "prefix that pass the Luhn check",
        re.compile(r"(?<![\d.,-])(?P<secret>\d(?:[ -]?\d){12,18})(?![\d-]|[.,]\d)"),
        check=card_ok,
    ),
    Rule(
        "iban",
        "IBANs (country code, check digits, account) that pass the mod-97 check",
        re.compile(r"\b(?P<secret>[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b"),
        check=iban_ok,
    ),
    Rule(
        "phone",
        "international phone numbers written with a leading + (8-15 digits)",
        re.compile(
            r"(?<![\w+])(?P<secret>\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,4}){2,4})(?!\d)"
        ),
        triggers=("+",),
        check=phone_ok,
    ),
)
"""The rule set, in the order it is applied."""


def normalise(text: str) -> str:
    """The text as the rules read it: Unicode NFKC (full-width letters, ligatures and other
    look-alikes become plain ones) without format characters (zero-width spaces and joiners,
    soft hyphens), so a disguised label or secret still matches."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")


def redact(text: str) -> Redaction:
    """``text`` with every secret and personal datum replaced by ``[REDACTED:<rule>]``.

    The rules run on the normalised text (:func:`normalise`). When something is found, the
    normalised text with its redactions is returned; otherwise the text is returned unchanged.
    """
    findings: list[tuple[str, int]] = []
    work = normalise(text)
    for rule in RULES:
        work, count = rule.apply(work)
        if count:
            findings.append((rule.name, count))
    return Redaction(text=work if findings else text, findings=findings)
