"""Who asks in tests: principals of each role, each their own owner."""

from __future__ import annotations

from docent.access import Principal, Role

ASKER = Principal(id="asker-id", username="asker", role=Role.MEMBER)
OTHER = Principal(id="other-id", username="other", role=Role.MEMBER)
ADMIN = Principal(id="admin-id", username="admin", role=Role.ADMIN)
