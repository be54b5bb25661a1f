"""The Teams channel against a fake Bot Framework service on loopback.

A small Sanic app carries the channel's blueprint; a stand-in for Rasa
replies with text and buttons through the output channel; the fake service
records what the bot posts back.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Awaitable, Callable, Collection

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.guard import MessageGuard, SafetyTexts
from bot.channels.teams import (
    BotFrameworkSettings,
    RetryPolicy,
    TeamsInput,
    card_action,
    incoming_text,
)
from tests.fakes.standins import clean, redact
from tests.fakes.botframework import FakeBotFramework, hmac_token, new_key, unsigned_token
from tests.fakes.sanic_app import make_app, serving
from bot.paths import ROOT

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

    reply: dict[str, Any] | None = field(
        default_factory=lambda: {"text": "Is the child in immediate danger?", "buttons": BUTTONS}
    )
    fail: bool = False
    received: list[UserMessage] = field(default_factory=list)

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


def activity(fake: FakeBotFramework, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
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


class Sleeps:
    """An injectable sleep that only records how long the channel wanted to wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def no_offers(sender_id: str) -> Collection[str]:
    return ()


def run(
    scenario: Scenario,
    rasa: FakeRasa,
    fake: FakeBotFramework | None = None,
    *,
    settings: Callable[[FakeBotFramework], BotFrameworkSettings] | None = None,
    retry: RetryPolicy | None = None,
) -> FakeBotFramework:
    """Starts the fake service and the channel, runs the scenario, returns the fake.

    Retries never really sleep: the default policy records its waits in a ``Sleeps``.
    """
    service = fake or FakeBotFramework()
    policy = retry or RetryPolicy(sleep=Sleeps(), jitter=lambda: 0.5)

    async def main() -> None:
        await service.start()
        try:
            channel = TeamsInput(
                (settings or settings_for)(service),
                MessageGuard(TEXTS, clean, redact, deadline_seconds=2, offers=no_offers),
                retry=policy,
            )
            async with serving(make_app(channel, rasa)) as base_url:
                async with aiohttp.ClientSession() as session:
                    await scenario(service, f"{base_url}/webhooks/teams/webhook", session)
        finally:
            await service.stop()

    asyncio.run(main())
    return service


async def post(session: aiohttp.ClientSession, url: str, body: dict[str, Any], token: str | None) -> int:
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
def test_button_presses_and_mentions_reach_rasa_as_text(fields: dict[str, Any], expected: str) -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake, **fields), fake.sign(fake.claims(APP_ID))) == 200

    run(scenario, rasa)
    assert [m.text for m in rasa.received] == [expected]


# Two cases that used to be here encoded the old, wrong behaviour: a
# conversationUpdate adding the bot now sends the greeting
# (test_the_bot_greets_once_per_install), and a card submit without a payload
# now gets a clear reply (test_a_card_submit_without_a_payload_gets_a_clear_reply).
@pytest.mark.parametrize(
    "fields",
    [
        {"type": "typing", "text": None},
        {"type": "message", "text": "", "value": None},
        {"type": "message", "text": "   "},
    ],
    ids=["typing", "empty-message", "blank-text"],
)
def test_activities_with_nothing_to_answer_do_not_reach_rasa(fields: dict[str, Any]) -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake, **fields), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert rasa.received == []
    assert fake.replies == []


