"""The web chat page in a real headless browser (Debian's Chromium, driven by Playwright).

Two kinds of test:

* against a stand-in for Rasa (no model needed): how the page shows and
  sends messages -- safe rendering, buttons, focus, Start again, reload, a
  phone-sized screen, a dropped connection;
* against the real assistant (the ``assistant`` fixture of conftest.py): a
  whole triage by clicking the buttons the bot shows, then a typed question.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Set

import pytest
import yaml
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from rasa.core.channels.channel import UserMessage

from bot.channels.guard import guard_from_credentials, load_safety_texts
from bot.channels.webchat import WebChatInput, project_root
from tests.e2e.browser import open_page, screenshot
from tests.fakes.sanic_app import ServerThread, make_app

ROOT = project_root()
PRIVACY_LINE = "Do not type names, dates of birth, addresses or other details that could identify a child or family."
EMERGENCY_LINE = "If a child is in immediate danger, call 999."
LEVEL = re.compile(r"\bLevel [1-4]\b")
SHOW_EVERYTHING = (
    "*Bold words* and a link https://example.org/guide. Also <img src=x onerror=\"window.__xss=1\"> "
    "and [a guide](https://example.org/one-minute) and javascript:alert(1)\nsecond line"
)
ENABLED_CHOICES = "#log button.choice:not([disabled])"


@dataclass
class StandInBot:
    """Stands in for Rasa behind the real channel and guard."""

    received: List[UserMessage] = field(default_factory=list)
    offered: Dict[str, frozenset] = field(default_factory=dict)

    async def offers(self, sender_id: str) -> frozenset:
        """What the guard asks the tracker store for: the buttons this bot last sent."""
        return self.offered.get(sender_id, frozenset())

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        text = message.text or ""
        out = message.output_channel
        self.offered[message.sender_id] = frozenset()
        if text == "show me everything":
            buttons = [
                {"title": "Met", "payload": '/choose{"needs": "met"}'},
                {"title": "Never met", "payload": '/choose{"needs": "unmet"}'},
            ]
            self.offered[message.sender_id] = frozenset(b["payload"] for b in buttons)
            await out.send_response(message.sender_id, {"text": SHOW_EVERYTHING, "buttons": buttons})
        elif text == "slow":
            await asyncio.sleep(5)
        else:
            await out.send_response(message.sender_id, {"text": f"echo: {text}"})

    @property
    def senders(self) -> List[str]:
        return [m.sender_id for m in self.received]


def start_stand_in() -> tuple:
    bot = StandInBot()
    webchat = WebChatInput(guard_from_credentials({"reply_deadline_seconds": 1}, offers=bot.offers))
    server = ServerThread(make_app(webchat, bot)).start()
    return server, bot


@pytest.fixture()
def stand_in() -> Iterator[tuple]:
    server, bot = start_stand_in()
    try:
        yield f"{server.base_url}/webhooks/webchat/", bot
    finally:
        server.stop()


def wait_ready(page: Page) -> None:
    expect(page.locator("#send")).to_be_enabled(timeout=15000)


def send(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.press("#message", "Enter")


def bot_bubbles(page: Page) -> List[str]:
    return page.locator("#log .msg.bot").all_inner_texts()


def wait_for_bot_text(page: Page, after: int, needle: str, timeout: float = 30.0) -> str:
    """Waits until a bot message after the first `after` ones contains `needle` (case-insensitive)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = bot_bubbles(page)[after:]
        if any(needle.lower() in text.lower() for text in new):
            return "\n".join(new)
        page.wait_for_timeout(200)
    raise AssertionError(f"no reply containing {needle!r}; the conversation was:\n{page.inner_text('#log')}")


# -- against the stand-in -------------------------------------------------------


