"""The web chat page in a real headless browser (Debian's Chromium, driven by Playwright).

Two kinds of test:

* against a stand-in for Rasa (no model needed): how the page shows and
  sends messages -- the greeting a new conversation opens with, safe
  rendering, lists, phone and web links, buttons, keyboard focus and its
  ring, only the log scrolling (1280x800 and 390x844), Start again, reload,
  a phone-sized screen, a dropped connection; the structured triage result
  (a real one, built from knowledge/), Copy summary, Back, the restored
  conversation and the redacted user bubble, and axe-core;
* against the real assistant (the ``assistant`` fixture of conftest.py): the
  greeting on load, then a whole triage by clicking the buttons the bot
  shows (starting with the greeting's), then a typed question; and a
  level-4 triage on a desktop and a phone: the level and the first contact
  in view, tel: links, the summary on the clipboard, Back, a reload, axe.
"""
from __future__ import annotations

import asyncio
import re
import time
from datetime import date, datetime, timezone
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterator

import pytest
import yaml
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, Event, UserUttered

from bot import render
from bot.channels.guard import guard_from_credentials, load_safety_texts
from bot.channels.webchat import WebChatInput, conversation_history
from bot.paths import ROOT
from bot.knowledge.build import build
from bot.knowledge.store import KnowledgeStore
from bot.triage import assess
from tests.e2e.browser import axe_violations, open_page, screenshot
from tests.fakes.sanic_app import ServerThread, make_app

PRIVACY_LINE = "Do not type names, dates of birth, addresses or other details that could identify a child or family."
EMERGENCY_LINE = "If a child is in immediate danger, call 999."
LEVEL = re.compile(r"\bLevel [1-4]\b")
SHOW_EVERYTHING = (
    "*Bold words* and a link https://example.org/guide. Also <img src=x onerror=\"window.__xss=1\"> "
    "and [a guide](https://example.org/one-minute) and javascript:alert(1)\nsecond line"
)
ENABLED_CHOICES = "#log button.choice:not([disabled])"
GREETING = "Hello. I help practitioners recognise neglect.\nIf a child is in immediate danger, call 999."
GREETING_BUTTONS = [
    {"title": "I'm worried about a child", "payload": "/start_triage"},
    {"title": "What can you do?", "payload": "/bot_capabilities"},
]
# A reply much taller than the log, with its buttons at the end.
LONG_REPLY = "Here is a long answer about neglect.\n\n" + "\n\n".join(
    f"Paragraph {n}: the signs of neglect build up over time, so write down what you see." for n in range(1, 41)
)
CONTACTS = (
    "Who to contact in Coventry:\n"
    "- Front door: 024 7678 8555\n"
    "- Out of hours: 0345 8 503 503 (or www.coventry.gov.uk/cscp)\n"
    "- Oxfordshire: oscb.org.uk/concerned-about-a-child.\n"
    "- Training: CSCPtraining@coventry.gov.uk\n"
    "- <b>not bold</b> <img src=x onerror=\"window.__xss=1\">\n"
    "Kingston: 020 8547 5008. Childline: 0800 1111, 24 hours a day.\n"
    "If a child is in immediate danger, call 999. Ages 5-11, on 12/05/2014, level 1999."
)


AGE_QUESTION = {"text": "How old is the child? Or is this an unborn baby?", "buttons": [
    {"title": "Under 1", "payload": '/choose{"triage_answer": "under_1"}'},
    {"title": "5-11 years", "payload": '/choose{"triage_answer": "5_11"}'},
]}
DISABLED_QUESTION = {"text": "Is the child disabled?", "buttons": [
    {"title": "Yes", "payload": '/choose{"triage_answer": "yes"}'},
    {"title": "No", "payload": '/choose{"triage_answer": "no"}'},
]}
NEEDS = ("nutrition", "physical_care", "health", "supervision", "emotional", "education")
LEVEL_4 = {
    "immediate_danger": "no", "age_band": "5_11", "disabled": "no",
    "needs": {domain: "unmet" for domain in NEEDS}, "factors": ["domestic_abuse"],
    "duration": "persistent", "change": "not_sustained", "impact": "significant",
}


def real_replies(out: Path) -> dict[str, dict[str, Any]]:
    """Built from knowledge/ as the actions build them, as Rasa hands them on (json_message as `custom`):
    the result of a level-4 case in Coventry on a weekday morning, and the answer to "was not brought"."""
    report = build(ROOT / "knowledge", out, date(2026, 11, 22))
    assert not report.errors, report.errors
    store = KnowledgeStore.open(out)
    try:
        assessment = assess(LEVEL_4)
        plan = store.contacts("coventry", datetime(2026, 11, 18, 11, tzinfo=timezone.utc))
        result = render.triage_result(assessment, store.level(4, "coventry"), plan, None, store)
        answer = render.answer(store.items_for_topic("was_not_brought"), store)[0]
    finally:
        store.close()
    return {
        name: {"text": message["text"], "buttons": message["buttons"], "custom": message["json_message"]}
        for name, message in (("result", result), ("answer", answer))
    }