def test_identifying_details_are_redacted_before_rasa_and_the_notice_follows_the_reply() -> None:
    rasa = FakeRasa(reply={"text": "Thanks."})

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        body = activity(fake, text="my pupil Tom is always hungry")
        assert await post(session, url, body, fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert [m.text for m in rasa.received] == ["my pupil [name] is always hungry"]
    assert rasa.received[0].metadata == {"redacted": ["name"], "truncated": False}
    assert [r.activity["text"] for r in fake.replies] == ["Thanks.", TEXTS.privacy_notice]


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


def _bad_token(case: str, fake: FakeBotFramework) -> str | None:
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
def test_the_channel_refuses_to_start_without_credentials(credentials: dict[str, Any], message: str) -> None:
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
def test_card_actions(button: dict[str, Any], expected: dict[str, Any]) -> None:
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


# -- 1. delivery: retries, backoff, Retry-After, 401 ----------------------------

import email.utils  # noqa: E402  (kept with the tests that use it)
import logging  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

import yaml  # noqa: E402
from yarl import URL  # noqa: E402
from rasa.shared.exceptions import RasaException  # noqa: E402

from bot.channels.teams import (  # noqa: E402
    MAX_CARD_BUTTONS,
    Delivery,
    TeamsOutput,
    TokenProvider,
    retry_after_seconds,
    strip_bot_mentions,
)
from tests.fakes.botframework import Failure  # noqa: E402

WALL_CLOCK = 1_750_000_000.0  # a fixed "now" for Retry-After dates


def policy(sleeps: Sleeps, **overrides: Any) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, jitter=lambda: 0.5, wall_clock=lambda: WALL_CLOCK, **overrides)


def reply_once(rasa_reply: dict[str, Any], fake: FakeBotFramework, sleeps: Sleeps) -> FakeBotFramework:
    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    return run(scenario, FakeRasa(reply=rasa_reply), fake, retry=policy(sleeps))


def http_date(timestamp: float) -> str:
    return email.utils.format_datetime(datetime.fromtimestamp(timestamp, timezone.utc), usegmt=True)


@pytest.mark.parametrize(
    "retry_after, expected_wait",
    [("2", 2.0), (http_date(WALL_CLOCK + 3), 3.0), ("0", 0.0)],
    ids=["seconds", "http-date", "zero"],
)
def test_a_throttled_reply_is_retried_after_the_retry_after_it_was_given(
    retry_after: str, expected_wait: float
) -> None:
    fake = FakeBotFramework(activity_failures=[Failure(429, {"Retry-After": retry_after})])
    sleeps = Sleeps()
    reply_once({"text": "ok"}, fake, sleeps)
    assert sleeps.delays == [pytest.approx(expected_wait, abs=0.01)]
    assert fake.activity_attempts == 2
    assert [r.activity["text"] for r in fake.replies] == ["ok"]


def test_transient_errors_are_retried_with_exponential_backoff_and_jitter() -> None:
    fake = FakeBotFramework(activity_failures=[Failure(412), Failure(502), Failure(504)])
    sleeps = Sleeps()
    reply_once({"text": "ok"}, fake, sleeps)
    # base 0.5 s doubling, "equal jitter" with the jitter fixed at 0.5: 3/4 of 0.5, 1, 2.
    assert sleeps.delays == [pytest.approx(0.375), pytest.approx(0.75), pytest.approx(1.5)]
    assert fake.activity_attempts == 4
    assert len(fake.replies) == 1