def test_the_page_renders_replies_safely_and_sends_button_payloads(stand_in: tuple) -> None:
    url, bot = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        expect(page.get_by_text(PRIVACY_LINE)).to_be_visible()
        expect(page.get_by_text(EMERGENCY_LINE)).to_be_visible()
        expect(page.get_by_label("Your message")).to_be_visible()
        wait_ready(page)

        send(page, "show me everything")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        assert page.evaluate("document.activeElement.id") == "message"
        bubble = page.locator("#log .msg.bot").last
        expect(bubble.locator("strong")).to_have_text("Bold words")
        guide = bubble.locator('a[href="https://example.org/guide"]')
        expect(guide).to_have_text("https://example.org/guide")
        assert guide.get_attribute("target") == "_blank"
        assert "noopener" in (guide.get_attribute("rel") or "")
        expect(bubble.locator('a[href="https://example.org/one-minute"]')).to_have_text("a guide")
        assert bubble.locator("a").count() == 2, "only http(s) URLs become links"
        assert bubble.locator("img").count() == 0
        assert page.evaluate("window.__xss") is None
        assert "<img src=x" in bubble.inner_text()
        assert bubble.locator("br").count() == 1
        assert page.locator("#log .choices button").evaluate_all("bs => bs.map(b => b.tagName)") == ["BUTTON", "BUTTON"]

        page.get_by_role("button", name="Met", exact=True).click()
        wait_for_bot_text(page, 1, 'echo: /choose{"needs": "met"}', timeout=10)
        expect(page.locator(ENABLED_CHOICES)).to_have_count(0)
        assert page.locator("#log .msg.user").all_inner_texts()[-1].endswith("Met")
        assert page.evaluate("document.activeElement.id") == "message"
        assert [m.text for m in bot.received] == ["show me everything", '/choose{"needs": "met"}']
        assert not errors, errors


def test_identifying_details_are_removed_before_the_assistant_sees_them(stand_in: tuple) -> None:
    url, bot = stand_in
    notice = load_safety_texts(ROOT / "knowledge").privacy_notice
    with open_page() as (page, errors):
        page.goto(url)
        wait_ready(page)
        send(page, "my pupil Tom Baker, DOB 12/05/2014, is always hungry")
        replies = wait_for_bot_text(page, 0, "echo:", timeout=10)
        assert notice.splitlines()[0] in replies
        assert "Tom" not in bot.received[-1].text and "12/05/2014" not in bot.received[-1].text
        assert "Tom" not in replies.split("echo:")[1]
        assert not errors, errors


def test_start_again_and_reload(stand_in: tuple) -> None:
    url, bot = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        wait_ready(page)
        send(page, "first")
        wait_for_bot_text(page, 0, "echo: first", timeout=10)
        first_session = page.evaluate("sessionStorage.getItem('neglect-assistant.session-id')")

        page.reload()
        wait_ready(page)
        send(page, "after reload")
        wait_for_bot_text(page, 0, "echo: after reload", timeout=10)
        assert page.evaluate("sessionStorage.getItem('neglect-assistant.session-id')") == first_session

        page.get_by_role("button", name="Start again").click()
        expect(page.locator("#log .msg")).to_have_count(0)
        assert page.evaluate("document.activeElement.id") == "message"
        wait_ready(page)
        new_session = page.evaluate("sessionStorage.getItem('neglect-assistant.session-id')")
        assert new_session and new_session != first_session
        send(page, "second")
        wait_for_bot_text(page, 0, "echo: second", timeout=10)
        assert bot.senders == [first_session, first_session, new_session]
        assert not errors, errors


def test_a_slow_assistant_gets_the_safe_reply(stand_in: tuple) -> None:
    url, _ = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        wait_ready(page)
        send(page, "slow")
        expect(page.locator("#typing")).to_be_visible()
        replies = wait_for_bot_text(page, 0, "999", timeout=10)
        assert "0808 800 5000" in replies
        expect(page.locator("#typing")).to_be_hidden()
        assert not errors, errors