@dataclass
class StandInBot:
    """Stands in for Rasa behind the real channel and guard; keeps each conversation as Rasa's events."""

    received: list[UserMessage] = field(default_factory=list)
    offered: dict[str, frozenset] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=dict)

    async def history(self, sender_id: str) -> list[dict[str, Any]]:
        """What the tracker store would give the channel to restore."""
        return conversation_history(self.events.get(sender_id, []))

    async def offers(self, sender_id: str) -> frozenset:
        """What the guard asks the tracker store for: the buttons this bot last sent."""
        return self.offered.get(sender_id, frozenset())

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        text = message.text or ""
        out = message.output_channel
        self.offered[message.sender_id] = frozenset()
        self.events.setdefault(message.sender_id, []).append(UserUttered(text))
        if text in ("triage", "/go_back"):
            await self.reply(message, AGE_QUESTION["text"], AGE_QUESTION["buttons"])
        elif text in (AGE_QUESTION["buttons"][0]["payload"], AGE_QUESTION["buttons"][1]["payload"]):
            await self.reply(message, DISABLED_QUESTION["text"], DISABLED_QUESTION["buttons"])
        elif text in ("result", DISABLED_QUESTION["buttons"][1]["payload"], "answer"):
            reply = self.answer if text == "answer" else self.result
            self.offered[message.sender_id] = frozenset(b["payload"] for b in reply["buttons"])
            self.events[message.sender_id].append(
                BotUttered(reply["text"], {"buttons": reply["buttons"], "custom": reply["custom"]}))
            await out.send_response(message.sender_id, dict(reply))
        elif text == "/greet":
            await self.reply(message, GREETING, GREETING_BUTTONS)
        elif text == "show me everything":
            buttons = [
                {"title": "Met", "payload": '/choose{"needs": "met"}'},
                {"title": "Never met", "payload": '/choose{"needs": "unmet"}'},
            ]
            await self.reply(message, SHOW_EVERYTHING, buttons)
        elif text == "long":
            await self.reply(message, LONG_REPLY, [{"title": "Tell me more", "payload": "/more"}])
        elif text == "contacts":
            await self.reply(message, CONTACTS)
        elif text == "slow":
            await asyncio.sleep(5)
        else:
            await self.reply(message, f"echo: {text}")

    async def reply(self, message: UserMessage, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        reply: dict[str, Any] = {"text": text}
        if buttons:
            reply["buttons"] = buttons
            self.offered[message.sender_id] = frozenset(b["payload"] for b in buttons)
        self.events.setdefault(message.sender_id, []).append(BotUttered(text, {"buttons": buttons or []}))
        await message.output_channel.send_response(message.sender_id, reply)

    @property
    def texts(self) -> list[str]:
        return [m.text or "" for m in self.received]

    @property
    def senders(self) -> list[str]:
        return [m.sender_id for m in self.received]


def start_stand_in(replies: dict[str, dict[str, Any]] | None = None) -> tuple:
    bot = StandInBot(result=(replies or {}).get("result", {}), answer=(replies or {}).get("answer", {}))
    webchat = WebChatInput(guard_from_credentials({"reply_deadline_seconds": 1}, offers=bot.offers),
                           history=bot.history)
    server = ServerThread(make_app(webchat, bot)).start()
    return server, bot


@pytest.fixture(scope="module")
def replies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return real_replies(tmp_path_factory.mktemp("kb") / "knowledge.db")


@pytest.fixture(scope="module")
def result_message(replies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return replies["result"]


@pytest.fixture()
def stand_in(replies: dict[str, dict[str, Any]]) -> Iterator[tuple]:
    server, bot = start_stand_in(replies)
    try:
        yield f"{server.base_url}/webhooks/webchat/", bot
    finally:
        server.stop()


def wait_ready(page: Page) -> None:
    expect(page.locator("#send")).to_be_enabled(timeout=15000)


def wait_greeted(page: Page) -> None:
    """Ready, and the greeting a new conversation opens with has arrived."""
    wait_ready(page)
    expect(page.locator("#log .msg.bot").first).to_contain_text("call 999", timeout=15000)


def send(page: Page, text: str) -> None:
    page.fill("#message", text)
    page.press("#message", "Enter")


def bot_bubbles(page: Page) -> list[str]:
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
        expect(page.locator("#emergency")).to_have_text(EMERGENCY_LINE)
        expect(page.get_by_label("Your message")).to_be_visible()
        wait_greeted(page)

        send(page, "show me everything")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        expect(page.locator(":focus")).to_have_text("Met")  # the first option, not the input
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
        assert bubble.locator(".choices button").evaluate_all("bs => bs.map(b => b.tagName)") == ["BUTTON", "BUTTON"]

        page.get_by_role("button", name="Met", exact=True).click()
        wait_for_bot_text(page, 2, 'echo: /choose{"needs": "met"}', timeout=10)
        expect(page.locator(ENABLED_CHOICES)).to_have_count(0)
        assert page.locator("#log .msg.user").all_inner_texts()[-1].endswith("Met")
        # No options in that reply: the focus is on the reply itself.
        expect(page.locator("#log .msg.bot").last).to_be_focused()
        assert bot.texts == ["/greet", "show me everything", '/choose{"needs": "met"}']
        assert not errors, errors


def test_identifying_details_are_removed_before_the_assistant_sees_them(stand_in: tuple) -> None:
    url, bot = stand_in
    notice = load_safety_texts(ROOT / "knowledge").privacy_notice
    with open_page() as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "my pupil Tom Baker, DOB 12/05/2014, is always hungry")
        wait_for_bot_text(page, 0, "echo:", timeout=10)
        replies = wait_for_bot_text(page, 0, notice.splitlines()[0], timeout=10)  # after the reply
        assert replies.index("echo:") < replies.index(notice.splitlines()[0])
        assert "Tom" not in bot.received[-1].text and "12/05/2014" not in bot.received[-1].text
        assert "Tom" not in replies.split("echo:")[1]
        assert not errors, errors


def test_start_again_and_reload(stand_in: tuple) -> None:
    url, bot = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "first")
        wait_for_bot_text(page, 0, "echo: first", timeout=10)
        first_session = page.evaluate("sessionStorage.getItem('neglect-assistant.session-id')")

        page.reload()
        wait_ready(page)
        send(page, "after reload")
        wait_for_bot_text(page, 0, "echo: after reload", timeout=10)
        assert page.evaluate("sessionStorage.getItem('neglect-assistant.session-id')") == first_session
        assert bot.texts.count("/greet") == 1, "a resumed conversation is not greeted again"

        page.get_by_role("button", name="Start again").click()
        expect(page.locator("#log")).not_to_contain_text("echo:")
        wait_greeted(page)
        expect(page.locator("#log .msg")).to_have_count(1)
        # The greeting answers the button: the focus goes to its first option.
        expect(page.locator(":focus")).to_have_text(GREETING_BUTTONS[0]["title"])
        new_session = page.evaluate("sessionStorage.getItem('neglect-assistant.session-id')")
        assert new_session and new_session != first_session
        send(page, "second")
        wait_for_bot_text(page, 0, "echo: second", timeout=10)
        assert list(zip(bot.texts, bot.senders)) == [
            ("/greet", first_session),
            ("first", first_session),
            ("after reload", first_session),
            ("/greet", new_session),
            ("second", new_session),
        ]
        assert not errors, errors