def test_jitter_spreads_the_backoff_between_half_and_all_of_the_step() -> None:
    low, high = RetryPolicy(jitter=lambda: 0.0), RetryPolicy(jitter=lambda: 1.0)
    assert [low.backoff(n) for n in range(5)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    assert [high.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    default = RetryPolicy()
    worst = sum(high.backoff(n) for n in range(default.max_attempts - 1))
    assert worst < default.budget_seconds


def test_retries_stop_after_four_tries_and_the_failure_is_logged_without_text_or_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeBotFramework(activity_failures=[Failure(429)] * 10)
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING, logger="bot.channels.teams"):
        reply_once({"text": "Secret reply text"}, fake, sleeps)
    assert fake.activity_attempts == 4
    assert len(sleeps.delays) == 3
    assert fake.replies == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["teams: a reply was NOT delivered after 4 attempt(s): HTTP 429"]
    everything = " ".join(r.getMessage() for r in caplog.records)
    assert "Secret reply text" not in everything
    assert fake.access_token not in everything and "s3cret" not in everything


def test_a_retry_after_beyond_the_budget_is_not_waited_for(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeBotFramework(activity_failures=[Failure(429, {"Retry-After": "60"})])
    sleeps = Sleeps()
    with caplog.at_level(logging.ERROR, logger="bot.channels.teams"):
        reply_once({"text": "ok"}, fake, sleeps)
    assert sleeps.delays == []
    assert fake.activity_attempts == 1
    assert "would exceed 10 s" in caplog.text


@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_errors_that_a_retry_cannot_fix_are_not_retried(status: int) -> None:
    fake = FakeBotFramework(activity_failures=[Failure(status)])
    sleeps = Sleeps()
    reply_once({"text": "ok"}, fake, sleeps)
    assert fake.activity_attempts == 1
    assert sleeps.delays == []


def test_a_connector_401_drops_the_cached_token_and_retries_once_with_a_new_one() -> None:
    rasa = FakeRasa(reply={"text": "ok"})
    tokens_used: list[str] = []

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200
        tokens_used.append(fake.revoke_current_token())  # Azure rotated the bot's credentials
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert len(fake.token_requests) == 2
    assert fake.activity_attempts == 3  # ok, 401, ok
    assert [r.authorization for r in fake.replies] == [f"Bearer {tokens_used[0]}", f"Bearer {fake.access_token}"]


def test_a_second_connector_401_is_not_retried_again() -> None:
    fake = FakeBotFramework(activity_failures=[Failure(401), Failure(401), Failure(401)])
    sleeps = Sleeps()
    reply_once({"text": "ok"}, fake, sleeps)
    assert fake.activity_attempts == 2
    assert len(fake.token_requests) == 2
    assert fake.replies == []


def test_an_unreachable_connector_is_retried_and_reported() -> None:
    async def main() -> Delivery:
        fake = await FakeBotFramework().start()
        settings = settings_for(fake)
        sleeps = Sleeps()
        output = TeamsOutput(
            settings,
            TokenProvider(settings),
            {"id": CONVERSATION_ID},
            {"id": "28:" + APP_ID},
            {"id": "29:user-1"},
            "http://127.0.0.1:9/",  # nothing listens on the discard port
            retry=policy(sleeps),
        )
        try:
            delivery = await output.send(output.prepare_message("29:user-1", {"text": "ok"}))
        finally:
            await fake.stop()
        assert len(sleeps.delays) == 3
        return delivery

    delivery = asyncio.run(main())
    assert not delivery.delivered and delivery.attempts == 4
    assert "unreachable" in delivery.reason


@pytest.mark.parametrize(
    "value, now, expected",
    [
        ("5", 0.0, 5.0),
        (" 1.5 ", 0.0, 1.5),
        ("-3", 0.0, 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1445412475.0, 5.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490.0, 0.0),  # already past
        ("soon", 0.0, None),
        ("", 0.0, None),
        (None, 0.0, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(value: str | None, now: float, expected: Any) -> None:
    assert retry_after_seconds(value, now) == expected


# -- 7. single-tenant and multi-tenant tokens -----------------------------------

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def test_a_single_tenant_bot_gets_its_token_from_its_own_tenant() -> None:
    def single_tenant(fake: FakeBotFramework) -> BotFrameworkSettings:
        return BotFrameworkSettings.from_credentials(
            {
                "app_id": APP_ID,
                "app_password": "s3cret",
                "app_type": "SingleTenant",
                "tenant": TENANT_ID,
                "login_url": fake.login_url,
                "openid_metadata_url": fake.openid_metadata_url,
            },
            env={},
        )

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, FakeRasa(reply={"text": "ok"}), settings=single_tenant)
    assert fake.token_tenants == [TENANT_ID]
    assert fake.token_requests[0]["scope"] == "https://api.botframework.com/.default"
    assert [r.activity["text"] for r in fake.replies] == ["ok"]


@pytest.mark.parametrize(
    "credentials, env, app_type, tenant",
    [
        ({}, {}, "MultiTenant", "botframework.com"),
        ({"app_type": "MultiTenant"}, {}, "MultiTenant", "botframework.com"),
        ({"app_type": "multitenant", "tenant": TENANT_ID}, {}, "MultiTenant", "botframework.com"),
        ({"app_type": "SingleTenant", "tenant": TENANT_ID}, {}, "SingleTenant", TENANT_ID),
        ({"app_type": "single-tenant", "tenant": TENANT_ID}, {}, "SingleTenant", TENANT_ID),
        ({"tenant": "contoso.onmicrosoft.com"}, {}, "SingleTenant", "contoso.onmicrosoft.com"),
        ({}, {"MICROSOFT_APP_TYPE": "SingleTenant", "MICROSOFT_APP_TENANT_ID": TENANT_ID}, "SingleTenant", TENANT_ID),
        ({"app_type": "MultiTenant"}, {"MICROSOFT_APP_TYPE": "SingleTenant"}, "MultiTenant", "botframework.com"),
    ],
    ids=[
        "default",
        "explicit-multi",
        "multi-ignores-tenant",
        "single",
        "single-spelt-loosely",
        "tenant-alone-means-single",
        "from-environment",
        "credentials-win-over-environment",
    ],
)
def test_the_app_type_decides_the_token_tenant(
    credentials: dict[str, Any], env: dict[str, str], app_type: str, tenant: str
) -> None:
    settings = BotFrameworkSettings.from_credentials({"app_id": APP_ID, "app_password": "x", **credentials}, env=env)
    assert (settings.app_type, settings.tenant) == (app_type, tenant)
    assert settings.token_endpoint == f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"


@pytest.mark.parametrize(
    "credentials, env, message",
    [
        ({"app_type": "SingleTenant"}, {}, r"needs the tenant: set tenant \(or MICROSOFT_APP_TENANT_ID\)"),
        ({"app_type": "SingleTenant", "tenant": "botframework.com"}, {}, "needs the tenant"),
        ({}, {"MICROSOFT_APP_TYPE": "SingleTenant"}, "MICROSOFT_APP_TENANT_ID"),
        ({"app_type": "SingleTenant", "tenant": "a/b"}, {}, "must be a tenant id"),
        ({"app_type": "UserAssignedMSI"}, {}, r"app_type \(or MICROSOFT_APP_TYPE\) must be SingleTenant or Multi"),
    ],
    ids=["single-without-tenant", "single-with-botframework", "env-single-without-tenant", "bad-tenant", "bad-type"],
)
def test_a_misconfigured_app_type_stops_the_start_with_a_clear_message(
    credentials: dict[str, Any], env: dict[str, str], message: str
) -> None:
    with pytest.raises(RasaException, match=message):
        BotFrameworkSettings.from_credentials({"app_id": APP_ID, "app_password": "x", **credentials}, env=env)


def test_the_channel_checks_the_app_type_when_it_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "SingleTenant")
    monkeypatch.delenv("MICROSOFT_APP_TENANT_ID", raising=False)
    with pytest.raises(RasaException, match="MICROSOFT_APP_TENANT_ID"):
        TeamsInput.from_credentials({"app_id": APP_ID, "app_password": "x"})


def test_a_failing_token_endpoint_is_retried_so_the_user_still_gets_the_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeBotFramework(token_failures=[Failure(503), Failure(429, {"Retry-After": "1"})])
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING, logger="bot.channels.teams"):
        reply_once({"text": "ok"}, fake, sleeps)
    assert len(fake.token_requests) == 3
    assert sleeps.delays == [pytest.approx(0.375), 1.0]
    assert [r.activity["text"] for r in fake.replies] == ["ok"]
    assert "token endpoint" in caplog.text and "HTTP 503" in caplog.text
    assert "s3cret" not in caplog.text and fake.access_token not in caplog.text


def test_a_token_refusal_is_not_retried_and_the_log_names_the_setting_to_fix(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refusal = {
        "error": "unauthorized_client",
        "error_description": "AADSTS700016: Application with identifier ... was not found in the directory",
        "error_codes": [700016],
    }
    fake = FakeBotFramework(token_failures=[Failure(400, body=refusal)])
    sleeps = Sleeps()
    with caplog.at_level(logging.ERROR, logger="bot.channels.teams"):
        reply_once({"text": "ok"}, fake, sleeps)
    assert len(fake.token_requests) == 1 and sleeps.delays == []
    assert "unauthorized_client" in caplog.text and "AADSTS700016" in caplog.text
    assert "single-tenant bot needs app_type single-tenant" in caplog.text
    assert "MICROSOFT_APP_TENANT_ID" in caplog.text
    assert "NOT delivered" in caplog.text
    assert "s3cret" not in caplog.text


# -- 2. at most six buttons per card --------------------------------------------


def buttons(count: int) -> list[dict[str, Any]]:
    return [{"title": f"Role {n}", "payload": f'/choose{{"role": "r{n}"}}'} for n in range(count)]


@pytest.mark.parametrize("count, sizes", [(1, [1]), (6, [6]), (7, [4, 3]), (8, [4, 4]), (13, [5, 5, 3]), (20, [5] * 4)])
def test_cards_have_at_most_six_buttons_and_keep_every_button_in_order(count: int, sizes: list[int]) -> None:
    rasa = FakeRasa(reply={"text": "What is your role?", "buttons": buttons(count)})

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert len(fake.replies) == 1
    message = fake.replies[0].activity
    cards = message["attachments"]
    assert [len(card["content"]["buttons"]) for card in cards] == sizes
    assert all(len(card["content"]["buttons"]) <= MAX_CARD_BUTTONS for card in cards)
    assert all(card["contentType"] == "application/vnd.microsoft.card.hero" for card in cards)
    pressed = [action["value"]["payload"] for card in cards for action in card["content"]["buttons"]]
    assert pressed == [b["payload"] for b in buttons(count)]
    assert cards[0]["content"]["text"] == "What is your role?"
    assert all("text" not in card["content"] for card in cards[1:])
    assert message.get("attachmentLayout") == ("list" if len(cards) > 1 else None)


def test_the_role_question_with_its_eight_buttons_fits_teams() -> None:
    """The real role question (every role in knowledge/roles.yml, plus "Skip") as Teams will show it."""
    from types import SimpleNamespace

    import bot.render
    from bot.channels.teams import hero_cards

    roles = yaml.safe_load((ROOT / "knowledge" / "roles.yml").read_text(encoding="utf-8"))
    question = bot.render.ask_role([SimpleNamespace(id=role["id"], name=role["name"]) for role in roles])
    assert len(question["buttons"]) == 8  # the defect: one Hero card with eight buttons
    cards = hero_cards(question["text"], question["buttons"])
    assert [len(card["content"]["buttons"]) for card in cards] == [4, 4]
    titles = [action["title"] for card in cards for action in card["content"]["buttons"]]
    assert titles == [b["title"] for b in question["buttons"]]


# -- 3. the install greeting ------------------------------------------------------


def domain_greeting() -> dict[str, Any]:
    """utter_greet as the domain defines it (what Rasa sends for /greet)."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    greeting = dict(domain["responses"]["utter_greet"][0])
    return {"text": greeting["text"], "buttons": greeting.get("buttons", [])}


@dataclass
class GreetingRasa(FakeRasa):
    """Answers /greet with the domain's utter_greet, anything else with "ok"."""

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        reply = domain_greeting() if message.text == "/greet" else {"text": "ok"}
        await message.output_channel.send_response(message.sender_id, reply)


def test_greet_is_answered_by_the_assistants_greeting_rule() -> None:
    rules = yaml.safe_load((ROOT / "data" / "rules" / "core.yml").read_text(encoding="utf-8"))
    greet = [rule for rule in rules["rules"] if rule.get("rule") == "greet"]
    assert greet and greet[0]["steps"] == [{"intent": "greet"}, {"action": "utter_greet"}]
    assert "999" in domain_greeting()["text"]


def install(fake: FakeBotFramework, kind: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": kind, "text": None, "id": f"f:{kind}"}
    if kind == "installationUpdate":
        base["action"] = "add"
    if kind == "conversationUpdate":
        base["membersAdded"] = [{"id": "28:" + APP_ID}]
    base.update(fields)
    return activity(fake, **base)


def test_the_bot_greets_once_per_install_with_the_greeting_and_the_privacy_notice() -> None:
    rasa = GreetingRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        token = fake.sign(fake.claims(APP_ID))
        # One install: Teams sends both, and may resend either.
        for body in (install(fake, "installationUpdate"), install(fake, "conversationUpdate")) * 2:
            assert await post(session, url, body, token) == 200

    fake = run(scenario, rasa)
    assert [m.text for m in rasa.received] == ["/greet"]
    assert rasa.received[0].sender_id == f"{CONVERSATION_ID}|29:user-1"
    card, notice = fake.replies
    assert "999" in card.activity["attachments"][0]["content"]["text"]
    assert notice.activity["text"] == TEXTS.privacy_notice
    # A new message in the conversation, not a reply to the (non-message) update.
    assert {r.reply_to_id for r in fake.replies} == {None}
    assert all("replyToId" not in r.activity for r in fake.replies)


def test_a_greeting_that_gives_the_privacy_notice_itself_is_not_followed_by_it() -> None:
    rasa = FakeRasa(reply={"text": f"Hello. If a child is in immediate danger, call 999. {TEXTS.privacy_notice}"})

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, install(fake, "installationUpdate"), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert len(fake.replies) == 1


def test_when_the_greeting_fails_the_safe_reply_with_999_is_sent() -> None:
    rasa = FakeRasa(fail=True)

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, install(fake, "conversationUpdate"), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert [r.activity["text"] for r in fake.replies] == [TEXTS.safe_reply, TEXTS.privacy_notice]


def test_a_reinstall_after_removal_greets_again() -> None:
    rasa = GreetingRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        token = fake.sign(fake.claims(APP_ID))
        for body in (
            install(fake, "installationUpdate"),
            install(fake, "installationUpdate", action="remove"),
            install(fake, "installationUpdate"),
        ):
            assert await post(session, url, body, token) == 200

    run(scenario, rasa)
    assert [m.text for m in rasa.received] == ["/greet", "/greet"]


@pytest.mark.parametrize(
    "kind, fields",
    [
        ("conversationUpdate", {"membersAdded": [{"id": "29:another-user"}]}),
        ("conversationUpdate", {"membersAdded": None, "membersRemoved": [{"id": "29:another-user"}]}),
        ("conversationUpdate", {"membersAdded": None, "channelData": {"eventType": "channelRenamed"}}),
        ("installationUpdate", {"action": "add-upgrade"}),
        ("installationUpdate", {"action": "remove"}),
    ],
    ids=["user-added", "user-removed", "channel-renamed", "upgrade", "uninstall"],
)
def test_other_conversation_and_installation_updates_are_ignored(kind: str, fields: dict[str, Any]) -> None:
    rasa = GreetingRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, install(fake, kind, **fields), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert rasa.received == []
    assert fake.replies == []


# -- 4. invokes and Adaptive Card submits -----------------------------------------


def invoke(fake: FakeBotFramework, name: str, value: Any) -> dict[str, Any]:
    return activity(fake, type="invoke", name=name, text=None, value=value, id="f:invoke-1")


def test_a_universal_action_is_handled_as_a_card_press_with_an_invoke_response() -> None:
    rasa = FakeRasa(reply={"text": "ok"})
    answers: list[Any] = []
    payload = '/choose{"immediate_danger": "no"}'

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        value = {"action": {"type": "Action.Execute", "verb": "choose", "data": {"payload": payload}}}
        headers = {"Authorization": f"Bearer {fake.sign(fake.claims(APP_ID))}"}
        async with session.post(url, json=invoke(fake, "adaptiveCard/action", value), headers=headers) as reply:
            answers.append((reply.status, reply.content_type, await reply.json()))

    fake = run(scenario, rasa)
    status, content_type, body = answers[0]
    assert (status, content_type) == (200, "application/json")
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert isinstance(body["value"], str) and body["value"]
    # Passed through as the payload it is (trusted like a card press), not turned into words.
    assert [m.text for m in rasa.received] == [payload]
    assert [r.activity["text"] for r in fake.replies] == ["ok"]


def test_a_universal_action_without_a_payload_gets_the_prompt_not_silence() -> None:
    rasa = FakeRasa()
    answers: list[int] = []

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        value = {"action": {"type": "Action.Execute", "verb": "refresh"}}
        headers = {"Authorization": f"Bearer {fake.sign(fake.claims(APP_ID))}"}
        async with session.post(url, json=invoke(fake, "adaptiveCard/action", value), headers=headers) as reply:
            answers.append(reply.status)

    fake = run(scenario, rasa)
    assert answers == [200]
    assert rasa.received == []
    assert [r.activity["text"] for r in fake.replies] == [TEXTS.empty_prompt]


@pytest.mark.parametrize("name", ["composeExtension/query", "task/fetch", "signin/verifyState", ""])
def test_other_invokes_are_answered_501_with_json(name: str) -> None:
    rasa = FakeRasa()
    answers: list[Any] = []

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        headers = {"Authorization": f"Bearer {fake.sign(fake.claims(APP_ID))}"}
        async with session.post(url, json=invoke(fake, name, {}), headers=headers) as reply:
            answers.append((reply.status, await reply.json()))

    fake = run(scenario, rasa)
    status, body = answers[0]
    assert status == 501 and body["statusCode"] == 501
    assert body["type"] == "application/vnd.microsoft.error"
    assert rasa.received == [] and fake.replies == []


def test_invokes_need_a_valid_token_too() -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        body = invoke(fake, "adaptiveCard/action", {"action": {"data": {"payload": "/start_triage"}}})
        assert await post(session, url, body, fake.sign(fake.claims("another-bot"))) == 401

    run(scenario, rasa)
    assert rasa.received == []


@pytest.mark.parametrize("value", [{"not_a_payload": 1}, {}, {"a": "x", "b": "y"}])
def test_a_card_submit_without_a_payload_gets_a_clear_reply(value: dict[str, Any]) -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        body = activity(fake, text=None, value=value)
        assert await post(session, url, body, fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    assert rasa.received == []
    assert [r.activity["text"] for r in fake.replies] == [TEXTS.empty_prompt]


@pytest.mark.parametrize(
    "value, expected",
    [
        ({"choice": "what is neglect?", "msteams": {"type": "messageBack"}}, "what is neglect?"),
        # Not our card's payload key: only passed on as a payload if the assistant offered it.
        ({"choice": '/choose{"immediate_danger": "no"}'}, "choose immediate_danger no"),
        ({"choice": "my pupil Tom"}, "my pupil [name]"),
    ],
    ids=["text-input", "untrusted-payload", "redacted"],
)
def test_a_card_submit_with_one_text_input_goes_through_the_guard_as_typed_text(value: Any, expected: str) -> None:
    rasa = FakeRasa(reply={"text": "ok"})

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        body = activity(fake, text=None, value=value)
        assert await post(session, url, body, fake.sign(fake.claims(APP_ID))) == 200

    run(scenario, rasa)
    assert [m.text for m in rasa.received] == [expected]


# -- 5. markdown with line breaks --------------------------------------------------


def test_text_is_sent_as_teams_markdown_with_every_line_break_kept() -> None:
    rasa = FakeRasa(reply={"text": "Front door: 020 8547 5008\nOut of hours: 020 8770 5000\n\n\nSource: guide  "})

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        assert await post(session, url, activity(fake), fake.sign(fake.claims(APP_ID))) == 200

    fake = run(scenario, rasa)
    message = fake.replies[0].activity
    assert message["textFormat"] == "markdown"
    assert message["text"] == "Front door: 020 8547 5008\n\nOut of hours: 020 8770 5000\n\nSource: guide"


def test_card_text_breaks_lines_with_br_and_escapes_markup() -> None:
    from bot.channels.teams import card_text

    assert card_text("Kingston & Richmond\nAge <5") == "Kingston &amp; Richmond<br>Age &lt;5"
    assert card_text('Is the child "at risk"?') == 'Is the child "at risk"?'


# -- 6. mentions without text --------------------------------------------------------

BOT = {"id": "28:" + APP_ID, "name": "Neglect guidance"}


@pytest.mark.parametrize(
    "text, entities, expected",
    [
        (
            "<at>Neglect guidance</at> what is neglect?",
            [{"type": "mention", "mentioned": {"id": BOT["id"], "name": "Neglect guidance"}}],
            "what is neglect?",
        ),
        (  # no name on the entity either: the recipient's name
            "<at>Neglect guidance</at> what is neglect?",
            [{"type": "mention", "mentioned": {"id": BOT["id"]}}],
            "what is neglect?",
        ),
        (  # the user shortened the mention
            "<at>Neglect</at> what is neglect?",
            [{"type": "mention", "mentioned": {"id": BOT["id"], "name": "Neglect guidance"}}],
            "what is neglect?",
        ),
        (  # mid-sentence, with odd spacing and case
            "what, <AT>neglect  guidance</AT>, is neglect?",
            [{"type": "mention", "mentioned": {"id": BOT["id"]}}],
            "what, , is neglect?",
        ),
        (  # someone else's mention stays (the guard then redacts the name)
            "<at>Neglect guidance</at> ask <at>Jane Smith</at>",
            [
                {"type": "mention", "mentioned": {"id": BOT["id"]}},
                {"type": "mention", "mentioned": {"id": "29:jane", "name": "Jane Smith"}},
            ],
            "ask <at>Jane Smith</at>",
        ),
        (  # no mention of the bot: nothing is removed
            "<at>Jane Smith</at> hi",
            [{"type": "mention", "mentioned": {"id": "29:jane", "name": "Jane Smith"}}],
            "<at>Jane Smith</at> hi",
        ),
    ],
    ids=["entity-name", "recipient-name", "shortened", "mid-sentence", "other-person-kept", "no-bot-mention"],
)
def test_the_bots_mention_is_stripped_even_without_the_entity_text(
    text: str, entities: list[dict[str, Any]], expected: str
) -> None:
    body = {"type": "message", "text": text, "entities": entities, "recipient": BOT}
    assert " ".join(strip_bot_mentions(body, text).split()) == expected


def test_a_message_with_only_a_text_less_mention_reaches_rasa_without_it() -> None:
    rasa = FakeRasa()

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        body = activity(
            fake,
            text="<at>Neglect guidance</at> what is neglect?",
            entities=[{"type": "mention", "mentioned": {"id": "28:" + APP_ID, "name": "Neglect guidance"}}],
        )
        assert await post(session, url, body, fake.sign(fake.claims(APP_ID))) == 200

    run(scenario, rasa)
    assert [m.text for m in rasa.received] == ["what is neglect?"]


# -- 8. regional serviceUrls ------------------------------------------------------------


@pytest.mark.parametrize("prefix, trailing_slash", [("emea", True), ("amer", False), ("teams/apac", True)])
def test_replies_go_to_the_activitys_service_url_with_its_prefix_kept(prefix: str, trailing_slash: bool) -> None:
    rasa = FakeRasa(reply={"text": "ok"})

    async def scenario(fake: FakeBotFramework, url: str, session: aiohttp.ClientSession) -> None:
        service_url = fake.prefixed_service_url(prefix)
        if not trailing_slash:
            service_url = service_url.rstrip("/")
        body = activity(fake, serviceUrl=service_url)
        assert await post(session, url, body, fake.sign(fake.claims(APP_ID, serviceurl=service_url))) == 200

    fake = run(scenario, rasa)
    assert fake.unmatched_paths == []
    (reply,) = fake.replies
    assert reply.prefix == f"/{prefix}"
    assert reply.path == f"/{prefix}/v3/conversations/a%3A1Xy%3Bmessageid%3D42/activities/1700000000001"
    assert reply.reply_to_id == "1700000000001"
    assert reply.conversation_id == CONVERSATION_ID


def test_the_fake_service_refuses_double_slashes() -> None:
    async def main() -> int:
        fake = await FakeBotFramework().start()
        try:
            async with aiohttp.ClientSession() as session:
                url = URL(f"{fake.base_url}/emea//v3/conversations/x/activities", encoded=True)
                async with session.post(url, json={}) as reply:
                    assert fake.unmatched_paths == ["/emea//v3/conversations/x/activities"]
                    return reply.status
        finally:
            await fake.stop()

    assert asyncio.run(main()) == 404
