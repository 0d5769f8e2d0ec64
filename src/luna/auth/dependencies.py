"""Who is calling. Every route depends on `CurrentCaller`.

Authentication (SPEC §7) is not built yet: every caller is an anonymous caller with full
rights, as with `LUNA_AUTH=off`. The JWT check and the per-route rules plug in here.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID | None
    is_admin: bool


ANONYMOUS_DEVELOPER = Caller(user_id=None, is_admin=True)


def get_current_caller() -> Caller:
    return ANONYMOUS_DEVELOPER


CurrentCaller = Annotated[Caller, Depends(get_current_caller)]