def test_a_slow_assistant_gets_the_safe_reply(stand_in: tuple) -> None:
    url, _ = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "slow")
        expect(page.locator("#typing")).to_be_visible()
        replies = wait_for_bot_text(page, 1, "999", timeout=10)
        assert "0808 800 5000" in replies
        expect(page.locator("#typing")).to_be_hidden()
        assert not errors, errors


def test_the_page_fits_a_phone(stand_in: tuple) -> None:
    url, _ = stand_in
    with open_page(viewport=(360, 640)) as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "show me everything")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.evaluate("document.documentElement.scrollHeight") <= 640
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


# Contrast of the focus ring (WCAG 1.4.11: 3:1) against what is behind it: the
# outline is drawn outside the element, over its parent's (effective) background.
FOCUS_RING_CONTRAST = r"""el => {
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const style = getComputedStyle(el);
  if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) < 2) return 0;
  let node = el.parentElement, behind = [255, 255, 255];
  while (node) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { behind = c.slice(0, 3); break; }
    node = node.parentElement;
  }
  const [a, b] = [luminance(rgb(style.outlineColor)), luminance(behind)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_a_new_conversation_opens_with_the_greeting_given_by_the_channel(stand_in: tuple) -> None:
    url, bot = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        wait_greeted(page)
        greeting = page.locator("#log .msg.bot").first
        expect(greeting).to_contain_text("If a child is in immediate danger, call 999.")
        expect(greeting.locator("button.choice")).to_have_text([b["title"] for b in GREETING_BUTTONS])
        # The channel made it (nothing had been offered yet, so a typed "/greet" would be words).
        assert bot.texts == ["/greet"]
        assert page.locator("#log .msg.user").count() == 0
        # On load the focus is left where the page starts (no jump past the header and the 999 line).
        assert page.evaluate("document.activeElement === document.body")

        page.keyboard.press("Tab")  # Start again
        page.keyboard.press("Tab")  # the 999 link in the greeting
        expect(page.locator(":focus")).to_have_attribute("href", "tel:999")
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text(GREETING_BUTTONS[0]["title"])
        page.keyboard.press("Enter")
        wait_for_bot_text(page, 1, "echo: /start_triage", timeout=10)
        assert bot.texts == ["/greet", "/start_triage"], "the greeting's button is sent as its payload"
        assert not errors, errors


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_only_the_log_scrolls_and_a_long_reply_opens_at_its_top(stand_in: tuple, size: tuple) -> None:
    url, _ = stand_in
    width, height = size
    with open_page(viewport=size) as (page, errors):
        page.goto(url)
        wait_greeted(page)
        for n in range(3):
            send(page, f"message {n}")
            wait_for_bot_text(page, 0, f"echo: message {n}", timeout=10)
        send(page, "long")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(1, timeout=10000)

        page_size = page.evaluate(
            "({html: document.documentElement.scrollHeight, body: document.body.scrollHeight,"
            " width: document.documentElement.scrollWidth})"
        )
        assert page_size["html"] <= height and page_size["body"] <= height, page_size
        assert page_size["width"] <= width, page_size
        log = page.evaluate("(() => { const l = document.getElementById('log');"
                            " return {scroll: l.scrollHeight, client: l.clientHeight, top: l.scrollTop}; })()")
        assert log["scroll"] > 2 * log["client"], "the long reply should overflow the log"

        # The long reply (Rasa sends it as one message per paragraph) opens at its top, not its end.
        offset = page.evaluate(
            "(() => { const l = document.getElementById('log').getBoundingClientRect();"
            " const b = [...document.querySelectorAll('#log .msg.user')].pop().nextElementSibling.getBoundingClientRect();"
            " return b.top - l.top; })()"
        )
        assert 0 <= offset <= 16, offset
        assert log["top"] < log["scroll"] - log["client"] - 100, log
        first_line = page.get_by_text("Here is a long answer about neglect.")
        expect(first_line).to_be_in_viewport()

        # A wheel over the margin (or the header on a phone) does not move the page.
        page.mouse.move(width - 5 if width > 800 else width // 2, height // 2 if width > 800 else 20)
        for _ in range(5):
            page.mouse.wheel(0, 800)
        page.wait_for_timeout(300)
        assert page.evaluate("window.scrollY") == 0
        assert page.evaluate("document.querySelector('.header').getBoundingClientRect().top") == 0
        for selector in ("#emergency", "#message", "#send", "#privacy"):
            box = page.locator(selector).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, (selector, box)
        # The wheel over the log scrolls the log, and still not the page.
        log_box = page.locator("#log").bounding_box()
        assert log_box
        page.mouse.move(log_box["x"] + log_box["width"] / 2, log_box["y"] + log_box["height"] / 2)
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(300)
        assert page.evaluate("document.getElementById('log').scrollTop") > log["top"]
        assert page.evaluate("window.scrollY") == 0
        page.evaluate(f"document.getElementById('log').scrollTop = {log['top']}")
        screenshot(page, f"webchat-{width}x{height}.png")
        assert not errors, errors


def test_the_keyboard_focus_follows_the_replies_and_can_be_seen(stand_in: tuple) -> None:
    url, _ = stand_in
    with open_page(viewport=(1280, 800)) as (page, errors):
        page.goto(url)
        wait_greeted(page)
        page.keyboard.press("Tab")
        expect(page.locator("#restart")).to_be_focused()
        assert page.evaluate(FOCUS_RING_CONTRAST, page.locator("#restart").element_handle()) >= 3

        page.locator("#message").focus()
        page.keyboard.type("show me everything")
        page.keyboard.press("Enter")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        first_option = page.locator("#log .msg.bot").last.locator("button.choice").first
        expect(first_option).to_be_focused()
        assert page.evaluate(FOCUS_RING_CONTRAST, first_option.element_handle()) >= 3

        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("Never met")
        page.keyboard.press("Enter")
        wait_for_bot_text(page, 2, 'echo: /choose{"needs": "unmet"}', timeout=10)
        reply = page.locator("#log .msg.bot").last
        expect(reply).to_be_focused()  # no options: the reply itself, not the input
        assert reply.get_attribute("tabindex") == "-1"
        assert page.evaluate(FOCUS_RING_CONTRAST, reply.element_handle()) >= 3

        page.locator("#message").focus()
        assert page.evaluate(FOCUS_RING_CONTRAST, page.locator("#message").element_handle()) >= 3
        # Typing ahead is not interrupted by a late reply.
        page.keyboard.type("slow")
        page.keyboard.press("Enter")
        page.keyboard.type("half a new question")
        wait_for_bot_text(page, 3, "999", timeout=10)
        expect(page.locator("#message")).to_be_focused()
        expect(page.locator("#message")).to_have_value("half a new question")

        labels = page.locator("#log [role=group]").evaluate_all("gs => gs.map(g => g.getAttribute('aria-label'))")
        assert len(labels) == 2 and len(set(labels)) == 2, labels
        assert labels[0].startswith("Answers to: Hello. I help practitioners"), labels
        assert labels[1].startswith("Answers to: Bold words and a link"), labels
        assert all(len(label) <= 100 for label in labels), labels
        assert not errors, errors


def test_group_labels_stay_distinct_when_a_question_is_asked_again(stand_in: tuple) -> None:
    url, _ = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        wait_greeted(page)
        for _ in range(2):
            before = page.locator("#log [role=group]").count()
            send(page, "show me everything")
            expect(page.locator("#log [role=group]")).to_have_count(before + 1, timeout=10000)
        labels = page.locator("#log [role=group]").evaluate_all("gs => gs.map(g => g.getAttribute('aria-label'))")
        assert len(set(labels)) == 3, labels
        assert labels[2] == labels[1] + " (2)", labels
        assert not errors, errors


def test_replies_show_lists_phone_numbers_and_web_addresses(stand_in: tuple) -> None:
    url, _ = stand_in
    with open_page(viewport=(390, 844)) as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "contacts")
        wait_for_bot_text(page, 1, "Who to contact", timeout=10)
        bubble = page.locator("#log .msg.bot").last

        items = bubble.locator("ul > li")
        expect(items).to_have_count(5)
        expect(items.first).to_have_text("Front door: 024 7678 8555")
        assert bubble.locator("ul").count() == 1
        assert bubble.locator("p").first.inner_text() == "Who to contact in Coventry:"
        assert "- " not in bubble.inner_text()
        # Safe: text that looks like HTML stays text.
        expect(items.nth(4)).to_have_text('<b>not bold</b> <img src=x onerror="window.__xss=1">')
        assert bubble.locator("b, img").count() == 0 and page.evaluate("window.__xss") is None

        phones = bubble.locator('a[href^="tel:"]')
        assert phones.evaluate_all("as => as.map(a => [a.textContent, a.getAttribute('href')])") == [
            ["024 7678 8555", "tel:02476788555"],
            ["0345 8 503 503", "tel:03458503503"],
            ["020 8547 5008", "tel:02085475008"],
            ["0800 1111", "tel:08001111"],
            ["999", "tel:999"],
        ]
        for anchor in phones.element_handles():
            assert re.fullmatch(r"tel:\d+", anchor.get_attribute("href") or "")

        web = bubble.locator('a[href^="http"]')
        assert web.evaluate_all("as => as.map(a => [a.textContent, a.getAttribute('href')])") == [
            ["www.coventry.gov.uk/cscp", "https://www.coventry.gov.uk/cscp"],
            ["oscb.org.uk/concerned-about-a-child", "https://oscb.org.uk/concerned-about-a-child"],
        ]
        for anchor in web.element_handles():
            assert anchor.get_attribute("target") == "_blank"
            assert "noopener" in (anchor.get_attribute("rel") or "")
        # Not links: the e-mail address, ages, dates, a year-like number.
        assert bubble.locator("a").count() == 7
        assert "CSCPtraining@coventry.gov.uk" in items.nth(3).inner_text()
        assert not errors, errors


# -- the structured result, Copy summary, Back, a reload, axe (stand-in) -----------------

RESULT_BUBBLE = "#log .msg.result"


def inside_log(page: Page, locator: Any) -> bool:
    """Whether the element is wholly inside the log's visible area (and so on the screen)."""
    box = locator.bounding_box()
    log_box = page.locator("#log").bounding_box()
    assert box and log_box
    return bool(log_box["y"] - 1 <= box["y"] and box["y"] + box["height"] <= log_box["y"] + log_box["height"] + 1)


