/*
 * The web chat page. Plain JavaScript, no framework.
 *
 * Safety of what is shown: message text is only ever placed with textContent.
 * Links are <a rel="noopener noreferrer" target="_blank"> elements built for
 * http(s) URLs only; *bold* and **bold** become <strong>; line breaks are kept.
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
  var INLINE = "\\[([^\\]\\n]+)\\]\\((https?://[^\\s()]+)\\)" + // [label](url)
    "|(https?://[^\\s<>\"']+)" + // bare url
    "|\\*\\*([^*\\n]+)\\*\\*" + // **bold**
    "|\\*([^*\\n]+)\\*"; // *bold*

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

  function appendInline(parent, text, allowBold) {
    var pattern = new RegExp(INLINE, "g");
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var boldText = match[4] || match[5];
      if (boldText && !allowBold) {
        continue;
      }
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1]) {
        appendLinkOrText(parent, match[2], match[1]);
      } else if (match[3]) {
        var url = match[3];
        var trailing = "";
        while (/[.,;:!?)\]]$/.test(url)) {
          trailing = url.slice(-1) + trailing;
          url = url.slice(0, -1);
        }
        appendLinkOrText(parent, url, url);
        parent.appendChild(document.createTextNode(trailing));
      } else {
        var strong = document.createElement("strong");
        appendInline(strong, boldText, false);
        parent.appendChild(strong);
      }
      last = pattern.lastIndex;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function appendParagraphs(parent, text, rich) {
    text.split(/\n{2,}/).forEach(function (block) {
      if (!block.trim()) {
        return;
      }
      var paragraph = document.createElement("p");
      block.split("\n").forEach(function (line, index) {
        if (index > 0) {
          paragraph.appendChild(document.createElement("br"));
        }
        if (rich) {
          appendInline(paragraph, line, true);
        } else {
          paragraph.appendChild(document.createTextNode(line));
        }
      });
      parent.appendChild(paragraph);
    });
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
    scrollToEnd();
    return bubble;
  }

  function closeChoices() {
    var open = log.querySelectorAll("button.choice:not(:disabled)");
    Array.prototype.forEach.call(open, function (button) {
      button.disabled = true;
    });
  }

  function choiceGroup(choices) {
    var group = document.createElement("div");
    group.className = "choices";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Choose an answer");
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
        appendParagraphs(bubble, [element.title, element.subtitle].filter(Boolean).join("\n"), true);
        if (Array.isArray(element.buttons) && element.buttons.length) {
          bubble.appendChild(choiceGroup(element.buttons));
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
    var bubble = addMessage("bot", typeof message.text === "string" ? message.text : "");
    var choices = message.quick_replies || message.buttons;
    if (Array.isArray(choices) && choices.length) {
      bubble.appendChild(choiceGroup(choices));
    }
    if (message.attachment) {
      renderAttachment(bubble, message.attachment);
    }
    scrollToEnd();
  }

  function sendToBot(payload, shown) {
    if (!socket || !socket.connected || !sessionId) {
      showStatus("Not connected to the assistant yet. Please wait a moment. " + EMERGENCY);
      return false;
    }
    closeChoices();
    addMessage("user", shown);
    socket.emit(userEvent, { message: payload, session_id: sessionId });
    setTyping(true);
    input.focus();
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text && sendToBot(text, text)) {
      input.value = "";
    }
    input.focus();
  });

  restartButton.addEventListener("click", function () {
    log.textContent = "";
    input.value = "";
    setTyping(false);
    showStatus("");
    sessionId = null;
    sessionToken = null;
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
