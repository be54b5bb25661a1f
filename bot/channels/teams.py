"""Microsoft Teams through the Bot Framework, with Rasa 3.6's channel defects fixed.

``TeamsInput`` serves ``POST /webhooks/teams/webhook`` (the bot's messaging
endpoint in Azure). Compared with Rasa's ``BotFrameworkInput`` it

* fetches Microsoft's signing keys lazily, on the first request, with async
  HTTP, cached for a day, so the assistant starts offline;
* verifies each request's token properly: RS256 only, a key from the
  OpenID metadata's ``jwks_uri``, issuer, audience (the app id), expiry, the
  key's channel endorsements and the ``serviceurl`` claim; 401 otherwise;
* takes a button press from the activity's ``value`` (Teams sends it with
  empty text) and ignores activities that carry nothing to answer;
* renders buttons as a Hero card whose ``messageBack`` actions return the
  payload in ``value``;
* gets its token from a configurable tenant / token URL and posts replies to
  the activity's ``serviceUrl`` with async HTTP.

Every message then goes through the :class:`MessageGuard`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional
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

logger = logging.getLogger(__name__)

# Microsoft's public endpoints: the defaults, each overridable in credentials.
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_ISSUER = "https://api.botframework.com"
DEFAULT_TENANT = "botframework.com"
DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"
DEFAULT_SCOPE = "https://api.botframework.com/.default"
DEFAULT_KEYS_TTL_SECONDS = 24 * 60 * 60

KEY_REFRESH_INTERVAL_SECONDS = 5 * 60  # at most this often for an unknown key id
KEY_RETRY_SECONDS = 10  # while no keys could be fetched yet
CLOCK_SKEW_SECONDS = 5 * 60  # Bot Framework SDKs allow the same
TOKEN_RENEW_BEFORE_SECONDS = 5 * 60
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)

_BEARER = re.compile(r"Bearer\s+(\S+)\s*", re.IGNORECASE)

Clock = Callable[[], float]


class AuthenticationError(Exception):
    """The request's token is missing or not valid: answer 401."""


class KeysUnavailable(Exception):
    """Microsoft's signing keys could not be fetched and none are cached: answer 503."""


class TokenUnavailable(Exception):
    """The bot could not get a token to post its replies."""