def check_result_opens_at_what_matters(page: Page, data: dict[str, Any], size: tuple[int, int]) -> None:
    """The level heading and the first contact are in view without scrolling; the number is a tel: link;
    the rest is folded; the page itself does not scroll. `data` needs the heading and the first contact."""
    result = page.locator(RESULT_BUBBLE).last
    heading = result.locator("h2")
    expect(heading).to_have_text(data["heading"])
    tags = result.evaluate("r => [...r.children].filter(c => !c.classList.contains('visually-hidden'))"
                           ".map(c => c.tagName)")
    assert tags[:3] == ["H2", "H3", "P"], tags  # the level first, then "What to do now" and the first action
    assert result.locator("h3").first.inner_text() == "What to do now"
    first_contact = result.locator("ul.contacts > li").first
    expect(first_contact).to_contain_text(data["contacts"][0]["label"])
    number = first_contact.locator('a[href^="tel:"]')
    expect(number).to_have_attribute("href", data["contacts"][0]["tel"])
    expect(number).to_have_text(data["contacts"][0]["number"])
    page.wait_for_timeout(200)  # let the scroll to the reply settle
    for element in (heading, number):
        expect(element).to_be_in_viewport(ratio=1)
        assert inside_log(page, element), element
    width, height = size
    sizes = page.evaluate("({html: document.documentElement.scrollHeight, body: document.body.scrollHeight,"
                          " width: document.documentElement.scrollWidth, y: window.scrollY})")
    assert sizes["html"] <= height and sizes["body"] <= height and sizes["width"] <= width, sizes
    assert sizes["y"] == 0, sizes
    # Reasons, steps, notes and sources are folded: not shown until opened.
    assert result.locator("details").count() >= 2
    assert result.locator("details[open]").count() == 0
    assert not result.locator("ol.reasons").is_visible()
    # The fallback text is not shown as well.
    assert "Why:" not in result.inner_text() and "What to do next in" not in page.inner_text("#log")


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_a_result_opens_with_the_level_and_what_to_do_now(stand_in: tuple, result_message: dict[str, Any],
                                                          size: tuple[int, int]) -> None:
    url, bot = stand_in
    data = result_message["custom"]
    width, height = size
    with open_page(viewport=size, clipboard=True) as (page, errors):
        page.goto(url)
        wait_greeted(page)
        for n in range(3):  # a log that already scrolls
            send(page, f"message {n}")
            wait_for_bot_text(page, 0, f"echo: message {n}", timeout=10)
        send(page, "result")
        expect(page.locator(RESULT_BUBBLE)).to_have_count(1, timeout=10000)
        check_result_opens_at_what_matters(page, data, size)
        expect(page.locator(RESULT_BUBBLE)).to_be_focused()  # read from the heading down
        screenshot(page, f"webchat-result-{width}x{height}.png")
        assert page.locator("#log .msg.bot").count() == 5, "one bubble for the result: no fallback text"

        result = page.locator(RESULT_BUBBLE)
        result.locator("summary", has_text="Why level 4").click()
        reasons = result.locator("ol.reasons > li")
        expect(reasons).to_have_count(len(data["reasons"]))
        expect(reasons.first).to_contain_text(data["reasons"][0]["text"])
        result.locator("summary", has_text="Sources").click()
        links = result.locator('details a[href^="https://"]')
        linked = [s for s in data["sources"] if s["url"]]
        expect(links).to_have_count(len(linked))
        assert links.first.get_attribute("href") == linked[0]["url"]
        assert links.first.get_attribute("target") == "_blank"

        copy = result.get_by_role("button", name="Copy summary")
        copy.click()
        expect(result.locator(".copied")).to_contain_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == data["summary"]
        assert "/request_summary" not in bot.texts, "copied in the page, not asked of the assistant"
        assert not errors, errors


