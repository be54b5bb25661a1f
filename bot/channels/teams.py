"""Microsoft Teams through the Bot Framework, with Rasa 3.6's channel defects fixed.

``TeamsInput`` serves ``POST /webhooks/teams/webhook`` (the bot's messaging
endpoint in Azure). Compared with Rasa's ``BotFrameworkInput`` it

* fetches Microsoft's signing keys lazily, on the first request, with async
  HTTP, cached for a day, so the assistant starts offline;
* verifies each request's token properly: RS256 only, a key from the
  OpenID metadata's ``jwks_uri``, issuer, audience (the app id), expiry, the
  key's channel endorsements and the ``serviceurl`` claim; 401 otherwise;
* takes a button press from the activity's ``value`` (Teams sends it with
  empty text), an Adaptive Card submit or a Universal Action
  (``adaptiveCard/action`` invoke, answered with an invoke response), and
  strips the bot's ``<at>`` mention from typed text;
* greets once when the bot is installed or added to a conversation, through
  the assistant's own greeting (``/greet``);
* renders buttons as Hero cards of at most six ``messageBack`` actions (Teams
  shows no more) and text as Teams markdown, with line breaks kept;
* renders the structured triage result (``bot.render``) as an Adaptive Card
  (version 1.5, the highest Teams supports): the level, what to do now with a
  ``tel:`` action per number, then the reasons, steps, notes and sources
  behind show/hide toggles, with links, then the judgement line and the
  result's buttons; a guidance answer as a card too: its title, the short
  answer, "Tell me more" folded in the card, the source as links;
* gets its token for the configured app type (``SingleTenant`` from the bot's
  own tenant, ``MultiTenant`` from ``botframework.com``) and posts replies to
  the activity's ``serviceUrl``, retrying throttling and transient errors.

Every message then goes through the :class:`MessageGuard`.
"""

from __future__ import annotations

import asyncio
import email.utils
import html
import json
import logging
import math
import os
import random
import re
import time
from dataclasses import dataclass
from typing import Any, cast
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

import aiohttp
import jwt
from jwt.algorithms import RSAAlgorithm
from rasa.core.channels.botframework import BotFramework, BotFrameworkInput
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from yarl import URL

from bot.channels.guard import CHANNEL_PAYLOAD, MessageGuard, guard_from_credentials
from bot.render import is_answer, is_result
from bot.wording import say

logger = logging.getLogger(__name__)

# Microsoft's public endpoints: the defaults, each overridable in credentials.
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_ISSUER = "https://api.botframework.com"
DEFAULT_TENANT = "botframework.com"  # the token tenant of (old) multi-tenant registrations only
DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"
DEFAULT_SCOPE = "https://api.botframework.com/.default"
DEFAULT_KEYS_TTL_SECONDS = 24 * 60 * 60

SINGLE_TENANT = "SingleTenant"
MULTI_TENANT = "MultiTenant"
APP_TYPE_ENV = "MICROSOFT_APP_TYPE"
TENANT_ENV = "MICROSOFT_APP_TENANT_ID"

KEY_REFRESH_INTERVAL_SECONDS = 5 * 60  # at most this often for an unknown key id
KEY_RETRY_SECONDS = 10  # while no keys could be fetched yet
CLOCK_SKEW_SECONDS = 5 * 60  # Bot Framework SDKs allow the same
TOKEN_RENEW_BEFORE_SECONDS = 5 * 60
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
TOKEN_TIMEOUT = aiohttp.ClientTimeout(total=5)

# Microsoft's guidance for bots in Teams: retry these with exponential backoff.
RETRY_STATUSES = frozenset({412, 429, 502, 504})
# The token endpoint (Entra ID) is retried on throttling and server errors; a
# 400/401 there means wrong settings, which no retry fixes.
TOKEN_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

MAX_CARD_BUTTONS = 6  # Teams shows at most six buttons on a Hero card
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
ADAPTIVE_CARD_VERSION = "1.5"  # the highest version Teams renders in bot messages
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"

# The assistant's own greeting, as a payload the channel builds itself: the
# guard passes it through, Rasa's `greet` rule answers with utter_greet.
GREETING_PAYLOAD = "/greet"
GREETED_MEMORY_SECONDS = 10 * 60  # one install sends installationUpdate *and* conversationUpdate

INVOKE_ACK = "Thanks, your answer has been sent."
INVOKE_WAIT_SECONDS = 4.0  # answer an invoke within Teams' few seconds, even if the turn runs on

_BEARER = re.compile(r"Bearer\s+(\S+)\s*", re.IGNORECASE)
_AT_TAG = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_LEADING_AT_TAG = re.compile(r"\s*<at(?:\s[^>]*)?>.*?</at>", re.IGNORECASE | re.DOTALL)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Entra ID error codes whose cause is a setting of this channel: a hint for the log.
# Log lines are cut at 240 characters and redacted (bot/logs.py), and CamelCase
# reads as a name there, so they say "single-tenant", not the setting's value.
_TOKEN_ERROR_HINTS = {
    700016: "the app id is not registered in this tenant; a single-tenant bot needs app_type single-tenant "
    f"and tenant ({TENANT_ENV})",
    90002: f"the tenant was not found: check tenant ({TENANT_ENV})",
    900023: f"the tenant is not valid: check tenant ({TENANT_ENV})",
    7000215: "the client secret is wrong: check app_password (MICROSOFT_APP_PASSWORD)",
    7000222: "the client secret has expired: create a new one and set MICROSOFT_APP_PASSWORD",
}
_LOGGED_APP_TYPE = {SINGLE_TENANT: "single-tenant", MULTI_TENANT: "multi-tenant"}