@dataclass(frozen=True)
class BotFrameworkSettings:
    """Where the Bot Framework lives, and who this bot is."""

    app_id: str
    app_password: str
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL
    issuer: str = DEFAULT_ISSUER
    tenant: str = DEFAULT_TENANT
    token_url: str = ""
    scope: str = DEFAULT_SCOPE
    keys_ttl_seconds: float = DEFAULT_KEYS_TTL_SECONDS

    @property
    def token_endpoint(self) -> str:
        return self.token_url or f"{DEFAULT_LOGIN_URL}/{self.tenant}/oauth2/v2.0/token"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any]) -> "BotFrameworkSettings":
        """Reads the channel's block of credentials; empty values fall back to the defaults."""
        app_id = str(credentials.get("app_id") or "").strip()
        app_password = str(credentials.get("app_password") or "").strip()
        if not app_id or not app_password:
            raise RasaException(
                "The Teams channel needs app_id and app_password (set MICROSOFT_APP_ID and "
                "MICROSOFT_APP_PASSWORD for credentials.teams.yml), or leave it out of the credentials file."
            )

        def setting(key: str, default: str) -> str:
            return str(credentials.get(key) or default).strip()

        return cls(
            app_id=app_id,
            app_password=app_password,
            openid_metadata_url=setting("openid_metadata_url", DEFAULT_OPENID_METADATA_URL),
            issuer=setting("issuer", DEFAULT_ISSUER),
            tenant=setting("tenant", DEFAULT_TENANT),
            token_url=setting("token_url", ""),
            scope=setting("scope", DEFAULT_SCOPE),
            keys_ttl_seconds=float(credentials.get("keys_ttl_seconds") or DEFAULT_KEYS_TTL_SECONDS),
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
        self._keys: Dict[str, Dict[str, Any]] = {}
        self._fetched_at = 0.0
        self._attempted_at: Optional[float] = None
        self._lock = asyncio.Lock()

    async def authenticate(self, authorization: Optional[str], activity: Mapping[str, Any]) -> Dict[str, Any]:
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
            claims: Dict[str, Any] = jwt.decode(
                token,
                key=RSAAlgorithm.from_jwk(json.dumps(key)),
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

    async def _key(self, key_id: str) -> Dict[str, Any]:
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


class TokenProvider:
    """The bot's own access token for posting replies, fetched and renewed as needed."""

    def __init__(self, settings: BotFrameworkSettings, clock: Clock = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._token: Optional[str] = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def headers(self) -> Dict[str, str]:
        async with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                await self._fetch()
        return {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}

    async def _fetch(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._settings.app_id,
            "client_secret": self._settings.app_password,
            "scope": self._settings.scope,
        }
        try:
            async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
                async with session.post(self._settings.token_endpoint, data=form) as reply:
                    reply.raise_for_status()
                    body = await reply.json(content_type=None)
            token = body["access_token"]
            lifetime = float(body.get("expires_in", 0))
        except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, TypeError, ValueError) as error:
            raise TokenUnavailable(type(error).__name__) from None
        if not isinstance(token, str) or not token:
            raise TokenUnavailable("empty access_token")
        self._token = token
        self._renew_at = self._clock() + max(0.0, lifetime - TOKEN_RENEW_BEFORE_SECONDS)


def card_action(button: Mapping[str, Any]) -> Dict[str, Any]:
    """A Rasa button as a Teams card action: links open, everything else posts its payload back in ``value``."""
    title = str(button.get("title") or "")
    url = button.get("url")
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return {"type": "openUrl", "title": title, "value": url}
    payload = button.get("payload") or title
    return {"type": "messageBack", "title": title, "displayText": title, "text": title, "value": {"payload": payload}}


def hero_card(text: str, buttons: Iterable[Mapping[str, Any]]) -> Dict[str, Any]:
    return {
        "contentType": "application/vnd.microsoft.card.hero",
        "content": {"text": text, "buttons": [card_action(button) for button in buttons]},
    }


def _id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, Mapping) else None


def _mentions_of_bot(activity: Mapping[str, Any]) -> List[str]:
    """The ``<at>Bot</at>`` strings Teams puts in the text when the bot is @mentioned in a chat or channel."""
    bot_id = _id_of(activity.get("recipient"))
    entities = activity.get("entities")
    return [
        entity["text"]
        for entity in (entities if isinstance(entities, list) else [])
        if isinstance(entity, Mapping)
        and entity.get("type") == "mention"
        and bot_id is not None
        and _id_of(entity.get("mentioned")) == bot_id
        and isinstance(entity.get("text"), str)
    ]


def incoming_text(activity: Mapping[str, Any]) -> Optional[str]:
    """What the practitioner said: a button's payload, else the text without the @mention of the bot.

    ``""`` for a message with only attachments (the guard then asks for text);
    ``None`` when there is nothing to answer.
    """
    value = activity.get("value")
    if isinstance(value, Mapping):
        value = value.get("payload")
    if isinstance(value, str) and value.strip():
        return value.strip()
    text = activity.get("text")
    if isinstance(text, str):
        for mention in _mentions_of_bot(activity):
            text = text.replace(mention, " ")
        if text.strip():
            return text.strip()
    if activity.get("attachments"):
        return ""
    return None


class TeamsOutput(BotFramework):
    """Replies to one conversation, through the activity's ``serviceUrl``."""

    def __init__(
        self,
        settings: BotFrameworkSettings,
        tokens: TokenProvider,
        conversation: Dict[str, Any],
        bot: Dict[str, Any],
        user: Dict[str, Any],
        service_url: str,
        reply_to_id: Optional[str] = None,
    ) -> None:
        super().__init__(settings.app_id, settings.app_password, conversation, bot, service_url)
        self._tokens = tokens
        self._user = user
        self._reply_to_id = reply_to_id

    @classmethod
    def name(cls) -> str:
        return "teams"

    def activities_url(self) -> str:
        return f"{self.global_uri}conversations/{quote(str(self.conversation['id']), safe='')}/activities"

    def prepare_message(self, recipient_id: str, message_data: Dict[str, Any]) -> Dict[str, Any]:
        data: Dict[str, Any] = {
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

    async def _get_headers(self) -> Optional[Dict[str, Any]]:
        try:
            return await self._tokens.headers()
        except TokenUnavailable as error:
            logger.error("teams: could not get a token to reply (%s)", error)
            return None

    async def send(self, message_data: Dict[str, Any]) -> None:
        """Posts one activity; failures are logged (status only), not raised, so the turn is still saved."""
        headers = await self._get_headers()
        if headers is None:
            return
        try:
            async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
                url = URL(self.activities_url(), encoded=True)  # already quoted: keep ':' and ';' escaped
                async with session.post(url, json=message_data, headers=headers) as reply:
                    if reply.status >= 300:
                        logger.error("teams: the Bot Framework refused a reply (HTTP %s)", reply.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("teams: could not post a reply (%s)", type(error).__name__)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send(self.prepare_message(recipient_id, {"text": text.strip()}))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send(self.prepare_message(recipient_id, {"attachments": [hero_card(text, buttons)]}))

    async def send_custom_json(self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any) -> None:
        await self.send(self.prepare_message(recipient_id, json_message))


class TeamsInput(BotFrameworkInput):
    """The Teams channel: ``bot.channels.teams.TeamsInput`` in credentials.

    Keys: ``app_id``, ``app_password`` (required), ``tenant``, ``token_url``,
    ``openid_metadata_url``, ``issuer``, ``scope``, ``keys_ttl_seconds``
    (optional, default Microsoft's), and the guard's keys.
    """

    # BotFrameworkInput.__init__ is deliberately not called: it downloads Microsoft's
    # keys synchronously at start, so an offline server could not start.
    def __init__(self, settings: BotFrameworkSettings, guard: MessageGuard) -> None:
        self.app_id = settings.app_id
        self.app_password = settings.app_password
        self.settings = settings
        self.guard = guard
        self.authenticator = BotFrameworkAuthenticator(settings)
        self.tokens = TokenProvider(settings)

    @classmethod
    def name(cls) -> str:
        return "teams"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(BotFrameworkSettings.from_credentials(credentials), guard_from_credentials(credentials))

    def user_message(self, activity: Mapping[str, Any]) -> Optional[UserMessage]:
        """The message to hand to Rasa, or None for activities with nothing to answer."""
        if activity.get("type") != "message":
            return None
        text = incoming_text(activity)
        conversation = activity.get("conversation")
        user = activity.get("from")
        bot = activity.get("recipient")
        service_url = activity.get("serviceUrl")
        if (
            text is None
            or not isinstance(conversation, dict)
            or not conversation.get("id")
            or not isinstance(user, dict)
            or not user.get("id")
            or not isinstance(bot, dict)
            or not isinstance(service_url, str)
        ):
            return None
        reply_to = activity.get("id")
        output = TeamsOutput(
            self.settings,
            self.tokens,
            conversation,
            bot,
            user,
            service_url,
            reply_to_id=reply_to if isinstance(reply_to, str) else None,
        )
        # One conversation per person per chat: group chats and channels are shared.
        sender_id = f"{conversation['id']}|{user['id']}"
        # A card press arrives in `value`, built by this channel's own cards: the
        # guard passes it through as a payload (typed text never gets this mark).
        value = activity.get("value")
        pressed_payload = value.get("payload") if isinstance(value, Mapping) else value
        pressed = isinstance(pressed_payload, str) and text == pressed_payload.strip()
        metadata = {CHANNEL_PAYLOAD: True} if pressed else None
        return UserMessage(text, output, sender_id, input_channel=self.name(), metadata=metadata)

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
            message = self.user_message(activity)
            if message is not None:
                await guarded(message)
            return response.text("", status=200)

        return teams