def test_a_guidance_answer_has_a_title_and_its_detail_folded(stand_in: tuple, replies: dict[str, Any]) -> None:
    url, bot = stand_in
    data = replies["answer"]["custom"]
    with open_page(viewport=(390, 844)) as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "answer")
        answer = page.locator("#log .msg.answer")
        expect(answer).to_have_count(1, timeout=10000)
        expect(answer.locator("h2")).to_have_text(data["title"])
        expect(answer.locator("h2")).to_be_in_viewport()
        detail = answer.locator("details")
        expect(detail.locator("summary")).to_have_text("Tell me more")
        assert detail.get_attribute("open") is None
        first_words = data["sections"][0]["text"].split("\n")[0][:40]
        expect(answer.get_by_text(first_words)).to_be_hidden()
        detail.locator("summary").click()
        expect(answer.get_by_text(first_words)).to_be_visible()
        screenshot(page, "webchat-answer-390x844.png")
        assert [t.strip() for t in answer.locator("button.choice").all_inner_texts()] == [
            b["title"] for b in replies["answer"]["buttons"] if b["payload"] != data["more_payload"]]
        expect(answer.locator(".answer-sources")).to_contain_text(data["sources"][0]["title"])
        assert "Source: " + data["sources"][0]["title"] not in page.inner_text("#log"), "not the fallback text"
        assert page.evaluate("document.documentElement.scrollHeight") <= 844
        assert bot.texts[-1] == "answer"
        assert not errors, errors


