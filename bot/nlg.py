"""Response templates filled with facts from knowledge/, inside the Rasa server.

Rasa's templated NLG fills `{placeholders}` from slots and from the values an
action sends. This subclass adds values computed from the knowledge files
themselves, for the responses that must never depend on the action server:
the emergency reply names the local children's social care route for the
practitioner's area and the time of day (`{emergency_local_route}`), so 999
and the local route come out of the Rasa process alone, even when the action
server is down or hung and even when the knowledge database is missing.

Configured in endpoints.yml (Rasa's supported way to plug in an NLG)::

    nlg:
      type: bot.nlg.KnowledgeNLG

The knowledge is read once, from the YAML files (not the database), when the
server starts. If it cannot be read, the placeholders get a plain fallback
that still tells the practitioner what to do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import render
from bot.clock import now
from bot.knowledge.snapshot import Snapshot
from bot.knowledge.models import Area, Route, normalise
from bot.knowledge.store import plan_contacts
from bot.paths import KNOWLEDGE_DIR

logger = logging.getLogger(__name__)

LOCAL_ROUTE = "emergency_local_route"
# When the knowledge files cannot be read at all (a broken checkout).
NO_KNOWLEDGE_ROUTE = (
    "Then tell your local children's social care front door, and talk to your "
    "safeguarding lead or manager."
)


@dataclass(frozen=True)
class EmergencyFacts:
    """What the emergency reply needs: the areas and the national routes."""

    areas: tuple[Area, ...]
    national: Mapping[str, Route]

    @classmethod
    def load(cls, knowledge_dir: Path) -> EmergencyFacts | None:
        """The facts, or None (logged) when the knowledge files cannot be read."""
        try:
            knowledge = Snapshot(knowledge_dir).records
        except Exception as error:  # noqa: BLE001 - the emergency reply must still be sent
            logger.error("nlg: cannot read knowledge from %s (%s)", knowledge_dir, type(error).__name__)
            return None
        return cls(knowledge.areas, {route.key: route for route in knowledge.national})

    def area(self, value: Any) -> Area | None:
        """The area an id, name or alias names (the slot holds an id)."""
        if not isinstance(value, str) or not value.strip():
            return None
        wanted = normalise(value)
        for area in self.areas:
            if wanted in {normalise(name) for name in (area.id, area.name, *area.aliases)}:
                return area
        return None

    def local_route(self, area: Area | None) -> dict[str, Any]:
        """The local part of the emergency reply: text, and area buttons when the area is unknown."""
        plan = plan_contacts(area, self.national, now())
        return render.emergency_route(plan, sorted(self.areas, key=lambda a: a.name))


def area_of(tracker: DialogueStateTracker, facts: EmergencyFacts) -> Area | None:
    """The area named in this message, else the conversation's area slot."""
    for entity in tracker.latest_message.entities if tracker.latest_message else []:
        if entity.get("entity") == "area":
            area = facts.area(entity.get("value"))
            if area is not None:
                return area
    return facts.area(tracker.get_slot("area"))


class KnowledgeNLG(TemplatedNaturalLanguageGenerator):
    """The domain's response templates, plus `{emergency_local_route}` from knowledge/."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        knowledge_dir: Path | None = None,
    ) -> None:
        domain = domain or Domain.empty()
        super().__init__(domain.responses)
        settings = endpoint_config.kwargs if endpoint_config is not None else {}
        directory = knowledge_dir or Path(settings.get("knowledge_dir") or KNOWLEDGE_DIR)
        self.facts = EmergencyFacts.load(directory)

    def _uses_route(self, utter_action: str) -> bool:
        # Read at each call: Rasa replaces `self.responses` when it loads a model.
        return any("{" + LOCAL_ROUTE + "}" in str(v.get("text", "")) for v in self.responses.get(utter_action, ()))

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        if not self._uses_route(utter_action):
            return await super().generate(utter_action, tracker, output_channel, **kwargs)
        local: dict[str, Any] = {"text": NO_KNOWLEDGE_ROUTE}
        if self.facts is not None:
            try:
                local = self.facts.local_route(area_of(tracker, self.facts))
            except Exception as error:  # noqa: BLE001 - never lose the 999 line
                logger.error("nlg: cannot work out the local emergency route (%s)", type(error).__name__)
        response = await super().generate(
            utter_action, tracker, output_channel, **{**kwargs, LOCAL_ROUTE: local["text"]}
        )
        if response is not None and local.get("buttons"):
            response["buttons"] = [*(response.get("buttons") or []), *local["buttons"]]
        return response
