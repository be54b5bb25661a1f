/*
 * The web chat page. Plain JavaScript, no framework.
 *
 * Safety of what is shown: message text is only ever placed with textContent.
 * Links are <a rel="noopener noreferrer" target="_blank"> elements built for
 * http(s) URLs only (addresses without a scheme, "www.x.gov.uk/y" or
 * "x.org.uk/y", get https://); UK phone numbers and 999 become tel: links
 * (digits only); *bold* and **bold** become <strong>; consecutive lines that
 * start with "- " become a <ul>; other line breaks are kept.
 *
 * Reading and keyboard: the log, not the page, scrolls; a new reply is
 * scrolled to its start. When a reply the user asked for arrives, focus moves
 * to its first option button, or else to the reply itself (tabindex=-1),
 * unless the user has started typing again. Each button group is labelled
 * by its reply's first line.
 *
 * Protocol (Rasa's socket.io channel): emit "session_request" {session_id},
 * receive "session_confirm" token, emit the user event {message, session_id},
 * receive the bot event {text, quick_replies?, attachment?, custom?}. The
 * channel adds "user_stored" {text}: what the server stored of the user's
 * message (redacted), shown in the user's bubble; and, when a conversation is
 * resumed, "session_history" {messages: [{role: "user", text} | {role: "bot",
 * message}]}, which redraws it.
 *
 * The triage result comes as data (custom.type "triage_result"): the level
 * as a heading, then "What to do now" (the first action, the contacts as tel:
 * links, out of hours, 999), then the reasons, steps, notes and sources
 * folded in <details>, then the judgement line; its "Copy a summary" button
 * copies the plain-text summary (the clipboard API, else a hidden textarea
 * and execCommand) and says so.
 *
 * A guidance answer or a one-minute guide comes as data too (custom.type
 * "guidance_answer"): its title as a heading, the short answer, its sections
 * folded ("Tell me more", "Why it matters", ...), its sources as links.
 *
 * Back: every triage question (all its buttons are /choose payloads) after
 * the first of this triage gets a Back button (/go_back). The questions of
 * the current triage are kept by their first line: a question seen before
 * (asked again after Back, a side question or a correction) cuts the trail
 * back to it; the result or Start again ends it.
 *
 * Sessions: the server issues a signed token "<id>.<signature>" in
 * "session_confirm"; only that token, sent back as session_id in
 * "session_request", resumes the conversation (after a reload or a dropped
 * connection). Any other value gets a new conversation. The token is kept in
 * sessionStorage (this tab only); the id alone, which names the conversation
 * but cannot resume it, is kept beside it.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "neglect-assistant.session-id";
  var TOKEN_KEY = "neglect-assistant.session-token";
  var REPLY_WAIT_MS = 20000;
  var EMERGENCY = "If a child is in immediate danger, call 999.";
  var INLINE = "\\[([^\\]\\n]+)\\]\\((https?://[^\\s()]+)\\)" + // 1, 2: [label](url)
    "|(https?://[^\\s<>\"']+)" + // 3: bare url
    "|\\*\\*([^*\\n]+)\\*\\*" + // 4: **bold**
    "|\\*([^*\\n]+)\\*" + // 5: *bold*
    // 6: an address without a scheme: www.anything, or a name under a known ending (not in an e-mail address)
    "|(?<![\\w@.\\/-])((?:www\\.[a-z0-9-]+(?:\\.[a-z0-9-]+)+|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+" +
    "(?:uk|com|org|net|gov|info))(?![\\w@-])(?:\\/[^\\s<>\"']*)?)" +
    // 7: a UK phone number (0 then 2-4 digits, then groups) or 999, standing alone
    "|(?<![\\w+\\/.-])(0\\d{2,4}(?:[ \\u00a0-]\\d{1,6}){0,3}|999)(?![\\w\\/-])";
  var LIST_ITEM = /^\s*- +(.*)$/;
  var LABEL_LENGTH = 80;
  var RESULT_TYPE = "triage_result";
  var ANSWER_TYPE = "guidance_answer";
  var QUESTION_PAYLOAD = /^\/choose\{/;
  var BACK = { title: "Back", payload: "/go_back" };
  var SUMMARY_PAYLOAD = "/request_summary";
  var STORED_EVENT = "user_stored";
  var HISTORY_EVENT = "session_history";
  var COPY_WAIT_MS = 1500;

  function setting(name, fallback) {
    var value = document.body.getAttribute(name);
    // Placeholders left in place mean the page was not served by the channel.
    return value && value.indexOf("__") !== 0 ? value : fallback;
  }

  var socketPath = setting("data-socketio-path", "/socket.io");
  var userEvent = setting("data-user-event", "user_uttered");
  var botEvent = setting("data-bot-event", "bot_uttered");

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message");
  var sendButton = document.getElementById("send");
  var restartButton = document.getElementById("restart");
  var typing = document.getElementById("typing");
  var statusLine = document.getElementById("status");

  var socket = null;
  var sessionId = null;
  var sessionToken = null;
  var waitTimer = null;
  // The bot messages of the current turn (since the user last sent something),
  // whether that turn was asked for (so may take the focus), and the group labels used.
  var turn = [];
  var turnWanted = false;
  var groupLabels = {};
  // The first lines of the triage questions asked so far in this triage (for Back).
  var questionTrail = [];
  // The user's latest bubble, until the server says what it stored of that message.
  var pendingUser = null;

  function storedToken() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY);
    } catch (error) {
      return null;
    }
  }

  function storeSession(token, id) {
    try {
      if (token && id) {
        window.sessionStorage.setItem(TOKEN_KEY, token);
        window.sessionStorage.setItem(STORAGE_KEY, id);
      } else {
        window.sessionStorage.removeItem(TOKEN_KEY);
        window.sessionStorage.removeItem(STORAGE_KEY);
      }
    } catch (error) {
      /* storage blocked: the conversation survives reconnects (token in memory) but not a reload */
    }
  }

  function idOfToken(token) {
    var dot = typeof token === "string" ? token.indexOf(".") : -1;
    return dot > 0 ? token.slice(0, dot) : null;
  }

  function showStatus(text) {
    statusLine.textContent = text;
    statusLine.hidden = !text;
  }

  function setReady(ready) {
    sendButton.disabled = !ready;
  }

  function setTyping(on) {
    typing.hidden = !on;
    window.clearTimeout(waitTimer);
    if (on) {
      waitTimer = window.setTimeout(function () {
        typing.hidden = true;
        showStatus("No reply yet. Please try again in a moment. " + EMERGENCY);
      }, REPLY_WAIT_MS);
    }
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function scrollToStart(element) {
    // The log is the offsetParent (position: relative): offsetTop is within its content.
    var padding = parseFloat(window.getComputedStyle(log).paddingTop) || 0;
    log.scrollTop = Math.max(0, element.offsetTop - padding);
  }

  function safeHref(candidate) {
    try {
      var url = new URL(candidate);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function appendLinkOrText(parent, href, label) {
    var safe = safeHref(href);
    if (!safe) {
      parent.appendChild(document.createTextNode(label));
      return;
    }
    var anchor = document.createElement("a");
    anchor.href = safe;
    anchor.rel = "noopener noreferrer";
    anchor.target = "_blank";
    anchor.textContent = label;
    parent.appendChild(anchor);
  }

  function splitTrailing(url) {
    var trailing = "";
    while (/[.,;:!?)\]]$/.test(url)) {
      trailing = url.slice(-1) + trailing;
      url = url.slice(0, -1);
    }
    return [url, trailing];
  }

  // The digits of a phone number, or null: 999, or 0 and 7 to 10 more digits (the
  // longest run of groups that fits, preferring a full 11-digit number).
  function phoneDigits(candidate) {
    if (candidate === "999") {
      return { digits: "999", length: candidate.length };
    }
    var groups = candidate.split(/[ \u00a0-]/);
    var best = null;
    var digits = "";
    var length = -1;
    for (var i = 0; i < groups.length; i += 1) {
      digits += groups[i];
      length += groups[i].length + 1;
      if (digits.length > 11) {
        break;
      }
      if (digits.length >= 8 && (!best || best.digits.length !== 11)) {
        best = { digits: digits, length: length };
      }
    }
    return best;
  }

  function appendTel(parent, digits, label) {
    var anchor = document.createElement("a");
    anchor.href = "tel:" + digits.replace(/\D/g, "");
    anchor.className = "tel";
    anchor.textContent = label;
    parent.appendChild(anchor);
  }

  function appendInline(parent, text, allowBold) {
    var pattern = new RegExp(INLINE, "gi");
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var boldText = match[4] || match[5];
      if (boldText && !allowBold) {
        continue;
      }
      var phone = match[7] ? phoneDigits(match[7]) : null;
      if (match[7] && !phone) {
        continue; // digits but not a phone number: left as text
      }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1]) {
        appendLinkOrText(parent, match[2], match[1]);
      } else if (match[3] || match[6]) {
        var parts = splitTrailing(match[3] || match[6]);
        appendLinkOrText(parent, match[3] ? parts[0] : "https://" + parts[0], parts[0]);
        parent.appendChild(document.createTextNode(parts[1]));
      } else if (phone) {
        appendTel(parent, phone.digits, match[7].slice(0, phone.length));
        // Groups after the number itself (e.g. "0800 1111 24 hours") are text again.
        pattern.lastIndex = match.index + phone.length;
      } else {
        var strong = document.createElement("strong");
        appendInline(strong, boldText, false);
        parent.appendChild(strong);
      }
      last = pattern.lastIndex;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function appendLine(parent, line, rich) {
    if (rich) {
      appendInline(parent, line, true);
    } else {
      parent.appendChild(document.createTextNode(line));
    }
  }

  function appendParagraphs(parent, text, rich) {
    text.split(/\n{2,}/).forEach(function (block) {
      if (!block.trim()) {
        return;
      }
      var paragraph = null;
      var list = null;
      block.split("\n").forEach(function (line) {
        var item = rich ? LIST_ITEM.exec(line) : null;
        if (item) {
          paragraph = null;
          if (!list) {
            list = document.createElement("ul");
            parent.appendChild(list);
          }
          var entry = document.createElement("li");
          appendLine(entry, item[1], rich);
          list.appendChild(entry);
          return;
        }
        list = null;
        if (paragraph) {
          paragraph.appendChild(document.createElement("br"));
        } else {
          paragraph = document.createElement("p");
          parent.appendChild(paragraph);
        }
        appendLine(paragraph, line, rich);
      });
    });
  }

  // The reply's first line, as plain words, for the label of its buttons.
  function firstLine(text) {
    var line = "";
    (text || "").split("\n").some(function (candidate) {
      line = candidate
        .replace(/\[([^\]\n]+)\]\([^)\s]*\)/g, "$1")
        .replace(/\*+/g, "")
        .replace(/^\s*- +/, "")
        .replace(/\s+/g, " ")
        .trim();
      return Boolean(line);
    });
    if (line.length > LABEL_LENGTH) {
      var cut = line.lastIndexOf(" ", LABEL_LENGTH);
      line = line.slice(0, cut > LABEL_LENGTH / 2 ? cut : LABEL_LENGTH).replace(/[\s,;:.]+$/, "") + "…";
    }
    return line;
  }

  function groupLabel(text) {
    var base = "Answers to: " + (firstLine(text) || "the assistant's message");
    var count = (groupLabels[base] || 0) + 1;
    groupLabels[base] = count;
    return count === 1 ? base : base + " (" + count + ")";
  }

  function speakerLabel(bubble, role) {
    var speaker = document.createElement("span");
    speaker.className = "visually-hidden";
    speaker.textContent = role === "bot" ? "Assistant: " : "You: ";
    bubble.appendChild(speaker);
  }

  function addMessage(role, text) {
    var bubble = document.createElement("div");
    bubble.className = "msg " + role;
    speakerLabel(bubble, role);
    appendParagraphs(bubble, text || "", role === "bot");
    log.appendChild(bubble);
    return bubble;
  }

  function closeChoices() {
    var open = log.querySelectorAll("button.choice:not(:disabled)");
    Array.prototype.forEach.call(open, function (button) {
      button.disabled = true;
    });
  }

  function choiceButton(title, className, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = className;
    button.textContent = title;
    button.addEventListener("click", onClick);
    return button;
  }

  // `extra(group, choice)` may draw a choice itself (and return true).
  function choiceGroup(choices, label, extra) {
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", groupLabel(label));
    choices.forEach(function (choice) {
      if (!choice || typeof choice.title !== "string") {
        return;
      }
      if (extra && extra(group, choice)) {
        return;
      }
      if (typeof choice.url === "string") {
        appendLinkOrText(group, choice.url, choice.title);
        return;
      }
      var payload = typeof choice.payload === "string" && choice.payload ? choice.payload : choice.title;
      var className = choice === BACK ? "choice back" : "choice";
      var button = choiceButton(choice.title, className, function () {
        if (sendToBot(payload, choice.title, false)) {
          button.setAttribute("aria-pressed", "true");
        }
      });
      button.setAttribute("aria-pressed", "false");
      group.appendChild(button);
    });
    return group;
  }

  // A triage question: every button answers it (/choose{...}).
  function isQuestion(choices) {
    return choices.length > 0 && choices.every(function (choice) {
      return choice && typeof choice.payload === "string" && QUESTION_PAYLOAD.test(choice.payload);
    });
  }

  // Records a question of this triage; true when an earlier one can be gone back to.
  function followsAnotherQuestion(text) {
    var key = firstLine(text);
    var seen = questionTrail.indexOf(key);
    if (seen >= 0) {
      questionTrail.length = seen + 1;
    } else {
      questionTrail.push(key);
    }
    return questionTrail.length > 1;
  }

  function renderAttachment(bubble, attachment) {
    var payload = attachment && attachment.payload;
    if (!payload) {
      return;
    }
    if (attachment.type === "image" && typeof payload.src === "string") {
      var line = document.createElement("p");
      appendLinkOrText(line, payload.src, "Open the image");
      bubble.appendChild(line);
    } else if (attachment.type === "template") {
      var elements = Array.isArray(payload.elements) ? payload.elements : [payload.elements];
      elements.forEach(function (element) {
        if (!element) {
          return;
        }
        var text = [element.title, element.subtitle].filter(Boolean).join("\n");
        appendParagraphs(bubble, text, true);
        if (Array.isArray(element.buttons) && element.buttons.length) {
          bubble.appendChild(choiceGroup(element.buttons, text));
        }
      });
    }
  }

  // -- the triage result ---------------------------------------------------------

  function textOf(value) {
    return typeof value === "string" ? value : "";
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      appendInline(node, text, false);
    }
    return node;
  }

  // "Label: 024 7678 8555 — Mon–Fri 09:00–17:00": the number a tel: link; no number, the fallback route.
  // The hours are left out where the prefix says them ("Out of hours: ").
  function appendContact(parent, contact, prefix, withHours) {
    if (!contact || typeof contact !== "object") {
      return;
    }
    parent.appendChild(document.createTextNode((prefix || "") + textOf(contact.label) + ": "));
    if (typeof contact.number === "string" && contact.number && typeof contact.tel === "string") {
      appendTel(parent, contact.tel.replace(/^tel:/, ""), contact.number);
    } else {
      appendInline(parent, textOf(contact.fallback) || "the phone number is not known.", false);
    }
    if (withHours && typeof contact.hours === "string" && contact.hours) {
      parent.appendChild(element("span", "hours", " — " + contact.hours));
    }
    if (typeof contact.url === "string" && contact.url) {
      parent.appendChild(document.createTextNode(" "));
      appendLinkOrText(parent, contact.url, contact.url.replace(/^https?:\/\//, ""));
    }
  }

  function appendSources(parent, sources) {
    if (!Array.isArray(sources) || !sources.length) {
      return;
    }
    var list = element("ul", "sources");
    sources.forEach(function (source) {
      if (!source || typeof source.title !== "string") {
        return;
      }
      var item = element("li");
      if (typeof source.url === "string" && source.url) {
        appendLinkOrText(item, source.url, source.title);
      } else {
        item.appendChild(document.createTextNode(source.title));
      }
      list.appendChild(item);
    });
    parent.appendChild(list);
  }

  function folded(parent, title, fill) {
    var details = element("details");
    details.appendChild(element("summary", "", title));
    fill(details);
    parent.appendChild(details);
  }

  function textList(tag, texts) {
    var list = element(tag);
    texts.forEach(function (text) {
      if (typeof text === "string") {
        list.appendChild(element("li", "", text));
      }
    });
    return list;
  }

  function fallbackCopy(text) {
    var buffer = document.createElement("textarea");
    buffer.value = text;
    buffer.setAttribute("readonly", "");
    buffer.setAttribute("aria-hidden", "true");
    buffer.className = "copy-buffer";
    document.body.appendChild(buffer);
    buffer.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(buffer);
    return copied;
  }

  // The clipboard API, else the textarea fallback; also when the API neither answers nor fails
  // within COPY_WAIT_MS (a browser can leave it pending while the page is not focused).
  function copyText(text) {
    if (!(navigator.clipboard && typeof navigator.clipboard.writeText === "function" && window.isSecureContext)) {
      return Promise.resolve(fallbackCopy(text));
    }
    return new Promise(function (resolve) {
      var settled = false;
      function settle(copied) {
        if (!settled) {
          settled = true;
          resolve(copied);
        }
      }
      var timer = window.setTimeout(function () {
        settle(fallbackCopy(text));
      }, COPY_WAIT_MS);
      navigator.clipboard.writeText(text).then(
        function () {
          window.clearTimeout(timer);
          settle(true);
        },
        function () {
          window.clearTimeout(timer);
          settle(fallbackCopy(text));
        }
      );
    });
  }

  function copySummary(bubble, button, summary) {
    var notice = bubble.querySelector(".copied");
    copyText(summary).then(function (copied) {
      button.focus({ preventScroll: true });
      if (copied) {
        notice.textContent = "Copied: the summary is on your clipboard.";
        return;
      }
      notice.textContent = "Copying is blocked here: select the summary below and copy it.";
      if (!bubble.querySelector("textarea.summary")) {
        var label = element("label", "summary-label", "Summary");
        var box = element("textarea", "summary");
        box.readOnly = true;
        box.value = summary;
        box.id = "summary-" + Date.now();
        label.htmlFor = box.id;
        bubble.appendChild(label);
        bubble.appendChild(box);
      }
    });
  }

  function addResult(data, choices) {
    var bubble = document.createElement("div");
    bubble.className = "msg bot result";
    speakerLabel(bubble, "bot");
    bubble.appendChild(element("h2", "result-level", textOf(data.heading)));

    var labels = data.labels || {};  // the headings, from knowledge/wording.yml
    bubble.appendChild(element("h3", "", textOf(labels.what_to_do)));
    bubble.appendChild(element("p", "first-action", textOf(data.first_action)));
    var contacts = Array.isArray(data.contacts) ? data.contacts : [];
    if (contacts.length) {
      var list = element("ul", "contacts");
      contacts.forEach(function (contact) {
        var item = element("li");
        appendContact(item, contact, contact && contact.now ? textOf(labels.now) : "", true);
        list.appendChild(item);
      });
      bubble.appendChild(list);
    }
    if (data.out_of_hours) {
      var outOfHours = element("p", "out-of-hours");
      appendContact(outOfHours, data.out_of_hours, textOf(labels.out_of_hours), false);
      bubble.appendChild(outOfHours);
    }
    bubble.appendChild(element("p", "immediate", textOf(data.immediate)));
    if (data.description) {
      bubble.appendChild(element("p", "description", textOf(data.description)));
    }

    var steps = Array.isArray(data.steps) ? data.steps : [];
    if (steps.length) {
      folded(bubble, textOf(labels.more_steps), function (details) {
        details.appendChild(textList("ul", steps));
      });
    }
    var reasons = Array.isArray(data.reasons) ? data.reasons : [];
    if (reasons.length) {
      folded(bubble, textOf(labels.why), function (details) {
        var list = element("ol", "reasons");
        reasons.forEach(function (reason) {
          if (!reason || typeof reason.text !== "string") {
            return;
          }
          var item = element("li", "", reason.text);
          appendSources(item, reason.sources);
          list.appendChild(item);
        });
        details.appendChild(list);
      });
    }
    var notes = Array.isArray(data.notes) ? data.notes : [];
    if (notes.length) {
      folded(bubble, textOf(labels.notes), function (details) {
        details.appendChild(textList("ul", notes));
      });
    }
    if (Array.isArray(data.sources) && data.sources.length) {
      folded(bubble, textOf(labels.sources), function (details) {
        appendSources(details, data.sources);
      });
    }
    if (data.guide && typeof data.guide.url === "string" && data.guide.url) {
      var guide = element("p", "guide");
      appendLinkOrText(guide, data.guide.url, textOf(data.guide.title));
      bubble.appendChild(guide);
    }
    bubble.appendChild(element("p", "judgement", textOf(data.judgement)));

    var summary = textOf(data.summary);
    var offered = Array.isArray(choices) ? choices : [];
    if (offered.length) {
      bubble.appendChild(choiceGroup(offered, textOf(data.heading), function (group, choice) {
        if (choice.payload !== SUMMARY_PAYLOAD || !summary) {
          return false;
        }
        // Copied here, not asked of the assistant: the summary came with the result.
        var copy = choiceButton("Copy summary", "copy", function () {
          copySummary(bubble, copy, summary);
        });
        group.appendChild(copy);
        return true;
      }));
    }
    var notice = element("p", "copied");
    notice.setAttribute("role", "status");
    bubble.appendChild(notice);
    log.appendChild(bubble);
    return bubble;
  }

  // A guidance answer or guide: its title, the short answer, its sections folded (an answer's detail is
  // "Tell me more" without asking), its address and sources as links, then its other buttons.
  function addAnswer(data, choices) {
    var bubble = document.createElement("div");
    bubble.className = "msg bot answer";
    speakerLabel(bubble, "bot");
    bubble.appendChild(element("h2", "answer-title", textOf(data.title)));
    appendParagraphs(bubble, textOf(data.summary), true);
    (Array.isArray(data.sections) ? data.sections : []).forEach(function (section) {
      if (section && typeof section.text === "string") {
        folded(bubble, textOf(section.title), function (details) {
          appendParagraphs(details, section.text, true);
        });
      }
    });
    if (typeof data.url === "string" && data.url) {
      var link = element("p", "answer-link");
      appendLinkOrText(link, data.url, data.url.replace(/^https?:\/\//, ""));
      bubble.appendChild(link);
    }
    if (Array.isArray(data.sources) && data.sources.length) {
      var source = element("div", "answer-sources");
      source.appendChild(element("p", "", "Source:"));
      appendSources(source, data.sources);
      bubble.appendChild(source);
    }
    var offered = (Array.isArray(choices) ? choices : []).filter(function (choice) {
      return !(choice && data.more_payload && choice.payload === data.more_payload);
    });
    if (offered.length) {
      bubble.appendChild(choiceGroup(offered, textOf(data.title)));
    }
    log.appendChild(bubble);
    return bubble;
  }

  // Draws one bot message; null when there is nothing to show.
  function renderBot(message) {
    var custom = message.custom;
    var choices = message.quick_replies || message.buttons;
    choices = Array.isArray(choices) ? choices : [];
    if (custom && typeof custom === "object" && custom.type === RESULT_TYPE) {
      questionTrail = []; // the triage is over
      return addResult(custom, choices);
    }
    if (custom && typeof custom === "object" && custom.type === ANSWER_TYPE) {
      return addAnswer(custom, choices);
    }
    var text = typeof message.text === "string" ? message.text : "";
    if (!text && !choices.length && !message.attachment) {
      return null;
    }
    var bubble = addMessage("bot", text);
    if (choices.length) {
      if (isQuestion(choices) && followsAnotherQuestion(text)) {
        choices = choices.concat([BACK]);
      }
      bubble.appendChild(choiceGroup(choices, text));
    }
    if (message.attachment) {
      renderAttachment(bubble, message.attachment);
    }
    return bubble;
  }

  function onBotMessage(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    setTyping(false);
    showStatus("");
    var bubble = renderBot(message);
    if (!bubble) {
      return;
    }
    bubble.tabIndex = -1;
    turn.push(bubble);
    // A result opens at its own top (the level and what to do now); other replies at the turn's.
    scrollToStart(bubble.classList.contains("result") ? bubble : turn[0]);
    if (turnWanted) {
      focusReply();
    }
  }

  // A resumed conversation, as the server stored it: drawn again, its latest options open.
  function onHistory(data) {
    var items = data && Array.isArray(data.messages) ? data.messages : [];
    log.textContent = "";
    groupLabels = {};
    questionTrail = [];
    pendingUser = null;
    newTurn(false);
    var lastTurnStart = null;
    var result = null;
    items.forEach(function (item) {
      if (!item || typeof item !== "object") {
        return;
      }
      if (item.role === "user" && typeof item.text === "string") {
        closeChoices();
        addMessage("user", item.text);
        lastTurnStart = null;
        result = null;
      } else if (item.role === "bot" && item.message && typeof item.message === "object") {
        var bubble = renderBot(item.message);
        if (bubble) {
          bubble.tabIndex = -1;
          lastTurnStart = lastTurnStart || bubble;
          result = bubble.classList.contains("result") ? bubble : result;
        }
      }
    });
    if (result || lastTurnStart) {
      scrollToStart(result || lastTurnStart);
    } else {
      scrollToEnd();
    }
  }

  // What the server stored of the user's message replaces what was typed (a button keeps its title).
  function onStored(data) {
    var bubble = pendingUser;
    pendingUser = null;
    if (!bubble || !data || typeof data.text !== "string" || !data.text || data.text.charAt(0) === "/") {
      return;
    }
    if (bubble.getAttribute("data-typed") !== "true") {
      return;
    }
    bubble.textContent = "";
    speakerLabel(bubble, "user");
    appendParagraphs(bubble, data.text, false);
  }

  // The user has started typing again (or is elsewhere): leave the focus alone.
  function userIsBusy() {
    var active = document.activeElement;
    if (active === input) {
      return input.value.trim() !== "";
    }
    return Boolean(active) && active !== document.body && !log.contains(active) && active !== restartButton;
  }

  function focusReply() {
    if (userIsBusy()) {
      return;
    }
    var target = null;
    turn.some(function (bubble) {
      // A result is read from its heading down: the focus goes to the result itself.
      target = bubble.classList.contains("result") ? bubble : bubble.querySelector("button.choice:not(:disabled)");
      return Boolean(target);
    });
    target = target || turn[0];
    if (target && document.activeElement !== target) {
      target.focus({ preventScroll: true });
    }
  }

  function newTurn(wanted) {
    turn = [];
    turnWanted = wanted;
  }

  function sendToBot(payload, shown, typed) {
    if (!socket || !socket.connected || !sessionId) {
      showStatus("Not connected to the assistant yet. Please wait a moment. " + EMERGENCY);
      return false;
    }
    closeChoices();
    pendingUser = addMessage("user", shown);
    pendingUser.setAttribute("data-typed", typed ? "true" : "false");
    scrollToEnd();
    newTurn(true);
    socket.emit(userEvent, { message: payload, session_id: sessionId });
    setTyping(true);
    // Until the reply comes (the pressed button is now disabled and would drop the focus).
    input.focus();
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text && sendToBot(text, text, true)) {
      input.value = "";
    }
    // Focus stays in the input until the reply arrives (then it moves to the reply).
    input.focus();
  });

  restartButton.addEventListener("click", function () {
    log.textContent = "";
    input.value = "";
    setTyping(false);
    showStatus("");
    sessionId = null;
    sessionToken = null;
    groupLabels = {};
    questionTrail = [];
    pendingUser = null;
    newTurn(true); // the new greeting is the answer to this button
    storeSession(null, null);
    setReady(false);
    if (socket && socket.connected) {
      socket.emit("session_request", { session_id: null });
    }
    input.focus();
  });

  setReady(false);
  if (typeof window.io !== "function") {
    showStatus("The chat cannot start because a file is missing. Please tell your IT team. " + EMERGENCY);
    return;
  }

  // WebSocket only: one connection that stays with one Sanic worker (long-polling
  // requests could reach different workers, which do not share socket.io sessions).
  socket = window.io({ path: socketPath, transports: ["websocket"] });
  socket.on("connect", function () {
    showStatus("");
    // A reconnect resumes with the token in memory; a reloaded page with the stored one.
    socket.emit("session_request", { session_id: sessionToken || storedToken() });
  });
  socket.on("session_confirm", function (token) {
    sessionId = idOfToken(token);
    sessionToken = sessionId ? token : null;
    storeSession(sessionToken, sessionId);
    setReady(Boolean(sessionId));
  });
  socket.on(botEvent, onBotMessage);
  socket.on(STORED_EVENT, onStored);
  socket.on(HISTORY_EVENT, onHistory);
  socket.on("disconnect", function () {
    setReady(false);
    setTyping(false);
    showStatus("Connection lost. Trying to reconnect… " + EMERGENCY);
  });
  socket.on("connect_error", function () {
    setReady(false);
    showStatus("Cannot reach the assistant. Trying again… " + EMERGENCY);
  });
})();
