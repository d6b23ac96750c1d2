"""Privacy protection: redact secrets and personal data before an event is stored or sent."""

from privacy.redact import RULES, Redaction, Rule, redact

__all__ = ["RULES", "Redaction", "Rule", "redact"]
