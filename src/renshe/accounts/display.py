"""Who did it, as pages name a person (操作人): the user's display name, not the username or id.

Timelines and the audit log select the actor's ``users`` row in the same query as their rows
(``LEFT JOIN users``, one query per page) and wrap the columns in :class:`ActorName`, which
becomes text only when the page is rendered, so it follows the page's language. The API gives the
same text (:data:`ActorText`) beside the username or user id it answers with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import msgspec

from renshe.i18n import gettext

# The name the audit log records for work done by no user (scheduler, nightly jobs, syncs).
SYSTEM_USERNAME = "system"

# How the API documents the name (str of an ActorName) it gives beside a username or user id.
ActorText = Annotated[
    str,
    msgspec.Meta(
        description="Who did it, as pages name them: the user's display name (the username when "
        'none is set), prefixed "(deactivated)" for a deactivated user, or "System" for '
        "scheduled work; in the caller's language. Text for people: match on the id or username.",
        examples=["陈美玲"],
    ),
]


@dataclass(frozen=True, slots=True)
class ActorName:
    user_id: UUID | None
    username: str | None  # as recorded (audit log) or as the users row has it
    display_name: str | None  # None: no users row (system, or a name typed at a failed sign-in)
    active: bool | None

    @property
    def is_system(self) -> bool:
        return self.user_id is None and self.username in (None, "", SYSTEM_USERNAME)

    def __str__(self) -> str:
        if self.is_system:
            return gettext("System")
        name = self.display_name or self.username or gettext("Unknown user")
        if self.active is False:
            return gettext("(deactivated) %(name)s") % {"name": name}
        return name


def actor_name(row: Any, prefix: str = "actor_") -> ActorName:
    """``<prefix>user_id``, ``<prefix>username``, ``<prefix>display_name``, ``<prefix>active`` of
    a row or dict (asyncpg records and dicts both have ``get``; missing keys count as None) as an
    :class:`ActorName`."""
    return ActorName(
        user_id=row.get(prefix + "user_id"),
        username=row.get(prefix + "username"),
        display_name=row.get(prefix + "display_name"),
        active=row.get(prefix + "active"),
    )