STUB_EXEC_COMMAND = """(() => {
  Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});
  document.execCommand = command => {
    window.__copied = command === 'copy' ? document.activeElement.value : null;
    return window.__copyWorks;
  };
})();"""


@pytest.mark.parametrize("works", [True, False], ids=["execCommand", "blocked"])
def test_copy_summary_without_the_clipboard_api(stand_in: tuple, result_message: dict[str, Any], works: bool) -> None:
    url, _ = stand_in
    summary = result_message["custom"]["summary"]
    with open_page() as (page, errors):
        page.add_init_script(STUB_EXEC_COMMAND)
        page.goto(url)
        page.evaluate(f"window.__copyWorks = {'true' if works else 'false'}")
        wait_greeted(page)
        send(page, "result")
        result = page.locator(RESULT_BUBBLE)
        result.get_by_role("button", name="Copy summary").click()
        notice = result.locator(".copied")
        if works:
            expect(notice).to_have_text("Copied: the summary is on your clipboard.")
            assert result.locator("textarea").count() == 0
        else:
            expect(notice).to_contain_text("select the summary below")
            expect(result.get_by_label("Summary")).to_have_value(summary)
        assert page.evaluate("window.__copied") == summary
        expect(result.get_by_role("button", name="Copy summary")).to_be_focused()
        assert page.evaluate("document.documentElement.scrollHeight") <= 800
        assert not errors, errors


def choice_titles(bubble: Any) -> list[str]:
    return [t.strip() for t in bubble.locator("button.choice").all_inner_texts()]


def test_back_is_offered_on_every_triage_question_after_the_first(stand_in: tuple) -> None:
    url, bot = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "triage")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        assert choice_titles(page.locator("#log .msg.bot").last) == ["Under 1", "5-11 years"], "no Back on the first"

        page.get_by_role("button", name="5-11 years").click()
        expect(page.locator(ENABLED_CHOICES)).to_have_count(3, timeout=10000)
        assert choice_titles(page.locator("#log .msg.bot").last) == ["Yes", "No", "Back"]

        page.locator(ENABLED_CHOICES, has_text="Back").click()
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        assert page.locator("#log .msg.user").last.inner_text().endswith("Back")
        last = page.locator("#log .msg.bot").last
        expect(last).to_contain_text("How old is the child?")
        assert choice_titles(last) == ["Under 1", "5-11 years"], "back at the first question: no Back"
        assert bot.texts[-1] == "/go_back", "the page's Back is a payload, not words"

        page.locator(ENABLED_CHOICES, has_text="Under 1").click()
        expect(page.locator(ENABLED_CHOICES)).to_have_count(3, timeout=10000)
        assert bot.texts[-2:] == ["/go_back", AGE_QUESTION["buttons"][0]["payload"]]
        assert not errors, errors


