"""Per-user access tokens for the worker host's HTTP endpoint, stored hashed in PostgreSQL.

A token reads `pa_<id>_<secret>`: the id finds the row, the secret is checked against its
SHA-256 digest (the secret is 32 random bytes, so a fast hash is enough: there is nothing to
guess from it). The secret is shown once, when `proactive token create` makes it, and is not
stored anywhere. A token belongs to one user and can expire or be revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PREFIX = "pa_"


class TokenError(PermissionError):
    """A request without a valid token; the message says what is wrong with it."""


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    user: str
    note: str
    created: datetime
    expires: datetime | None
    revoked: datetime | None

    def state(self, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and self.expires <= now:
            return "expired"
        return "active"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _split(token: str) -> tuple[str, str]:
    parts = token.strip().split("_")
    if len(parts) != 3 or parts[0] + "_" != PREFIX or not parts[1] or not parts[2]:
        raise TokenError("the token is not one this server made (pa_<id>_<secret>)")
    return parts[1], parts[2]


class TokenStore:
    """The tokens of one database (tables created by `EventInbox.setup`)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def create(self, user: str, *, days: float | None = None, note: str = "") -> tuple[str, str]:
        """A new token for `user`, valid for `days` (None: until revoked); returns (id, token).
        The token is shown only here."""
        if not user.strip():
            raise ValueError("a token needs a user")
        if days is not None and not days > 0:
            raise ValueError(f"a token must be valid for more than 0 days, not {days:g}")
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32).replace("_", "-")
        expires = datetime.now(UTC) + timedelta(days=days) if days is not None else None
        with self.conn.cursor() as cur:
            cur.execute(
                "INSERT INTO proactive_tokens (id, user_id, digest, note, expires) "
                "VALUES (%s, %s, %s, %s, %s)",
                (token_id, user, _digest(secret), note, expires),
            )
        return token_id, f"{PREFIX}{token_id}_{secret}"

    def verify(self, token: str | None) -> str:
        """The user a token speaks for; TokenError when it is missing, wrong, expired or
        revoked."""
        if not token:
            raise TokenError("no token: send Authorization: Bearer <token>")
        token_id, secret = _split(token)
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT user_id, digest, expires, revoked, now() AS now "
                "FROM proactive_tokens WHERE id = %s",
                (token_id,),
            )
            row = cur.fetchone()
        if row is None or not hmac.compare_digest(row["digest"], _digest(secret)):
            raise TokenError("the token is wrong")
        if row["revoked"] is not None:
            raise TokenError("the token was revoked")
        if row["expires"] is not None and row["expires"] <= row["now"]:
            raise TokenError("the token has expired")
        return str(row["user_id"])

    def list(self, user: str | None = None) -> list[TokenInfo]:
        with self.conn.cursor() as cur:
            cur.execute(
                "SELECT id, user_id, note, created, expires, revoked FROM proactive_tokens "
                "WHERE %s::text IS NULL OR user_id = %s ORDER BY created, id",
                (user, user),
            )
            return [
                TokenInfo(
                    r["id"], r["user_id"], r["note"], r["created"], r["expires"], r["revoked"]
                )
                for r in cur.fetchall()
            ]

    def revoke(self, token_id: str) -> bool:
        """Revoke a token by its id (or the token itself); False when there is no such one."""
        if token_id.startswith(PREFIX):
            token_id = _split(token_id)[0]
        with self.conn.cursor() as cur:
            cur.execute(
                "UPDATE proactive_tokens SET revoked = coalesce(revoked, now()) WHERE id = %s",
                (token_id,),
            )
            return cur.rowcount > 0
