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
 * receive the bot event {text, quick_replies?, attachment?}.
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

  function addMessage(role, text) {
    var bubble = document.createElement("div");
    bubble.className = "msg " + role;
    var speaker = document.createElement("span");
    speaker.className = "visually-hidden";
    speaker.textContent = role === "bot" ? "Assistant: " : "You: ";
    bubble.appendChild(speaker);
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

  function choiceGroup(choices, label) {
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", groupLabel(label));
    choices.forEach(function (choice) {
      if (!choice || typeof choice.title !== "string") {
        return;
      }
      if (typeof choice.url === "string") {
        appendLinkOrText(group, choice.url, choice.title);
        return;
      }
      var payload = typeof choice.payload === "string" && choice.payload ? choice.payload : choice.title;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = choice.title;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        if (sendToBot(payload, choice.title)) {
          button.setAttribute("aria-pressed", "true");
        }
      });
      group.appendChild(button);
    });
    return group;
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

  function onBotMessage(message) {
    if (!message || typeof message !== "object") {
      return;
    }
    setTyping(false);
    showStatus("");
    var text = typeof message.text === "string" ? message.text : "";
    var bubble = addMessage("bot", text);
    bubble.tabIndex = -1;
    var choices = message.quick_replies || message.buttons;
    if (Array.isArray(choices) && choices.length) {
      bubble.appendChild(choiceGroup(choices, text));
    }
    if (message.attachment) {
      renderAttachment(bubble, message.attachment);
    }
    turn.push(bubble);
    scrollToStart(turn[0]);
    if (turnWanted) {
      focusReply();
    }
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
      target = bubble.querySelector("button.choice:not(:disabled)");
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

  function sendToBot(payload, shown) {
    if (!socket || !socket.connected || !sessionId) {
      showStatus("Not connected to the assistant yet. Please wait a moment. " + EMERGENCY);
      return false;
    }
    closeChoices();
    addMessage("user", shown);
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
    if (text && sendToBot(text, text)) {
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

  socket = window.io({ path: socketPath });
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