def test_a_reload_redraws_the_conversation_with_the_redacted_text(stand_in: tuple) -> None:
    url, bot = stand_in
    with open_page() as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "my pupil Tom Baker is always hungry")
        wait_for_bot_text(page, 0, "echo:", timeout=10)
        mine = page.locator("#log .msg.user").last
        expect(mine).not_to_contain_text("Tom")  # what the server stored, not what was typed
        expect(mine).to_contain_text("[name]")
        send(page, "triage")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        page.get_by_role("button", name="5-11 years").click()
        expect(page.locator(ENABLED_CHOICES)).to_have_count(3, timeout=10000)
        before = page.locator("#log .msg").all_inner_texts()

        # The privacy notice is the guard's own reply, not part of the stored conversation.
        notice = load_safety_texts(ROOT / "knowledge").privacy_notice.splitlines()[0]
        expected = [text for text in before if notice not in text]
        assert len(expected) == len(before) - 1

        page.reload()
        wait_ready(page)
        expect(page.locator("#log .msg")).to_have_count(len(expected), timeout=10000)
        assert page.locator("#log .msg").all_inner_texts() == expected
        assert "Tom" not in page.inner_text("#log")
        # Only the latest question can be answered, and it still offers Back.
        assert [t.strip() for t in page.locator(ENABLED_CHOICES).all_inner_texts()] == ["Yes", "No", "Back"]
        expect(page.locator("#log .msg.bot").last).to_be_in_viewport()

        page.get_by_role("button", name="No", exact=True).click()
        expect(page.locator(RESULT_BUBBLE)).to_have_count(1, timeout=10000)
        assert bot.texts.count("/greet") == 1, "a restored conversation is not greeted again"
        page.reload()
        wait_ready(page)
        expect(page.locator(RESULT_BUBBLE)).to_have_count(1, timeout=10000)
        expect(page.locator(RESULT_BUBBLE).locator("h2")).to_be_in_viewport()
        assert not errors, errors


def test_axe_finds_no_violations_and_every_focus_ring_contrasts(stand_in: tuple) -> None:
    url, _ = stand_in
    with open_page(viewport=(1280, 800)) as (page, errors):
        page.goto(url)
        wait_greeted(page)
        send(page, "triage")
        expect(page.locator(ENABLED_CHOICES)).to_have_count(2, timeout=10000)
        page.get_by_role("button", name="5-11 years").click()
        expect(page.locator(ENABLED_CHOICES)).to_have_count(3, timeout=10000)
        back = page.locator("button.back:not([disabled])")
        page.keyboard.press("Shift")  # keyboard use: the browser shows focus rings (:focus-visible)
        back.focus()
        assert page.evaluate(FOCUS_RING_CONTRAST, back.element_handle()) >= 3
        assert axe_violations(page) == [], "with a question and its Back button"
        send(page, "answer")
        expect(page.locator("#log .msg.answer")).to_have_count(1, timeout=10000)
        send(page, "result")
        result = page.locator(RESULT_BUBBLE)
        expect(result).to_have_count(1, timeout=10000)
        assert axe_violations(page) == []
        for summary in page.locator("#log summary").all():
            summary.click()
        assert axe_violations(page) == [], "with every fold open"
        for target in (result.locator("summary").first, result.get_by_role("button", name="Copy summary"),
                       result.locator('a[href^="tel:"]').first):
            page.keyboard.press("Shift")  # keyboard use: the browser shows focus rings (:focus-visible)
            target.focus()
            assert page.evaluate(FOCUS_RING_CONTRAST, target.element_handle()) >= 3, target
        assert not errors, errors


# -- against the real assistant ---------------------------------------------------

# Sensible answers, by the button's label, tried in this order; anything else
# (the area question) gets the first button.
PREFERENCES = [r"^no$", r"^5\s*[-–]\s*11\b", r"^met$", r"^none\b", r"^recent", r"^no support", r"^no impact"]


def choose(titles: list[str]) -> int:
    for pattern in PREFERENCES:
        for index, title in enumerate(titles):
            if re.search(pattern, title.strip(), re.IGNORECASE):
                return index
    return 0


