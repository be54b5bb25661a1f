"""What every input channel does to a practitioner's message before Rasa sees it.

Each channel wraps the ``on_new_message`` callback it receives in
``blueprint()`` with :meth:`MessageGuard.wrap`. The guard

* sanitises and redacts the text, so that identifying details never reach
  the tracker store or the logs; only the *kinds* found go into the message
  metadata (``{"redacted": ["date", "name"], "truncated": false}``), and the
  practitioner is sent the privacy notice after the replies (never before a
  999 reply);
* answers empty input itself, without calling Rasa;
* passes a button payload (``/intent{...}``) through unchanged only when it is
  one the assistant has just offered (a button of its latest reply, looked up
  in the tracker store) or one the channel itself produced (a Teams card
  press); any other payload, typed by hand, is turned into plain words and
  redacted like any text, so nothing typed reaches a slot or an entity
  unredacted;
* sends the safe reply (apology, 999, NSPCC helpline, safeguarding lead) when
  processing raises, sends nothing, or misses the deadline.

The texts come from ``knowledge/safety/fallback.yml`` and
``knowledge/safety/privacy.yml``, read once when the channel is created, so the
guard works with no knowledge database and no action server. Nothing here logs
message text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered

from bot.stores import latest_turn_events

import bot.logs
import bot.redaction
import bot.sanitise
from bot.paths import KNOWLEDGE_DIR

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
# The payloads the assistant offered a conversation in its latest reply.
OffersFn = Callable[[str], Awaitable[Collection[str]]]

# Metadata a channel sets on a message whose text it built from a button press
# itself (Teams card actions), rather than from what the user typed.
CHANNEL_PAYLOAD = "channel_payload"

DEFAULT_DEADLINE_SECONDS = 8.0

# Last resort only, when the YAML files cannot be read: the emergency route
# must survive even a broken checkout.
BUILT_IN_SAFE_REPLY = "Sorry, I can't answer right now. If a child is in immediate danger, call 999."
BUILT_IN_EMPTY_PROMPT = "Please type your question."
BUILT_IN_PRIVACY_NOTICE = (
    "Please do not type names, dates of birth, addresses or other details "
    "that could identify a child or family."
)

# Rasa's own payload syntax: /intent, optional @confidence, optional JSON entities.
_PAYLOAD = re.compile(r"/[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:@[0-9.]+)?(?P<entities>\{.*\})?", re.DOTALL)


class CleanedText(Protocol):
    """What ``bot.sanitise.clean`` returns (only the parts the guard reads)."""

    @property
    def text(self) -> str: ...

    @property
    def truncated(self) -> bool: ...

    @property
    def empty(self) -> bool: ...


class RedactedText(Protocol):
    """What ``bot.redaction.redact`` returns (only the parts the guard reads)."""

    @property
    def text(self) -> str: ...

    @property
    def kinds(self) -> Collection[str]: ...


CleanFn = Callable[[str], CleanedText]
RedactFn = Callable[[str], RedactedText]


@dataclass(frozen=True)
class SafetyTexts:
    """The replies a channel gives on its own, without Rasa."""

    safe_reply: str
    empty_prompt: str
    privacy_notice: str

    @classmethod
    def built_in(cls) -> SafetyTexts:
        return cls(BUILT_IN_SAFE_REPLY, BUILT_IN_EMPTY_PROMPT, BUILT_IN_PRIVACY_NOTICE)


@dataclass(frozen=True)
class Prepared:
    """A message made safe to hand to Rasa."""

    text: str
    empty: bool
    redacted: tuple[str, ...] = ()
    truncated: bool = False

    def metadata(self) -> dict[str, Any]:
        """Kinds only, never values: this is stored in the tracker."""
        return {"redacted": list(self.redacted), "truncated": self.truncated}


def default_knowledge_dir() -> Path:
    """``knowledge/`` of this checkout, whatever directory Rasa was started from."""
    return KNOWLEDGE_DIR


def load_safety_texts(knowledge_dir: Path) -> SafetyTexts:
    """Reads the safe reply, empty-input prompt and privacy notice; never raises: a part
    that does not load (the build refuses it, naming the field) gives the built-in text."""
    from bot.knowledge.snapshot import snapshot

    built_in = SafetyTexts.built_in()
    parts = snapshot(knowledge_dir)
    try:
        fallback = parts.fallback
    except Exception as error:  # noqa: BLE001 - the safety net starts, whatever is wrong with the file
        logger.warning("guard: fallback.yml does not load (%s); using the built-in text", type(error).__name__)
        fallback = None
    try:
        notice: str | None = parts.privacy.notice
    except Exception as error:  # noqa: BLE001 - as above
        logger.warning("guard: privacy.yml does not load (%s); using the built-in notice", type(error).__name__)
        notice = None
    return SafetyTexts(
        safe_reply=fallback.safe_reply.text.strip() if fallback else built_in.safe_reply,
        empty_prompt=fallback.empty_prompt.text.strip() if fallback else built_in.empty_prompt,
        privacy_notice=notice or built_in.privacy_notice,
    )


def payload_as_text(text: str) -> str:
    """A payload nobody offered, as plain words: "/choose{"area": "x"}" -> "choose area x".

    Rasa would otherwise parse it as an intent with entities, unredacted.
    """
    return " ".join(re.sub(r'[/{}\[\]":,@]+', " ", text).split())


def offered_payloads(events: Iterable[Any]) -> frozenset[str]:
    """The button payloads of the bot messages after the latest user message.

    `events` are the tracker's Rasa events, in order.
    """
    offered: set[str] = set()
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in (getattr(event, "data", None) or {}).get("buttons") or []:
                payload = button.get("payload") if isinstance(button, Mapping) else None
                if isinstance(payload, str):
                    offered.add(payload.strip())
    return frozenset(offered)


async def offers_from_tracker_store(sender_id: str) -> Collection[str]:
    """What the running Rasa server's tracker store says was just offered to `sender_id`."""
    from sanic import Sanic

    try:
        agent = getattr(Sanic.get_app().ctx, "agent", None)
        events = await latest_turn_events(agent.tracker_store, sender_id) if agent is not None else []
    except Exception as error:  # noqa: BLE001 - unknown means nothing was offered
        logger.warning("guard: cannot read what was offered (%s)", type(error).__name__)
        return frozenset()
    return offered_payloads(events)


