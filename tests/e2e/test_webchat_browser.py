"""The web chat page in a real headless browser (Debian's Chromium, driven by Playwright).

Two kinds of test:

* against a stand-in for Rasa (no model needed): how the page shows and
  sends messages -- the greeting a new conversation opens with, safe
  rendering, lists, phone and web links, buttons, keyboard focus and its
  ring, only the log scrolling (1280x800 and 390x844), Start again, reload,
  a phone-sized screen, a dropped connection;
* against the real assistant (the ``assistant`` fixture of conftest.py): the
  greeting on load, then a whole triage by clicking the buttons the bot
  shows (starting with the greeting's), then a typed question.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterator

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


@dataclass
class StandInBot:
    """Stands in for Rasa behind the real channel and guard."""

    received: list[UserMessage] = field(default_factory=list)
    offered: dict[str, frozenset] = field(default_factory=dict)

    async def offers(self, sender_id: str) -> frozenset:
        """What the guard asks the tracker store for: the buttons this bot last sent."""
        return self.offered.get(sender_id, frozenset())

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        text = message.text or ""
        out = message.output_channel
        self.offered[message.sender_id] = frozenset()
        if text == "/greet":
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
            await out.send_response(message.sender_id, {"text": f"echo: {text}"})

    async def reply(self, message: UserMessage, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        reply: dict[str, Any] = {"text": text}
        if buttons:
            reply["buttons"] = buttons
            self.offered[message.sender_id] = frozenset(b["payload"] for b in buttons)
        await message.output_channel.send_response(message.sender_id, reply)

    @property
    def texts(self) -> list[str]:
        return [m.text or "" for m in self.received]

    @property
    def senders(self) -> list[str]:
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
        replies = wait_for_bot_text(page, 0, "echo:", timeout=10)
        assert notice.splitlines()[0] in replies
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
FOCUS_RING_CONTRAST = """el => {
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