def test_the_page_fits_a_phone(stand_in: tuple) -> None:
    url, _ = stand_in
    with open_page(viewport=(360, 640)) as (page, errors):
        page.goto(url)
        wait_ready(page)
        send(page, "show me everything")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.evaluate("parseFloat(getComputedStyle(document.getElementById('message')).fontSize)") >= 16
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
        heights = page.locator("button").evaluate_all("bs => bs.map(b => b.getBoundingClientRect().height)")
        assert min(heights) >= 44, heights
        screenshot(page, "webchat-phone.png")
        assert not errors, errors


def test_a_dropped_connection_is_shown_with_the_emergency_line() -> None:
    server, _ = start_stand_in()
    try:
        with open_page() as (page, _errors):
            page.goto(f"{server.base_url}/webhooks/webchat/")
            wait_ready(page)
            server.stop()
            status = page.locator("#status")
            expect(status).to_be_visible(timeout=15000)
            expect(status).to_contain_text("999")
            expect(page.locator("#send")).to_be_disabled()
    finally:
        server.stop()


# -- against the real assistant ---------------------------------------------------

# Sensible answers, by the button's label, tried in this order; anything else
# (the area question) gets the first button.
PREFERENCES = [r"^no$", r"^5\s*[-–]\s*11\b", r"^met$", r"^none\b", r"^recent", r"^no support", r"^no impact"]


def choose(titles: List[str]) -> int:
    for pattern in PREFERENCES:
        for index, title in enumerate(titles):
            if re.search(pattern, title.strip(), re.IGNORECASE):
                return index
    return 0


def area_phones(clicked: List[str]) -> Set[str]:
    """The phone numbers (digits only) in the knowledge file of the area whose button was clicked."""

    def phones(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "phone" and isinstance(value, (str, int)):
                    yield re.sub(r"\D", "", str(value))
                else:
                    yield from phones(value)
        elif isinstance(node, list):
            for item in node:
                yield from phones(item)

    wanted = {title.strip().lower() for title in clicked}
    for path in sorted((ROOT / "knowledge" / "areas").glob("*.yml")):
        area: Dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names = {str(area.get("name", "")).lower(), *(str(a).lower() for a in area.get("aliases") or [])}
        if names & wanted:
            return {p for p in phones(area) if len(p) > 3}
    raise AssertionError(f"none of the clicked buttons {clicked} names an area in knowledge/areas/")


def test_a_practitioner_completes_a_triage_by_clicking_and_asks_a_question(assistant: Any) -> None:
    with open_page() as (page, errors):
        page.set_default_timeout(30000)
        page.goto(assistant.webchat_url)
        expect(page.get_by_text(PRIVACY_LINE)).to_be_visible()
        expect(page.get_by_text(EMERGENCY_LINE)).to_be_visible()
        wait_ready(page)

        send(page, "I'm worried about a child I work with")
        clicked: List[str] = []
        for _ in range(40):
            try:
                page.wait_for_function(
                    "([selector, level]) => document.querySelector(selector) !== null"
                    " || new RegExp(level).test(document.getElementById('log').innerText)",
                    arg=[ENABLED_CHOICES, LEVEL.pattern],
                    timeout=30000,
                )
            except PlaywrightTimeoutError:
                raise AssertionError(
                    f"no buttons and no level after clicking {clicked}:\n{page.inner_text('#log')}"
                ) from None
            if LEVEL.search(page.inner_text("#log")):
                break
            buttons = page.locator(ENABLED_CHOICES)
            titles = [t.strip() for t in buttons.all_inner_texts()]
            index = choose(titles)
            clicked.append(titles[index])
            buttons.nth(index).click()
        else:
            raise AssertionError("no level after 40 answers:\n" + page.inner_text("#log"))

        expected = area_phones(clicked)
        deadline = time.monotonic() + 15
        while not any(p in re.sub(r"\D", "", page.inner_text("#log")) for p in expected):
            assert time.monotonic() < deadline, f"none of {expected} shown:\n{page.inner_text('#log')}"
            page.wait_for_timeout(250)

        before = len(bot_bubbles(page))
        send(page, "what is neglect?")
        wait_for_bot_text(page, before, "persistent failure")
        screenshot(page, "webchat.png")
        assert not errors, errors
