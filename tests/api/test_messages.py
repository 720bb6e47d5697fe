"""Every message the web shows has its Swedish translation (Swedish is the default)."""

from __future__ import annotations

from api.messages import missing, used_messages


def test_messages_are_found_in_templates_and_routes() -> None:
    used = used_messages()
    assert "Sign in" in used and any(where.startswith("routes/") for where in used.values())


def test_every_message_has_a_swedish_translation() -> None:
    assert missing("sv") == {}
