"""The Teams channel against a fake Bot Framework service on loopback.

A small Sanic app carries the channel's blueprint; a stand-in for Rasa
replies with text and buttons through the output channel; the fake service
records what the bot posts back.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.guard import MessageGuard, SafetyTexts
from bot.channels.teams import (
    BotFrameworkSettings,
    TeamsInput,
    card_action,
    incoming_text,
)
from tests.fakes.standins import clean, redact
from tests.fakes.botframework import FakeBotFramework, hmac_token, new_key, unsigned_token
from tests.fakes.sanic_app import make_app, serving

APP_ID = "3f1c2d4e-0000-4000-8000-00000000a11d"
CONVERSATION_ID = "a:1Xy;messageid=42"  # Teams ids carry ':' and ';'
BUTTONS = [
    {"title": "Yes, in danger now", "payload": '/choose{"immediate_danger": "yes"}'},
    {"title": "No", "payload": '/choose{"immediate_danger": "no"}'},
]
TEXTS = SafetyTexts(
    safe_reply="Sorry. If a child is in immediate danger, call 999.",
    empty_prompt="Please type your question.",
    privacy_notice="Please do not type names.",
)


@dataclass
class FakeRasa:
    """Stands in for Rasa: records messages and answers with a question and two buttons."""

    reply: Optional[Dict[str, Any]] = field(
        default_factory=lambda: {"text": "Is the child in immediate danger?", "buttons": BUTTONS}
    )
    fail: bool = False
    received: List[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("the action server is down")
        if self.reply is not None:
            await message.output_channel.send_response(message.sender_id, dict(self.reply))


def settings_for(fake: FakeBotFramework) -> BotFrameworkSettings:
    return BotFrameworkSettings(
        app_id=APP_ID,
        app_password="s3cret",
        openid_metadata_url=fake.openid_metadata_url,
        token_url=fake.token_url,
    )


def activity(fake: FakeBotFramework, **fields: Any) -> Dict[str, Any]:
    body: Dict[str, Any] = {
        "type": "message",
        "id": "1700000000001",
        "channelId": "msteams",
        "serviceUrl": fake.service_url,
        "from": {"id": "29:user-1", "name": "A practitioner"},
        "recipient": {"id": "28:" + APP_ID, "name": "Neglect guidance"},
        "conversation": {"id": CONVERSATION_ID, "conversationType": "personal"},
        "text": "what is neglect?",
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


Scenario = Callable[[FakeBotFramework, str, aiohttp.ClientSession], Awaitable[None]]


def run(scenario: Scenario, rasa: FakeRasa, fake: Optional[FakeBotFramework] = None) -> FakeBotFramework:
    """Starts the fake service and the channel, runs the scenario, returns the fake."""
    service = fake or FakeBotFramework()

    async def main() -> None:
        await service.start()
        try:
            channel = TeamsInput(settings_for(service), MessageGuard(TEXTS, clean, redact, deadline_seconds=2))
            async with serving(make_app(channel, rasa)) as base_url:
                async with aiohttp.ClientSession() as session:
                    await scenario(service, f"{base_url}/webhooks/teams/webhook", session)
        finally:
            await service.stop()

    asyncio.run(main())
    return service


async def post(session: aiohttp.ClientSession, url: str, body: Dict[str, Any], token: Optional[str]) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with session.post(url, json=body, headers=headers) as reply:
        return reply.status


def test_a_message_is_answered_with_a_card_whose_buttons_post_back_their_payload() -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert [m.text for m in rasa.received] == ["what is neglect?"]
    assert rasa.received[0].input_channel == "teams"
    assert len(fake.replies) == 1
    reply = fake.replies[0]
    assert reply.conversation_id == CONVERSATION_ID
    assert reply.authorization == f"Bearer {fake.access_token}"
    assert reply.activity["replyToId"] == "1700000000001"
    assert reply.activity["recipient"]["id"] == "29:user-1"
    card = reply.activity["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.hero"
    assert card["content"]["text"] == "Is the child in immediate danger?"
    assert [(b["type"], b["title"], b["displayText"], b["value"]) for b in card["content"]["buttons"]] == [
        ("messageBack", b["title"], b["title"], {"payload": b["payload"]}) for b in BUTTONS
    ]
    assert fake.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": APP_ID,
            "client_secret": "s3cret",
            "scope": "https://api.botframework.com/.default",
        }
    ]


def test_a_text_reply_is_posted_as_one_message() -> None:
    rasa = FakeRasa(reply={"text": "Neglect is the persistent failure to meet a child's needs.\n\nSource: guide"})

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert [r.activity["text"] for r in fake.replies] == [
        "Neglect is the persistent failure to meet a child's needs.\n\nSource: guide"
    ]
    assert fake.replies[0].activity["type"] == "message"


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"text": "", "value": {"payload": '/choose{"immediate_danger": "no"}'}}, '/choose{"immediate_danger": "no"}'),
        ({"text": None, "value": '/choose{"age_band": "5_11"}'}, '/choose{"age_band": "5_11"}'),
        (
            {"text": "No", "value": {"payload": '/choose{"immediate_danger": "no"}'}},
            '/choose{"immediate_danger": "no"}',
        ),
        (
            {
                "text": "<at>Neglect guidance</at> what is neglect?",
                "entities": [
                    {"type": "mention", "text": "<at>Neglect guidance</at>", "mentioned": {"id": "28:" + APP_ID}}
                ],
            },
            "what is neglect?",
        ),
    ],
    ids=["postback-payload", "postback-string", "postback-wins-over-text", "mention-removed"],
)
def test_button_presses_and_mentions_reach_rasa_as_text(fields: Dict[str, Any], expected: str) -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake, **fields), fake.sign(fake.claims(APP_ID))) == 200

    run(scenario, rasa)
    assert [m.text for m in rasa.received] == [expected]


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "typing", "text": None},
        {"type": "conversationUpdate", "text": None, "membersAdded": [{"id": "28:" + APP_ID}]},
        {"type": "message", "text": "", "value": None},
        {"type": "message", "text": "   ", "value": {"not_a_payload": 1}},
    ],
    ids=["typing", "conversation-update", "empty-message", "blank-text-and-odd-value"],
)
def test_activities_with_nothing_to_answer_do_not_reach_rasa(fields: Dict[str, Any]) -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake, **fields), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert rasa.received == []
    assert fake.replies == []


def test_identifying_details_are_redacted_before_rasa_and_the_notice_is_sent_first() -> None:
    rasa = FakeRasa(reply={"text": "Thanks."})

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        body = activity(fake, text="my pupil Tom is always hungry")
        assert await post(session, url, body, fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert [m.text for m in rasa.received] == ["my pupil [name] is always hungry"]
    assert rasa.received[0].metadata == {"redacted": ["name"], "truncated": False}
    assert [r.activity["text"] for r in fake.replies] == [TEXTS.privacy_notice, "Thanks."]


def test_when_rasa_fails_the_safe_reply_is_posted() -> None:
    rasa = FakeRasa(fail=True)

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert [r.activity["text"] for r in fake.replies] == [TEXTS.safe_reply]


def test_keys_are_fetched_lazily_once_and_the_token_is_reused() -> None:
    rasa = FakeRasa(reply={"text": "ok"})
    fake = FakeBotFramework()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert fake.metadata_requests == 0, "the channel must not fetch keys before the first request"
        for _ in range(2):
            assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    run(scenario, rasa, fake)
    assert fake.metadata_requests == 1
    assert len(fake.token_requests) == 1
    assert len(fake.replies) == 2


def test_unreachable_key_metadata_gives_503_not_a_pass() -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 503

    run(scenario, rasa, FakeBotFramework(fail_metadata=True))
    assert rasa.received == []


def _bad_token(case: str, fake: FakeBotFramework) -> Optional[str]:
    now = int(time.time())
    valid = fake.claims(APP_ID)
    if case == "wrong-audience":
        return fake.sign(fake.claims("another-bot"))
    if case == "wrong-issuer":
        return fake.sign(fake.claims(APP_ID, iss="https://sts.windows.net/another-tenant/"))
    if case == "expired":
        return fake.sign(fake.claims(APP_ID, iat=now - 7200, nbf=now - 7200, exp=now - 3600))
    if case == "not-yet-valid":
        return fake.sign(fake.claims(APP_ID, nbf=now + 3600))
    if case == "no-expiry":
        return fake.sign(fake.claims(APP_ID, exp=None))
    if case == "unknown-key":
        return fake.sign(valid, kid="some-other-key")
    if case == "forged-key":
        return fake.sign(valid, key=new_key())
    if case == "alg-none":
        return unsigned_token(valid, {"alg": "none", "typ": "JWT", "kid": fake.key_id})
    if case == "hs256-with-public-key":
        return hmac_token(valid, fake.public_pem(), fake.key_id)
    if case == "other-service-url":
        return fake.sign(fake.claims(APP_ID, serviceurl="https://attacker.example/"))
    if case == "garbage":
        return "not.a.token"
    if case == "no-header":
        return None
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "wrong-audience",
        "wrong-issuer",
        "expired",
        "not-yet-valid",
        "no-expiry",
        "unknown-key",
        "forged-key",
        "alg-none",
        "hs256-with-public-key",
        "other-service-url",
        "garbage",
        "no-header",
    ],
)
def test_requests_without_a_valid_token_are_refused_with_401(case: str) -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), _bad_token(case, fake)) == 401

    fake = run(scenario, rasa)
    assert rasa.received == []
    assert fake.replies == []


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "bearer  "],
)
def test_authorization_headers_that_are_not_bearer_tokens_are_refused(authorization: str) -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        async with session.post(url, json=activity(fake), headers={"Authorization": authorization}) as reply:
            assert reply.status == 401

    run(scenario, rasa)
    assert rasa.received == []


def test_a_key_not_endorsed_for_the_channel_is_refused() -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        body = activity(fake, channelId="slack")
        assert await post(session, url, body, fake.sign(fake.claims(APP_ID))) == 401

    run(scenario, rasa)
    assert rasa.received == []


@pytest.mark.parametrize(
    "credentials, message",
    [
        ({}, "credentials"),
        ({"app_id": "", "app_password": "x"}, "MICROSOFT_APP_ID"),
        ({"app_id": APP_ID, "app_password": ""}, "MICROSOFT_APP_PASSWORD"),
    ],
)
def test_the_channel_refuses_to_start_without_credentials(credentials: Dict[str, Any], message: str) -> None:
    from rasa.shared.exceptions import RasaException

    with pytest.raises(RasaException, match=message):
        TeamsInput.from_credentials(credentials)


def test_settings_default_to_microsofts_endpoints_and_the_tenant_is_configurable() -> None:
    default = BotFrameworkSettings.from_credentials({"app_id": APP_ID, "app_password": "x"})
    assert default.openid_metadata_url == "https://login.botframework.com/v1/.well-known/openidconfiguration"
    assert default.issuer == "https://api.botframework.com"
    assert default.token_endpoint == "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
    single_tenant = BotFrameworkSettings.from_credentials(
        {"app_id": APP_ID, "app_password": "x", "tenant": "contoso.onmicrosoft.com"}
    )
    assert single_tenant.token_endpoint == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"


def test_building_the_channel_from_credentials_makes_no_network_call() -> None:
    # An unroutable metadata address: constructing must still succeed (start offline).
    channel = TeamsInput.from_credentials(
        {"app_id": APP_ID, "app_password": "x", "openid_metadata_url": "http://127.0.0.1:9/none"}
    )
    assert isinstance(channel, TeamsInput)
    assert channel.url_prefix() == "teams"


@pytest.mark.parametrize(
    "button, expected",
    [
        (
            {"title": "Met", "payload": "/choose"},
            {
                "type": "messageBack",
                "title": "Met",
                "displayText": "Met",
                "text": "Met",
                "value": {"payload": "/choose"},
            },
        ),
        (
            {"title": "Read the guide", "url": "https://example.org/guide"},
            {"type": "openUrl", "title": "Read the guide", "value": "https://example.org/guide"},
        ),
        (
            {"title": "Odd", "url": "javascript:alert(1)", "payload": "/x"},
            {"type": "messageBack", "title": "Odd", "displayText": "Odd", "text": "Odd", "value": {"payload": "/x"}},
        ),
    ],
)
def test_card_actions(button: Dict[str, Any], expected: Dict[str, Any]) -> None:
    assert card_action(button) == expected


def test_an_attachment_only_message_gets_the_empty_prompt_path() -> None:
    assert incoming_text({"type": "message", "attachments": [{"contentType": "image/png"}]}) == ""
    assert incoming_text({"type": "message"}) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def authenticate_with(
    scenario: Callable[[FakeBotFramework, Any, Clock], Awaitable[None]], fake: FakeBotFramework
) -> None:
    from bot.channels.teams import BotFrameworkAuthenticator

    async def main() -> None:
        await fake.start()
        try:
            clock = Clock()
            await scenario(fake, BotFrameworkAuthenticator(settings_for(fake), clock=clock), clock)
        finally:
            await fake.stop()

    asyncio.run(main())


def test_a_rotated_key_is_fetched_but_not_more_than_every_five_minutes() -> None:
    from bot.channels.teams import AuthenticationError

    async def scenario(fake: FakeBotFramework, auth: Any, clock: Clock) -> None:
        body = activity(fake)
        await auth.authenticate(f"Bearer {fake.sign(fake.claims(APP_ID))}", body)
        fake.private_key, fake.key_id = new_key(), "fake-key-2"  # Microsoft rotates its keys
        with pytest.raises(AuthenticationError, match="unknown signing key"):
            await auth.authenticate(f"Bearer {fake.sign(fake.claims(APP_ID))}", body)
        assert fake.metadata_requests == 1
        clock.now += 301
        await auth.authenticate(f"Bearer {fake.sign(fake.claims(APP_ID))}", body)
        assert fake.metadata_requests == 2

    authenticate_with(scenario, FakeBotFramework())


def test_keys_are_refreshed_after_a_day() -> None:
    async def scenario(fake: FakeBotFramework, auth: Any, clock: Clock) -> None:
        token = f"Bearer {fake.sign(fake.claims(APP_ID))}"
        await auth.authenticate(token, activity(fake))
        clock.now += 3600
        await auth.authenticate(token, activity(fake))
        assert fake.metadata_requests == 1
        clock.now += 24 * 3600
        await auth.authenticate(token, activity(fake))
        assert fake.metadata_requests == 2

    authenticate_with(scenario, FakeBotFramework())


def test_a_failed_key_fetch_is_retried_after_ten_seconds_not_on_every_request() -> None:
    from bot.channels.teams import KeysUnavailable

    async def scenario(fake: FakeBotFramework, auth: Any, clock: Clock) -> None:
        token = f"Bearer {fake.sign(fake.claims(APP_ID))}"
        for _ in range(3):
            with pytest.raises(KeysUnavailable):
                await auth.authenticate(token, activity(fake))
        assert fake.metadata_requests == 1
        fake.fail_metadata = False
        clock.now += 10
        await auth.authenticate(token, activity(fake))
        assert fake.metadata_requests == 2

    authenticate_with(scenario, FakeBotFramework(fail_metadata=True))