def area_phones(clicked: list[str]) -> set[str]:
    """The phone numbers (digits only) in the knowledge file of the area whose button was clicked."""

    def phones(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "phone" and isinstance(value, str | int):
                    yield re.sub(r"\D", "", str(value))
                else:
                    yield from phones(value)
        elif isinstance(node, list):
            for item in node:
                yield from phones(item)

    wanted = {title.strip().lower() for title in clicked}
    for path in sorted((ROOT / "knowledge" / "areas").glob("*.yml")):
        area: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names = {str(area.get("name", "")).lower(), *(str(a).lower() for a in area.get("aliases") or [])}
        if names & wanted:
            return {p for p in phones(area) if len(p) > 3}
    raise AssertionError(f"none of the clicked buttons {clicked} names an area in knowledge/areas/")


def test_a_practitioner_completes_a_triage_by_clicking_and_asks_a_question(assistant: Any) -> None:
    with open_page() as (page, errors):
        page.set_default_timeout(30000)
        page.goto(assistant.webchat_url)
        expect(page.get_by_text(PRIVACY_LINE)).to_be_visible()
        expect(page.locator("#emergency")).to_have_text(EMERGENCY_LINE)
        wait_ready(page)

        # The assistant's own greeting, with its buttons, before anything is typed.
        greeting = page.locator("#log .msg.bot").first
        expect(greeting).to_contain_text("call 999", timeout=30000)
        expect(greeting.locator('a[href="tel:999"]')).to_have_count(1)
        start = greeting.get_by_role("button", name="I'm worried about a child")
        expect(start).to_be_enabled()
        assert page.locator("#log .msg.user").count() == 0
        # Its button works only because the greeting is recorded in the conversation (the
        # guard passes a payload through when the assistant just offered it).
        start.click()
        clicked: list[str] = ["I'm worried about a child"]
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


# Level 4 in Coventry: never-met needs that have gone on with support not sustained, and a
# significant impact. The first age picked (5-11) is changed with Back to 12-17.
LEVEL_4_CLICKS = [r"^coventry$", r"^no$", r"^skip this question$", r"^5-11 years$", r"^never met$",
                  r"^domestic abuse$", r"^done$", r"^persistent", r"^improved, then slipped back$",
                  r"^significant impact$"]


def click_through(page: Page, patterns: list[str], stop: Any, clicked: list[str], limit: int = 40) -> None:
    """Clicks, at each question, the first button matching the earliest pattern, until `stop()`."""
    for _ in range(limit):
        page.wait_for_function(
            "([selector, level]) => document.querySelector(selector) !== null"
            " || document.querySelector(level) !== null",
            arg=[ENABLED_CHOICES, RESULT_BUBBLE], timeout=30000)
        if stop():
            return
        buttons = page.locator(ENABLED_CHOICES)
        titles = [t.strip() for t in buttons.all_inner_texts()]
        index = next((i for pattern in patterns for i, title in enumerate(titles)
                      if re.search(pattern, title, re.IGNORECASE)), None)
        assert index is not None, f"none of {patterns} among {titles} after {clicked}:\n{page.inner_text('#log')}"
        clicked.append(titles[index])
        before = page.locator("#log .msg.bot").count()
        buttons.nth(index).click()
        expect(page.locator("#log .msg.bot")).not_to_have_count(before, timeout=30000)
        page.wait_for_timeout(300)  # the rest of the turn's messages
    raise AssertionError(f"not done after {limit} clicks: {clicked}\n{page.inner_text('#log')}")


@pytest.mark.parametrize("size", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_a_level_4_triage_shows_the_level_and_what_to_do_now_at_a_glance(assistant: Any,
                                                                         size: tuple[int, int]) -> None:
    width, height = size
    coventry = area_phones(["Coventry"])
    with open_page(viewport=size, clipboard=True) as (page, errors):
        page.set_default_timeout(30000)
        page.goto(assistant.webchat_url)
        wait_greeted(page)
        page.locator("#log .msg.bot").first.get_by_role("button", name="I'm worried about a child").click()
        clicked: list[str] = []

        def at_disabled_question() -> bool:
            return "Is the child disabled?" in page.locator("#log .msg.bot").last.inner_text()

        click_through(page, LEVEL_4_CLICKS, at_disabled_question, clicked)
        # Back changes the last answer: the age is asked again, and 12-17 replaces 5-11.
        last = page.locator("#log .msg.bot").last
        assert "Back" in choice_titles(last), choice_titles(last)
        last.get_by_role("button", name="Back").click()
        expect(page.locator("#log .msg.bot").last).to_contain_text("How old is the child?", timeout=30000)
        page.locator(ENABLED_CHOICES, has_text="12-17 years").click()
        expect(page.locator("#log .msg.bot").last).to_contain_text("Is the child disabled?", timeout=30000)
        click_through(page, LEVEL_4_CLICKS, lambda: page.locator(RESULT_BUBBLE).count() > 0, clicked)

        result = page.locator(RESULT_BUBBLE)
        heading = result.locator("h2").inner_text()
        assert heading.startswith("Level 4: "), heading
        first = result.locator("ul.contacts > li").first
        number = first.locator('a[href^="tel:"]').inner_text()
        assert re.sub(r"\D", "", number) in coventry, (number, coventry)
        label = first.inner_text().split(":")[1].strip() if first.inner_text().startswith("Now:") else ""
        check_result_opens_at_what_matters(page, {"heading": heading, "contacts": [{
            "label": label, "number": number, "tel": "tel:" + re.sub(r"\D", "", number)}]}, size)
        screenshot(page, f"webchat-level4-{width}x{height}.png")
        result.get_by_role("button", name="Copy summary").click()
        expect(result.locator(".copied")).to_contain_text("Copied")
        summary = page.evaluate("navigator.clipboard.readText()")
        assert summary.startswith('Summary of an "am I worried?" check'), summary
        assert "Area: Coventry" in summary and "How old is the child? 12-17 years" in summary, summary
        assert "5-11 years" not in summary, "Back replaced the age"
        assert "Is the child disabled? No" in summary and heading in summary
        assert not re.search(r"\b(12_17|not_sustained|domestic_abuse|unmet)\b", summary), summary

        for fold in result.locator("summary").all():
            fold.click()
        assert axe_violations(page) == []
        for target in (result.locator("summary").first, result.get_by_role("button", name="Copy summary")):
            page.keyboard.press("Shift")  # keyboard use: the browser shows focus rings (:focus-visible)
            target.focus()
            assert page.evaluate(FOCUS_RING_CONTRAST, target.element_handle()) >= 3

        # A reload shows the conversation, the result in view.
        users = page.locator("#log .msg.user").all_inner_texts()
        page.reload()
        wait_ready(page)
        expect(page.locator(RESULT_BUBBLE)).to_have_count(1, timeout=30000)
        assert page.locator("#log .msg.user").all_inner_texts() == users
        expect(page.locator(RESULT_BUBBLE).locator("h2")).to_have_text(heading)
        expect(page.locator(RESULT_BUBBLE).locator("h2")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollHeight") <= height
        # Tapping the number hands it to the phone (a tel: link); the page stays as it is.
        page.locator(RESULT_BUBBLE).locator('ul.contacts a[href^="tel:"]').first.click()
        page.wait_for_timeout(300)
        assert page.url == assistant.webchat_url and page.locator(RESULT_BUBBLE).count() == 1
        assert not errors, errors