def is_button_payload(text: str) -> bool:
    """True for ``/intent`` and ``/intent{"key": "value"}`` (the JSON must parse to an object)."""
    match = _PAYLOAD.fullmatch(text)
    if match is None:
        return False
    entities = match.group("entities")
    if entities is None:
        return True
    try:
        return isinstance(json.loads(entities), dict)
    except ValueError:
        return False


class CountingOutputChannel(OutputChannel):
    """Delegates every reply to the real output channel and counts them.

    The count tells the guard that Rasa answered; ``name()`` is the real
    channel's, so channel-specific responses in the domain still apply.
    """

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.count = 0

    def name(self) -> str:
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:
        if attribute == "inner":  # not yet set (e.g. during copying): no recursion
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.count += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.count += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.count += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        self.count += 1
        await self.inner.send_quick_replies(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        self.count += 1
        await self.inner.send_image_url(recipient_id, image, **kwargs)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        self.count += 1
        await self.inner.send_attachment(recipient_id, attachment, **kwargs)

    async def send_elements(self, recipient_id: str, elements: Iterable[dict[str, Any]], **kwargs: Any) -> None:
        self.count += 1
        await self.inner.send_elements(recipient_id, elements, **kwargs)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        self.count += 1
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)


def _log_late_outcome(task: asyncio.Future[Any]) -> None:
    """Collects a timed-out turn's outcome so asyncio never prints its traceback (which may quote text)."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        logger.error("guard: a turn that missed its deadline later failed (%s)", type(error).__name__)


class MessageGuard:
    """Sanitises, redacts and answers for Rasa when Rasa cannot.

    Usage, inside an input channel::

        def blueprint(self, on_new_message):
            return super().blueprint(self.guard.wrap(on_new_message))

    Client metadata is replaced, not merged: it could carry identifying details.
    """

    def __init__(
        self,
        texts: SafetyTexts,
        clean: CleanFn,
        redact: RedactFn,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
        offers: OffersFn = offers_from_tracker_store,
    ) -> None:
        if deadline_seconds <= 0:
            raise ValueError(f"reply_deadline_seconds must be positive, not {deadline_seconds}")
        self.texts = texts
        self._clean = clean
        self._redact = redact
        self._offers = offers
        self.deadline_seconds = deadline_seconds

    def prepare(self, text: str | None, offered: Collection[str] = (), trusted: bool = False) -> Prepared:
        """Sanitise; pass an offered (or channel-made) payload through; redact everything else."""
        cleaned = self._clean(text or "")
        if cleaned.empty or not cleaned.text.strip():
            return Prepared(text="", empty=True, truncated=cleaned.truncated)
        stripped = cleaned.text.strip()
        if is_button_payload(stripped) and (trusted or stripped in offered):
            return Prepared(text=stripped, empty=False, truncated=cleaned.truncated)
        words = payload_as_text(stripped) if stripped.startswith("/") else cleaned.text
        if not words:
            return Prepared(text="", empty=True, truncated=cleaned.truncated)
        redaction = self._redact(words)
        return Prepared(
            text=redaction.text,
            empty=False,
            redacted=tuple(sorted(set(redaction.kinds))),
            truncated=cleaned.truncated,
        )

    def wrap(self, on_new_message: Handler) -> Handler:
        async def guarded(message: UserMessage) -> None:
            await self.handle(message, on_new_message)

        return guarded

    async def handle(self, message: UserMessage, on_new_message: Handler) -> None:
        out = message.output_channel
        sender_id = message.sender_id
        channel = message.input_channel
        trusted = bool((message.metadata or {}).get(CHANNEL_PAYLOAD))
        try:
            offered: Collection[str] = ()
            if not trusted and isinstance(message.text, str) and message.text.lstrip().startswith("/"):
                offered = await self._offers(sender_id)
            prepared = self.prepare(message.text, offered, trusted)
        except Exception as error:  # noqa: BLE001 - unredacted text must never go further
            logger.error("guard[%s]: could not sanitise or redact a message (%s)", channel, type(error).__name__)
            await self._say(out, sender_id, self.texts.safe_reply)
            return
        if prepared.empty:
            await self._say(out, sender_id, self.texts.empty_prompt)
            return
        try:
            await self._turn(message, prepared, on_new_message)
        finally:
            # After the replies, so that nothing comes before a 999 reply.
            if prepared.redacted:
                await self._say(out, sender_id, self.texts.privacy_notice)

    async def _turn(self, message: UserMessage, prepared: Prepared, on_new_message: Handler) -> None:
        """Rasa's turn for the prepared message, with the safe reply when it fails, sends
        nothing or misses the deadline."""
        out, sender_id, channel = message.output_channel, message.sender_id, message.input_channel
        replies = CountingOutputChannel(out)
        safe_message = UserMessage(
            prepared.text,
            replies,
            sender_id,
            input_channel=channel,
            message_id=message.message_id,
            metadata=prepared.metadata(),
        )
        # Not cancelled on timeout: the turn finishes and is saved; late replies still reach
        # channels that push (web chat, Teams).
        turn = asyncio.ensure_future(on_new_message(safe_message))
        done, _ = await asyncio.wait({turn}, timeout=self.deadline_seconds)
        if turn not in done:
            turn.add_done_callback(_log_late_outcome)
            logger.error(
                "guard[%s]: no complete reply within %.1f s; sent the safe reply", channel, self.deadline_seconds
            )
            await self._say(out, sender_id, self.texts.safe_reply)
            return
        failure = None if turn.cancelled() else turn.exception()
        if turn.cancelled() or failure is not None:
            reason = "cancelled" if failure is None else type(failure).__name__
            logger.error("guard[%s]: the turn failed (%s); sent the safe reply", channel, reason)
            await self._say(out, sender_id, self.texts.safe_reply)
        elif replies.count == 0:
            logger.error("guard[%s]: the turn produced no reply; sent the safe reply", channel)
            await self._say(out, sender_id, self.texts.safe_reply)

    @staticmethod
    async def _say(out: OutputChannel, recipient_id: str, text: str) -> None:
        try:
            await out.send_text_message(recipient_id, text)
        except Exception as error:  # noqa: BLE001 - nothing more can be done for this user
            logger.error("guard: could not deliver a reply (%s)", type(error).__name__)


def _refuse(text: str) -> RedactedText:
    raise RuntimeError("no redactor")


def build_redactor(knowledge_dir: Path) -> RedactFn:
    """The redactor, built once; if it cannot be built every message gets the safe reply."""
    try:
        return bot.redaction.Redactor.from_knowledge(knowledge_dir).redact
    except Exception as error:  # noqa: BLE001 - fail safe: never pass text on unredacted
        logger.error(
            "guard: cannot build the redactor from %s (%s); every typed message will get the safe reply",
            knowledge_dir,
            type(error).__name__,
        )
        return _refuse


def guard_from_credentials(
    credentials: Mapping[str, Any] | None, offers: OffersFn = offers_from_tracker_store
) -> MessageGuard:
    """The guard a channel builds from its block in credentials.yml.

    Keys: ``reply_deadline_seconds`` (default 8; Teams resends after 15) and
    ``knowledge_dir`` (default: this checkout's ``knowledge/``).
    """
    bot.logs.install()  # no message text in this server's logs
    settings = credentials or {}
    knowledge_dir = Path(settings.get("knowledge_dir") or default_knowledge_dir())
    deadline = float(settings.get("reply_deadline_seconds") or DEFAULT_DEADLINE_SECONDS)
    return MessageGuard(
        load_safety_texts(knowledge_dir),
        clean=bot.sanitise.clean,
        redact=build_redactor(knowledge_dir),
        deadline_seconds=deadline,
        offers=offers,
    )