class AuthenticationError(Exception):
    """The request's token is missing or not valid: answer 401."""


class KeysUnavailable(Exception):
    """Microsoft's signing keys could not be fetched and none are cached: answer 503."""


class TokenUnavailable(Exception):
    """The bot could not get a token to post its replies.

    ``retryable`` is False when the token endpoint refused the settings (a
    retry would get the same answer); ``retry_after`` is its Retry-After.
    """

    def __init__(self, reason: str, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retryable = retryable
        self.retry_after = retry_after


def _app_type(value: str) -> str:
    normalised = re.sub(r"[\s_-]", "", value).lower()
    for app_type in (SINGLE_TENANT, MULTI_TENANT):
        if normalised == app_type.lower():
            return app_type
    raise RasaException(
        f"The Teams channel's app_type (or {APP_TYPE_ENV}) must be {SINGLE_TENANT} or {MULTI_TENANT}, "
        f"as shown for the bot in Azure (Bot resource → Configuration → Type of App); got {value!r}."
    )


@dataclass(frozen=True)
class BotFrameworkSettings:
    """Where the Bot Framework lives, and who this bot is.

    ``app_type`` decides where the bot's own token comes from: a single-tenant
    bot (what Azure creates now) from its own tenant, a multi-tenant one from
    ``botframework.com``. Incoming requests are checked the same way for both.
    """

    app_id: str
    app_password: str
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL
    issuer: str = DEFAULT_ISSUER
    tenant: str = DEFAULT_TENANT
    token_url: str = ""
    scope: str = DEFAULT_SCOPE
    keys_ttl_seconds: float = DEFAULT_KEYS_TTL_SECONDS
    app_type: str = MULTI_TENANT
    login_url: str = DEFAULT_LOGIN_URL

    @property
    def token_endpoint(self) -> str:
        return self.token_url or f"{self.login_url.rstrip('/')}/{self.tenant}/oauth2/v2.0/token"

    @classmethod
    def from_credentials(
        cls, credentials: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> BotFrameworkSettings:
        """Reads the channel's block of credentials; empty values fall back to the environment, then the defaults.

        ``app_type`` and ``tenant`` may come from ``MICROSOFT_APP_TYPE`` and
        ``MICROSOFT_APP_TENANT_ID`` (Rasa refuses to start on an unset
        ``${VAR}``, so credentials.teams.yml does not name them). A tenant
        without an app type means SingleTenant, as this file once advised.
        """
        environment = os.environ if env is None else env
        app_id = str(credentials.get("app_id") or "").strip()
        app_password = str(credentials.get("app_password") or "").strip()
        if not app_id or not app_password:
            raise RasaException(
                "The Teams channel needs app_id and app_password (set MICROSOFT_APP_ID and "
                "MICROSOFT_APP_PASSWORD for credentials.teams.yml), or leave it out of the credentials file."
            )

        def setting(key: str, default: str) -> str:
            return str(credentials.get(key) or default).strip()

        tenant = setting("tenant", environment.get(TENANT_ENV, ""))
        raw_app_type = setting("app_type", environment.get(APP_TYPE_ENV, ""))
        if raw_app_type:
            app_type = _app_type(raw_app_type)
        else:
            app_type = SINGLE_TENANT if tenant and tenant.lower() != DEFAULT_TENANT else MULTI_TENANT
        if app_type == SINGLE_TENANT:
            if not tenant or tenant.lower() == DEFAULT_TENANT:
                raise RasaException(
                    f"The Teams channel's app_type is {SINGLE_TENANT}, so it needs the tenant: set tenant "
                    f"(or {TENANT_ENV}) to the Directory (tenant) ID of the bot's app registration."
                )
            if re.search(r"[\s/?#]", tenant):
                raise RasaException(
                    f"The Teams channel's tenant (or {TENANT_ENV}) must be a tenant id or domain, not {tenant!r}."
                )
        else:
            if tenant and tenant.lower() != DEFAULT_TENANT:
                logger.warning(
                    "teams: app_type is multi-tenant, so the tenant setting is ignored (tokens come from %s)",
                    DEFAULT_TENANT,
                )
            tenant = DEFAULT_TENANT

        return cls(
            app_id=app_id,
            app_password=app_password,
            openid_metadata_url=setting("openid_metadata_url", DEFAULT_OPENID_METADATA_URL),
            issuer=setting("issuer", DEFAULT_ISSUER),
            tenant=tenant,
            token_url=setting("token_url", ""),
            scope=setting("scope", DEFAULT_SCOPE),
            keys_ttl_seconds=float(credentials.get("keys_ttl_seconds") or DEFAULT_KEYS_TTL_SECONDS),
            app_type=app_type,
            login_url=setting("login_url", DEFAULT_LOGIN_URL),
        )


async def _get_json(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as reply:
        reply.raise_for_status()
        return await reply.json(content_type=None)


def _same_url(first: Any, second: Any) -> bool:
    return isinstance(first, str) and isinstance(second, str) and first.rstrip("/") == second.rstrip("/")


class BotFrameworkAuthenticator:
    """Checks the token on each incoming request against Microsoft's signing keys."""

    def __init__(self, settings: BotFrameworkSettings, clock: Clock = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def authenticate(self, authorization: str | None, activity: Mapping[str, Any]) -> dict[str, Any]:
        """The token's claims, or :class:`AuthenticationError` saying why not."""
        if not authorization:
            raise AuthenticationError("no Authorization header")
        match = _BEARER.fullmatch(authorization)
        if match is None:
            raise AuthenticationError("no Bearer token")
        token = match.group(1)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise AuthenticationError(f"malformed token ({type(error).__name__})") from None
        if header.get("alg") != "RS256":
            raise AuthenticationError("algorithm is not RS256")
        key_id = header.get("kid")
        if not isinstance(key_id, str):
            raise AuthenticationError("no key id")
        key = await self._key(key_id)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=cast(Any, RSAAlgorithm.from_jwk(json.dumps(key))),
                algorithms=["RS256"],
                audience=self._settings.app_id,
                issuer=self._settings.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise AuthenticationError(f"token rejected ({type(error).__name__})") from None
        endorsements = key.get("endorsements")
        if isinstance(endorsements, list) and activity.get("channelId") not in endorsements:
            raise AuthenticationError("key not endorsed for this channel")
        if not _same_url(claims.get("serviceurl"), activity.get("serviceUrl")):
            raise AuthenticationError("serviceurl claim does not match the activity")
        return claims

    async def _key(self, key_id: str) -> dict[str, Any]:
        if self._should_refresh(key_id):
            async with self._lock:
                if self._should_refresh(key_id):
                    await self._refresh()
        if not self._keys:
            raise KeysUnavailable("the last attempt to fetch them failed")
        key = self._keys.get(key_id)
        if key is None:
            raise AuthenticationError("unknown signing key")
        return key

    def _should_refresh(self, key_id: str) -> bool:
        """Fetch on first use, when stale, or for a new key id -- but never in a tight loop."""
        if self._attempted_at is None:
            return True
        since = self._clock() - self._attempted_at
        if not self._keys:
            return since >= KEY_RETRY_SECONDS
        if since < KEY_REFRESH_INTERVAL_SECONDS:
            return False
        return key_id not in self._keys or self._clock() - self._fetched_at > self._settings.keys_ttl_seconds

    async def _refresh(self) -> None:
        self._attempted_at = self._clock()
        try:
            async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
                metadata = await _get_json(session, self._settings.openid_metadata_url)
                document = await _get_json(session, metadata["jwks_uri"])
            keys = {
                key["kid"]: key
                for key in document["keys"]
                if isinstance(key, dict) and isinstance(key.get("kid"), str) and key.get("kty") == "RSA"
            }
        except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, TypeError, ValueError) as error:
            if not self._keys:
                raise KeysUnavailable(type(error).__name__) from None
            logger.warning(
                "teams: could not refresh the signing keys (%s); keeping the cached ones", type(error).__name__
            )
            return
        self._keys = keys
        self._fetched_at = self._clock()


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """A ``Retry-After`` header in seconds: delta-seconds or an HTTP date (``now`` is wall-clock time)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a reply is pushed through throttling and transient errors.

    At most ``max_attempts`` tries, and never a wait that would end more than
    ``budget_seconds`` after the first try: Teams resends a message it got no
    answer to within 15 s, and the guard's deadline is 8 s. ``sleep``,
    ``clock``, ``wall_clock`` and ``jitter`` are injectable so tests run fast.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 4.0
    budget_seconds: float = 10.0
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic
    wall_clock: Clock = time.time
    jitter: Callable[[], float] = random.random

    def backoff(self, retry: int) -> float:
        """Exponential, with "equal jitter": between half and all of base * 2**retry (capped)."""
        cap = min(self.max_delay, self.base_delay * (2**retry))
        return cap / 2 + (cap / 2) * self.jitter()


@dataclass(frozen=True)
class Delivery:
    """What became of one reply: logged when it failed, returned for callers and tests."""

    delivered: bool
    attempts: int
    status: int | None = None  # the connector's last HTTP status, if it answered
    reason: str = ""


class TokenProvider:
    """The bot's own access token for posting replies, fetched and renewed as needed."""

    def __init__(self, settings: BotFrameworkSettings, clock: Clock = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def headers(self) -> dict[str, str]:
        async with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                await self._fetch()
        return {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}

    def invalidate(self, authorization: str) -> None:
        """Forget the token the connector refused (401), unless another request already replaced it."""
        if self._token is not None and authorization == f"Bearer {self._token}":
            self._token = None

    async def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._settings.app_id,
            "client_secret": self._settings.app_password,
            "scope": self._settings.scope,
        }
        try:
            async with aiohttp.ClientSession(timeout=TOKEN_TIMEOUT) as session:
                async with session.post(self._settings.token_endpoint, data=form) as reply:
                    if reply.status >= 400:
                        raise self._refused(reply.status, reply.headers.get("Retry-After"), await _json_or_none(reply))
                    body = await reply.json(content_type=None)
            token = body["access_token"]
            lifetime = float(body.get("expires_in", 0))
        except TokenUnavailable:
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("teams: cannot reach the token endpoint (%s)", type(error).__name__)
            raise TokenUnavailable(type(error).__name__) from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            logger.error("teams: the token endpoint gave an unreadable answer (%s)", type(error).__name__)
            raise TokenUnavailable(type(error).__name__) from None
        if not isinstance(token, str) or not token:
            logger.error("teams: the token endpoint gave an empty access_token")
            raise TokenUnavailable("empty access_token")
        self._token = token
        self._renew_at = self._clock() + max(0.0, lifetime - TOKEN_RENEW_BEFORE_SECONDS)

    def _refused(self, status: int, retry_after: str | None, body: Any) -> TokenUnavailable:
        """Logs why Entra ID refused (its error name and codes, never the description or a secret)."""
        error = body.get("error") if isinstance(body, Mapping) else None
        codes = body.get("error_codes") if isinstance(body, Mapping) else None
        codes = [code for code in codes if isinstance(code, int)] if isinstance(codes, list) else []
        hints = [_TOKEN_ERROR_HINTS[code] for code in codes if code in _TOKEN_ERROR_HINTS]
        retryable = status in TOKEN_RETRY_STATUSES
        logger.error(
            "teams: the token endpoint (%s, tenant %s) refused: HTTP %s%s%s",
            _LOGGED_APP_TYPE.get(self._settings.app_type, "?"),
            self._settings.tenant,
            status,
            f", {error}" if isinstance(error, str) and len(error) < 60 else "",
            f", AADSTS{'/'.join(str(code) for code in codes[:3])}" if codes else "",
        )
        for hint in hints:
            logger.error("teams: hint: %s", hint)
        return TokenUnavailable(
            f"token endpoint HTTP {status}",
            retryable=retryable,
            retry_after=retry_after_seconds(retry_after, time.time()),
        )


async def _json_or_none(reply: aiohttp.ClientResponse) -> Any:
    try:
        return await reply.json(content_type=None)
    except (aiohttp.ClientError, ValueError):
        return None


# -- what the bot sends --------------------------------------------------------


def card_action(button: Mapping[str, Any]) -> dict[str, Any]:
    """A Rasa button as a Teams card action: links open, everything else posts its payload back in ``value``."""
    title = str(button.get("title") or "")
    url = button.get("url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return {"type": "openUrl", "title": title, "value": url}
    payload = button.get("payload") or title
    return {"type": "messageBack", "title": title, "displayText": title, "text": title, "value": {"payload": payload}}


def card_text(text: str) -> str:
    """Text for a card: Teams renders cards' text as a subset of HTML, not markdown, so lines break at ``<br>``."""
    lines = [html.escape(line.strip(), quote=False) for line in text.strip().splitlines()]
    return "<br>".join(lines)


def teams_markdown(text: str) -> str:
    """Text for a message with ``textFormat: markdown``, line breaks kept.

    Teams' markdown joins lines split by a single newline (and its clients do
    not all honour CommonMark's two-space hard break), but every client shows a
    blank line as a new paragraph: so each line becomes a paragraph, and runs
    of blank lines one paragraph break.
    """
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return "\n\n".join(line for line in lines if line.strip())


def _balanced_chunks(items: Sequence[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """``items`` in order, in as few chunks of at most ``size`` as possible, of near-equal length (8 -> 4 + 4)."""
    if not items:
        return [[]]
    count = math.ceil(len(items) / size)
    per_chunk = math.ceil(len(items) / count)
    return [list(items[start : start + per_chunk]) for start in range(0, len(items), per_chunk)]


def hero_cards(text: str, buttons: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The text and buttons as Hero cards of at most six buttons each; the first card carries the text.

    Split cards rather than one Adaptive Card with a choice list: a press
    stays one tap, reads the same on mobile and with a screen reader, and
    comes back as the same ``messageBack`` the guard already trusts.
    """
    chunks = _balanced_chunks([card_action(button) for button in buttons], MAX_CARD_BUTTONS)
    cards = []
    for index, actions in enumerate(chunks):
        content: dict[str, Any] = {"buttons": actions}
        if index == 0:
            content = {"text": card_text(text), **content}
        cards.append({"contentType": "application/vnd.microsoft.card.hero", "content": content})
    return cards


def hero_card(text: str, buttons: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One Hero card; callers with more than six buttons want :func:`hero_cards`."""
    return {
        "contentType": "application/vnd.microsoft.card.hero",
        "content": {"text": card_text(text), "buttons": [card_action(button) for button in buttons]},
    }


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _link(title: str, url: Any) -> str:
    """Markdown for a TextBlock: a link where there is an address, else the title."""
    return f"[{title}]({url})" if isinstance(url, str) and url else title


def _contact_line(contact: Mapping[str, Any], prefix: str = "", hours: bool = True) -> str:
    """ "**Label**: 024 7678 8555 — Mon–Fri 09:00–17:00", or the fallback route when no number is known."""
    reach = contact.get("number") or contact.get("fallback") or "the phone number is not known."
    line = f"{prefix}**{contact.get('label', '')}**: {reach}"
    if hours and contact.get("hours"):
        line += f" — {contact['hours']}"
    if contact.get("url"):
        line += " " + _link(str(contact["url"]).split("://", 1)[-1], contact["url"])
    return line


def _call(contact: Mapping[str, Any]) -> dict[str, Any] | None:
    """A tel: action for a contact with a number."""
    if not contact.get("tel") or not contact.get("number"):
        return None
    return {"type": "Action.OpenUrl", "title": f"Call {contact['number']}", "url": contact["tel"]}


def _folded(title: str, element_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A show/hide toggle and the hidden container it opens (the web chat's <details>)."""
    toggle = {"type": "Action.ToggleVisibility", "title": title, "targetElements": [element_id]}
    return [
        {"type": "ActionSet", "actions": [toggle]},
        {"type": "Container", "id": element_id, "isVisible": False, "items": items},
    ]


def _sources_line(sources: Any) -> str:
    links = [_link(str(s.get("title", "")), s.get("url")) for s in sources or [] if isinstance(s, Mapping)]
    return say("sources", citations="; ".join(links)) if links else ""


def result_card(data: Mapping[str, Any], buttons: Sequence[Mapping[str, Any]], fallback: str) -> dict[str, Any]:
    """The structured triage result as an Adaptive Card attachment, in the web chat's order.

    Numbers are ``tel:`` Action.OpenUrl buttons (at most six in a row, as
    Teams shows); the result's own buttons post their payload back like a
    Hero card's (``{"payload": ...}`` in the submit's value).
    """
    labels = {str(k): str(v) for k, v in (data.get("labels") or {}).items()}  # headings, from knowledge/wording.yml
    body: list[dict[str, Any]] = [
        _text_block(str(data.get("heading", "")), style="heading", size="Large", weight="Bolder"),
        _text_block(labels.get("what_to_do", ""), size="Medium", weight="Bolder", spacing="Medium"),
        _text_block(str(data.get("first_action", "")), weight="Bolder"),
    ]
    calls: list[dict[str, Any]] = []
    contacts = [c for c in data.get("contacts") or [] if isinstance(c, Mapping)]
    for contact in contacts:
        body.append(_text_block(_contact_line(contact, labels.get("now", "") if contact.get("now") else "")))
    out_of_hours = data.get("out_of_hours")
    if isinstance(out_of_hours, Mapping):
        body.append(_text_block(_contact_line(out_of_hours, labels.get("out_of_hours", ""), hours=False)))
    body.append(_text_block(str(data.get("immediate", ""))))
    for contact in [*contacts, out_of_hours, *(data.get("immediate_contacts") or [])]:
        action = _call(contact) if isinstance(contact, Mapping) else None
        if action is not None and action not in calls:
            calls.append(action)
    if calls:
        body.append({"type": "ActionSet", "actions": calls[:MAX_CARD_BUTTONS]})
    if data.get("description"):
        body.append(_text_block(str(data["description"]), isSubtle=True))
    steps = [str(step) for step in data.get("steps") or []]
    if steps:
        body += _folded(labels.get("more_steps", ""), "steps", [_text_block(f"- {step}") for step in steps])
    reasons = [r for r in data.get("reasons") or [] if isinstance(r, Mapping)]
    if reasons:
        items = []
        for number, reason in enumerate(reasons, start=1):
            items.append(_text_block(f"{number}. {reason.get('text', '')}"))
            line = _sources_line(reason.get("sources"))
            if line:
                items.append(_text_block(line, size="Small", isSubtle=True, spacing="None"))
        body += _folded(labels.get("why", ""), "reasons", items)
    notes = [str(note) for note in data.get("notes") or []]
    if notes:
        body += _folded(labels.get("notes", ""), "notes", [_text_block(note) for note in notes])
    sources_line = _sources_line(data.get("sources"))
    if sources_line:
        body += _folded(labels.get("sources", ""), "sources", [_text_block(sources_line, size="Small")])
    guide = data.get("guide")
    if isinstance(guide, Mapping) and guide.get("url"):
        body.append(_text_block(_link(str(guide.get("title", "")), guide["url"])))
    body.append(_text_block(str(data.get("judgement", "")), isSubtle=True, separator=True))
    return _card(body, _submits(buttons), fallback)


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]], fallback: str) -> dict[str, Any]:
    """An Adaptive Card attachment of this version; `fallback` for clients that cannot show it."""
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "version": ADAPTIVE_CARD_VERSION,
        "fallbackText": fallback,
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return {"contentType": ADAPTIVE_CARD, "content": content}


def _submits(buttons: Sequence[Mapping[str, Any]], skip: Any = None) -> list[dict[str, Any]]:
    """Buttons as Action.Submit posting their payload back (as a Hero card's do), at most six."""
    return [
        {"type": "Action.Submit", "title": str(b.get("title", "")), "data": {"payload": b.get("payload")}}
        for b in buttons
        if isinstance(b.get("payload"), str) and b.get("payload") != skip
    ][:MAX_CARD_BUTTONS]


def answer_card(data: Mapping[str, Any], buttons: Sequence[Mapping[str, Any]], fallback: str) -> dict[str, Any]:
    """A guidance answer or guide as an Adaptive Card: the title, the short answer, each section behind
    a toggle (so "Tell me more" needs no round trip), the guide's address and the sources as links, then
    the other buttons."""
    body: list[dict[str, Any]] = [
        _text_block(str(data.get("title", "")), style="heading", size="Medium", weight="Bolder"),
        _text_block(teams_markdown(str(data.get("summary", "")))),
    ]
    sections = [section for section in data.get("sections") or [] if isinstance(section, Mapping)]
    for number, section in enumerate(sections, start=1):
        body += _folded(str(section.get("title", "")), f"section-{number}",
                        [_text_block(teams_markdown(str(section.get("text", ""))))])
    if data.get("url"):
        body.append(_text_block(_link(str(data["url"]).split("://", 1)[-1], data["url"])))
    sources_line = _sources_line(data.get("sources"))
    if sources_line:
        body.append(_text_block(sources_line, size="Small", isSubtle=True))
    return _card(body, _submits(buttons, skip=data.get("more_payload")), fallback)


# -- what Teams sends ----------------------------------------------------------


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, Mapping) else None


def _name_key(name: str) -> str:
    return " ".join(html.unescape(name).split()).casefold()


def strip_bot_mentions(activity: Mapping[str, Any], text: str) -> str:
    """``text`` without the ``<at>Bot</at>`` that Teams puts in when the bot is @mentioned.

    Teams' mention entity usually carries the exact ``text``; some clients
    send only ``mentioned: {id, name}``, so the ``<at>`` tags naming the bot
    (by the entity's or the recipient's name) are removed too, and if the user
    shortened the name, a leading ``<at>`` tag. Mentions of other people stay.
    """
    bot_id = _id_of(activity.get("recipient"))
    if bot_id is None:
        return text
    entities = activity.get("entities")
    mentions = [
        entity
        for entity in (entities if isinstance(entities, list) else [])
        if isinstance(entity, Mapping)
        and entity.get("type") == "mention"
        and _id_of(entity.get("mentioned")) == bot_id
    ]
    if not mentions:
        return text
    original = text
    names: set[str] = set()
    recipient = activity.get("recipient")
    for candidate in [recipient] + [mention.get("mentioned") for mention in mentions]:
        name = candidate.get("name") if isinstance(candidate, Mapping) else None
        if isinstance(name, str) and name.strip():
            names.add(_name_key(name))
    for mention in mentions:
        mention_text = mention.get("text")
        if isinstance(mention_text, str) and mention_text:
            text = text.replace(mention_text, " ")
    text = _AT_TAG.sub(lambda tag: " " if _name_key(tag.group(1)) in names else tag.group(0), text)
    if text == original:
        text = _LEADING_AT_TAG.sub(" ", text, count=1)
    return text


def _pressed_payload(value: Any) -> str | None:
    """A payload of this channel's buttons: ``{"payload": ...}`` (messageBack, Action.Execute data) or a string."""
    if isinstance(value, Mapping):
        value = value.get("payload")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _submitted_text(value: Any) -> str | None:
    """The single text input of an Adaptive Card submit with no ``payload`` key (untrusted: not our card)."""
    if not isinstance(value, Mapping):
        return None
    strings = [
        item.strip() for key, item in value.items() if key != "msteams" and isinstance(item, str) and item.strip()
    ]
    return strings[0] if len(strings) == 1 else None


@dataclass(frozen=True)
class Incoming:
    """What to hand the guard: ``pressed`` marks a payload from this channel's own card."""

    text: str
    pressed: bool = False


def read_incoming(activity: Mapping[str, Any], value: Any = None) -> Incoming | None:
    """What the practitioner said or pressed, or None when there is nothing to answer.

    In order: a button's payload; the typed text without the bot's @mention;
    the one text input of an Adaptive Card submit (left to the guard, which
    passes it only if the assistant offered it); ``""`` for a submit or an
    attachment with nothing readable, so the guard asks for text instead of
    the press vanishing. ``value`` overrides the activity's (invoke data).
    """
    value = activity.get("value") if value is None else value
    payload = _pressed_payload(value)
    if payload is not None:
        return Incoming(payload, pressed=True)
    text = activity.get("text")
    if isinstance(text, str):
        text = strip_bot_mentions(activity, text)
        if text.strip():
            return Incoming(text.strip())
    submitted = _submitted_text(value)
    if submitted is not None:
        return Incoming(submitted)
    if isinstance(value, Mapping) or activity.get("attachments"):
        return Incoming("")
    return None


def incoming_text(activity: Mapping[str, Any]) -> str | None:
    """What the practitioner said: a button's payload, else the text without the @mention of the bot.

    ``""`` for a message with only attachments or an unreadable card submit
    (the guard then asks for text); ``None`` when there is nothing to answer.
    """
    incoming = read_incoming(activity)
    return incoming.text if incoming is not None else None


# -- replies -------------------------------------------------------------------


class TeamsOutput(BotFramework):
    """Replies to one conversation, through the activity's ``serviceUrl``.

    A reply to a message goes to ``{serviceUrl}v3/conversations/{id}/activities/{replyToId}``
    (the prefix, e.g. ``/emea/``, kept); one without ``reply_to_id`` (the
    install greeting, answers to invokes) to ``.../activities``.
    """

    def __init__(
        self,
        settings: BotFrameworkSettings,
        tokens: TokenProvider,
        conversation: dict[str, Any],
        bot: dict[str, Any],
        user: dict[str, Any],
        service_url: str,
        reply_to_id: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(
            settings.app_id, settings.app_password, conversation, bot, service_url
        )
        self._tokens = tokens
        self._user = user
        self._service_url = service_url
        self._reply_to_id = reply_to_id
        self._retry = retry or RetryPolicy()
        # What this output was asked to say (never logged): lets the greeting check for the privacy notice.
        self.texts_sent: list[str] = []

    @classmethod
    def name(cls) -> str:
        return "teams"

    def activities_url(self) -> str:
        conversation_id = quote(str(self.conversation["id"]), safe="")
        url = f"{self._service_url.rstrip('/')}/v3/conversations/{conversation_id}/activities"
        if self._reply_to_id:
            url += f"/{quote(self._reply_to_id, safe='')}"
        return url

    def prepare_message(self, recipient_id: str, message_data: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "message",
            "from": self.bot,
            "recipient": self._user,
            "conversation": {"id": self.conversation["id"]},
            "text": "",
        }
        if self._reply_to_id:
            data["replyToId"] = self._reply_to_id
        data.update(message_data)
        return data

    async def send(self, message_data: dict[str, Any]) -> Delivery:
        """Posts one activity, retrying throttling (429), 412, 502, 504 and an unreachable connector.

        Backoff is exponential with jitter, ``Retry-After`` honoured, within
        the :class:`RetryPolicy`; a connector 401 drops the cached token and
        retries once with a new one. A final failure is logged (status and
        reason only) and returned, not raised: raising would abort Rasa's turn
        before the tracker is saved, and the guard's safe reply would go to
        the same failing endpoint, past Teams' 15 s.
        """
        policy = self._retry
        started = policy.clock()
        attempts = 0
        status: int | None = None
        reason = ""
        renewed_token = False
        while True:
            attempts += 1
            wait: float | None = None
            retryable = True
            try:
                headers = await self._tokens.headers()
            except TokenUnavailable as error:
                status, reason, retryable, wait = None, f"no token: {error}", error.retryable, error.retry_after
            else:
                try:
                    status, retry_after = await self._post(message_data, headers, started)
                except aiohttp.ClientConnectorError as error:  # nothing was sent: safe to try again
                    status, reason = None, f"connector unreachable ({type(error).__name__})"
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    # It may have arrived: a retry could post the reply twice.
                    status, reason, retryable = None, type(error).__name__, False
                else:
                    if status < 300:
                        return Delivery(True, attempts, status)
                    reason = f"HTTP {status}"
                    if status == 401 and not renewed_token:
                        renewed_token = True
                        self._tokens.invalidate(headers["Authorization"])
                        if attempts < policy.max_attempts:
                            continue  # at once: the wait is for throttling, this is a stale token
                    retryable = status in RETRY_STATUSES
                    wait = retry_after
            if not retryable or attempts >= policy.max_attempts:
                break
            delay = policy.backoff(attempts - 1) if wait is None else wait
            if policy.clock() - started + delay > policy.budget_seconds:
                reason += f"; the next try ({delay:.1f} s away) would exceed {policy.budget_seconds:.0f} s"
                break
            logger.warning("teams: retrying a reply in %.1f s (%s)", delay, reason)
            await policy.sleep(delay)
        logger.error("teams: a reply was NOT delivered after %d attempt(s): %s", attempts, reason)
        return Delivery(False, attempts, status, reason)

    async def _post(
        self, message_data: dict[str, Any], headers: dict[str, str], started: float
    ) -> tuple[int, float | None]:
        remaining = self._retry.budget_seconds - (self._retry.clock() - started)
        timeout = aiohttp.ClientTimeout(total=max(1.0, min(HTTP_TIMEOUT.total or 10.0, remaining)))
        async with aiohttp.ClientSession(timeout=timeout) as session:
            url = URL(self.activities_url(), encoded=True)  # already quoted: keep ':' and ';' escaped
            async with session.post(url, json=message_data, headers=headers) as reply:
                return reply.status, retry_after_seconds(reply.headers.get("Retry-After"), self._retry.wall_clock())

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.texts_sent.append(text)
        await self.send(self.prepare_message(recipient_id, {"text": teams_markdown(text), "textFormat": "markdown"}))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        if not buttons:
            await self.send_text_message(recipient_id, text)
            return
        self.texts_sent.append(text)
        cards = hero_cards(text, buttons)
        message: dict[str, Any] = {"attachments": cards}
        if len(cards) > 1:
            message["attachmentLayout"] = "list"  # stacked, in order, not a carousel
        await self.send(self.prepare_message(recipient_id, message))

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A structured result or answer is one Adaptive Card (its text the card's fallback); the rest as Rasa sends it."""
        custom = message.get("custom")
        if is_result(custom) or is_answer(custom):
            text = str(message.get("text") or "")
            self.texts_sent.append(text)
            buttons = message.get("buttons") or []
            if is_result(custom):
                card, summary = result_card(custom, buttons, text), custom["heading"]
            else:
                card, summary = answer_card(custom, buttons, text), custom["title"]
            await self.send(self.prepare_message(recipient_id, {"attachments": [card], "summary": summary}))
            return
        await super().send_response(recipient_id, message)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self.send(self.prepare_message(recipient_id, json_message))


# -- the channel ---------------------------------------------------------------


def _invoke_response(status: int, kind: str, value: Any) -> HTTPResponse:
    """An invoke's answer: the Bot Framework reads it from the HTTP status and the JSON body."""
    return response.json({"statusCode": status, "type": kind, "value": value}, status=status)


def _invoke_error(status: int, code: str, message: str) -> HTTPResponse:
    return _invoke_response(status, "application/vnd.microsoft.error", {"code": code, "message": message})


class TeamsInput(BotFrameworkInput):
    """The Teams channel: ``bot.channels.teams.TeamsInput`` in credentials.

    Keys: ``app_id``, ``app_password`` (required); ``app_type``
    (``SingleTenant`` or ``MultiTenant``, else ``MICROSOFT_APP_TYPE``) and
    ``tenant`` (else ``MICROSOFT_APP_TENANT_ID``; required for SingleTenant);
    ``token_url``, ``login_url``, ``openid_metadata_url``, ``issuer``,
    ``scope``, ``keys_ttl_seconds`` (optional, default Microsoft's); and the
    guard's keys.
    """

    # BotFrameworkInput.__init__ is deliberately not called: it downloads Microsoft's
    # keys synchronously at start, so an offline server could not start.
    def __init__(
        self,
        settings: BotFrameworkSettings,
        guard: MessageGuard,
        retry: RetryPolicy | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.app_id = settings.app_id
        self.app_password = settings.app_password
        self.settings = settings
        self.guard = guard
        self.retry = retry or RetryPolicy()
        self.authenticator = BotFrameworkAuthenticator(settings)
        self.tokens = TokenProvider(settings)
        self._clock = clock
        self._greeted: dict[str, float] = {}  # conversation id -> when greeted
        self._turns: set[asyncio.Task[Any]] = set()  # invoke turns still running: kept from the GC

    @classmethod
    def name(cls) -> str:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        settings = BotFrameworkSettings.from_credentials(credentials or {})
        logger.info(
            "teams: app type %s, tokens from tenant %s%s",
            _LOGGED_APP_TYPE[settings.app_type],
            settings.tenant,
            "" if settings.app_type == SINGLE_TENANT else "; a new Azure bot is single-tenant: set app_type and tenant",
        )
        return cls(settings, guard_from_credentials(credentials))

    def _output(self, activity: Mapping[str, Any], reply: bool = True) -> tuple[TeamsOutput, str] | None:
        """The output channel and Rasa sender id for an activity's conversation, or None if it names none."""
        conversation = activity.get("conversation")
        user = activity.get("from")
        bot = activity.get("recipient")
        service_url = activity.get("serviceUrl")
        if (
            not isinstance(conversation, dict)
            or not conversation.get("id")
            or not isinstance(user, dict)
            or not user.get("id")
            or not isinstance(bot, dict)
            or not isinstance(service_url, str)
            or not service_url
        ):
            return None
        reply_to = activity.get("id") if reply else None
        output = TeamsOutput(
            self.settings,
            self.tokens,
            conversation,
            bot,
            user,
            service_url,
            reply_to_id=reply_to if isinstance(reply_to, str) and reply_to else None,
            retry=self.retry,
        )
        # One conversation per person per chat: group chats and channels are shared.
        return output, f"{conversation['id']}|{user['id']}"

    def _message(self, activity: Mapping[str, Any], incoming: Incoming, reply: bool = True) -> UserMessage | None:
        target = self._output(activity, reply)
        if target is None:
            return None
        output, sender_id = target
        # A card press built by this channel's own cards: the guard passes it through
        # as a payload (typed text never gets this mark).
        metadata = {CHANNEL_PAYLOAD: True} if incoming.pressed else None
        return UserMessage(incoming.text, output, sender_id, input_channel=self.name(), metadata=metadata)

    def user_message(self, activity: Mapping[str, Any]) -> UserMessage | None:
        """The message to hand to Rasa, or None for activities with nothing to answer."""
        if activity.get("type") != "message":
            return None
        incoming = read_incoming(activity)
        return self._message(activity, incoming) if incoming is not None else None

    # -- installation ---------------------------------------------------------

    def install_event(self, activity: Mapping[str, Any]) -> bool | None:
        """True when the bot was installed or added here, False when removed, None for anything else."""
        kind = activity.get("type")
        bot_id = _id_of(activity.get("recipient"))
        if kind == "installationUpdate":
            action = activity.get("action")
            return True if action == "add" else False if action == "remove" else None
        if kind == "conversationUpdate" and bot_id is not None:
            for key, installed in (("membersAdded", True), ("membersRemoved", False)):
                members = activity.get(key)
                if isinstance(members, list) and any(_id_of(member) == bot_id for member in members):
                    return installed
        return None

    def greeting(self, activity: Mapping[str, Any]) -> UserMessage | None:
        """The greeting to hand the guard for an install, once per install.

        Teams sends both ``installationUpdate`` (add) and ``conversationUpdate``
        (the bot in ``membersAdded``) for one install, and resends activities it
        got no answer to, so a conversation greeted in the last ten minutes is
        not greeted again; a removal forgets it, so a reinstall greets again.
        (Per process: with several replicas, a duplicate greeting is possible.)
        """
        event = self.install_event(activity)
        conversation_id = _id_of(activity.get("conversation"))
        if event is None or not isinstance(conversation_id, str):
            return None
        now = self._clock()
        self._greeted = {key: at for key, at in self._greeted.items() if now - at < GREETED_MEMORY_SECONDS}
        if not event:
            self._greeted.pop(conversation_id, None)
            return None
        if conversation_id in self._greeted:
            return None
        message = self._message(activity, Incoming(GREETING_PAYLOAD, pressed=True), reply=False)
        if message is not None:
            self._greeted[conversation_id] = now
        return message

    async def _greet(self, message: UserMessage, guarded: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """The assistant's own greeting (with 999), then the privacy notice unless the greeting gave it."""
        await guarded(message)
        output = message.output_channel
        notice = self.guard.texts.privacy_notice
        if isinstance(output, TeamsOutput) and not any(notice in text for text in output.texts_sent):
            await output.send_text_message(message.sender_id, notice)

    # -- invokes --------------------------------------------------------------

    async def _invoke(
        self, activity: Mapping[str, Any], guarded: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        """Universal Actions (``adaptiveCard/action``) are handled like a card press; other invokes get 501."""
        if activity.get("name") != "adaptiveCard/action":
            logger.info("teams: answered an unsupported invoke with 501")
            return _invoke_error(501, "NotImplemented", "This bot does not handle this kind of invoke.")
        value = activity.get("value")
        action = value.get("action") if isinstance(value, Mapping) else None
        data = action.get("data") if isinstance(action, Mapping) else None
        incoming = read_incoming({**activity, "text": None}, value=data if data is not None else {})
        message = self._message(activity, incoming or Incoming(""), reply=False)
        if message is None:
            return _invoke_error(400, "BadRequest", "The invoke names no conversation.")
        turn = asyncio.ensure_future(guarded(message))
        self._turns.add(turn)
        turn.add_done_callback(self._turns.discard)
        # Teams waits only a few seconds for the invoke response; the replies
        # themselves are posted to the conversation, late or not.
        await asyncio.wait({turn}, timeout=INVOKE_WAIT_SECONDS)
        return _invoke_response(200, "application/vnd.microsoft.activity.message", INVOKE_ACK)

    async def wait_for_turns(self) -> None:
        """Waits for invoke turns still running (tests; a graceful shutdown)."""
        if self._turns:
            await asyncio.wait(set(self._turns))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guarded = self.guard.wrap(on_new_message)
        teams = Blueprint("teams_webhook", __name__)

        @teams.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @teams.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            try:
                activity = json.loads(request.body or b"{}")
            except ValueError:
                activity = {}
            if not isinstance(activity, dict):
                activity = {}
            try:
                await self.authenticator.authenticate(request.headers.get("Authorization"), activity)
            except AuthenticationError as error:
                logger.warning("teams: rejected a request: %s", error)
                return response.text("Unauthorized", status=401)
            except KeysUnavailable as error:
                logger.error("teams: cannot check requests, Microsoft's signing keys are unavailable (%s)", error)
                return response.text("Service unavailable", status=503)
            kind = activity.get("type")
            if kind == "invoke":
                return await self._invoke(activity, guarded)
            if kind in ("conversationUpdate", "installationUpdate"):
                greeting = self.greeting(activity)
                if greeting is not None:
                    await self._greet(greeting, guarded)
                return response.text("", status=200)
            message = self.user_message(activity)
            if message is not None:
                await guarded(message)
            return response.text("", status=200)

        return teams
