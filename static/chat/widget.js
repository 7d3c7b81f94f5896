/*
 * Jorge's web chat: one script tag, no framework (docs/web-chat.md).
 *
 *   <script src="https://APP/static/chat/widget.js" data-endpoint="https://APP/api/v1/chat/" defer></script>
 *
 * Optional data attributes: data-title, data-greeting, data-open="true" (open on load),
 * data-max-chars, data-try-pass (the demo page gives staff one: their chats are tests).
 * The visitor's token is kept in localStorage; answers are polled every two seconds
 * while the chat is open.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__jorgeChat) return;
  window.__jorgeChat = true;

  var endpoint = script.getAttribute("data-endpoint") || new URL("/api/v1/chat/", script.src).href;
  if (endpoint.charAt(endpoint.length - 1) !== "/") endpoint += "/";
  var title = script.getAttribute("data-title") || "Chat with Jorge's team";
  var greeting =
    script.getAttribute("data-greeting") ||
    "Hi! I'm Jorge's assistant. Are you looking to buy or to sell a home?";
  var tryPass = script.getAttribute("data-try-pass") || "";
  var maxChars = parseInt(script.getAttribute("data-max-chars") || "1000", 10);
  var storageKey = "jorge-chat:" + endpoint + (tryPass ? ":test" : "");
  var POLL_MS = 2000;

  var token = load();
  var lastId = 0;
  var shown = {};
  var pollTimer = null;
  var sending = false;
  var blockedUntil = 0;

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("widget.css", script.src).href;
  document.head.appendChild(css);

  // --- The elements ----------------------------------------------------------------------
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  var root = el("div", { class: "jc-root" });
  var launcher = el(
    "button",
    { type: "button", class: "jc-launcher", "aria-expanded": "false", "aria-controls": "jc-panel" },
    "Chat with us"
  );
  var panel = el("section", { id: "jc-panel", class: "jc-panel", "aria-labelledby": "jc-title" });
  panel.hidden = true;
  var header = el("header", { class: "jc-header" });
  var heading = el("h2", { id: "jc-title", class: "jc-title" }, title);
  var close = el("button", { type: "button", class: "jc-close", "aria-label": "Close chat" }, "×");
  header.appendChild(heading);
  header.appendChild(close);
  var log = el("div", {
    class: "jc-log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  var status = el("p", { class: "jc-status", role: "alert" });
  var form = el("form", { class: "jc-form" });
  var label = el("label", { for: "jc-input", class: "jc-label" }, "Your message");
  var input = el("textarea", {
    id: "jc-input",
    class: "jc-input",
    rows: "2",
    maxlength: String(maxChars),
    autocomplete: "off",
    placeholder: "Type a message…",
  });
  var send = el("button", { type: "submit", class: "jc-send" }, "Send");
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(send);
  if (tryPass) {
    panel.appendChild(header);
    panel.appendChild(el("p", { class: "jc-test" }, "Test mode: this chat is not a real lead."));
  } else {
    panel.appendChild(header);
  }
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);
  document.body.appendChild(root);

  // --- Showing messages --------------------------------------------------------------------
  var WHO = { visitor: "You", assistant: "Jorge's assistant", agent: "Jorge's team" };

  function bubble(role, text, id) {
    var item = el("div", { class: "jc-msg jc-" + role });
    if (id) item.setAttribute("data-id", String(id));
    item.appendChild(el("span", { class: "jc-who" }, WHO[role] || role));
    item.appendChild(el("p", { class: "jc-text" }, text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function show(messages) {
    (messages || []).forEach(function (m) {
      if (shown[m.id]) return;
      shown[m.id] = true;
      lastId = Math.max(lastId, m.id);
      bubble(m.role, m.text, m.id);
    });
  }

  function say(text) {
    status.textContent = text || "";
  }

  // --- Talking to the server ------------------------------------------------------------
  function load() {
    try {
      return window.localStorage.getItem(storageKey) || "";
    } catch (e) {
      return "";
    }
  }

  function keep(value) {
    token = value || "";
    try {
      if (token) window.localStorage.setItem(storageKey, token);
      else window.localStorage.removeItem(storageKey);
    } catch (e) {
      /* private browsing: the chat lasts as long as the page */
    }
  }

  function errorText(response, body) {
    if (body && body.error && body.error.message) return body.error.message;
    if (response.status === 429) return "You're sending messages too quickly. Please wait a moment.";
    return "Something went wrong. Please try again.";
  }

  function request(method, url, payload) {
    var options = { method: method, headers: { Accept: "application/json" }, credentials: "omit" };
    if (payload) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).then(function (response) {
      return response
        .json()
        .catch(function () {
          return null;
        })
        .then(function (body) {
          return { response: response, body: body };
        });
    });
  }

  function poll() {
    if (!token) return;
    request("GET", endpoint + encodeURIComponent(token) + "/messages?after=" + lastId)
      .then(function (r) {
        if (r.response.ok) show(r.body.messages);
        else if (r.response.status === 404) keep("");
      })
      .catch(function () {
        /* offline for a moment: the next poll tries again */
      });
  }

  function startPolling() {
    stopPolling();
    pollTimer = window.setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function submit(event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || sending) return;
    var wait = Math.ceil((blockedUntil - Date.now()) / 1000);
    if (wait > 0) {
      say("You're sending messages too quickly. Please wait " + wait + " seconds and try again.");
      return;
    }
    sending = true;
    send.disabled = true;
    say("");
    var payload = { text: text };
    if (token) payload.token = token;
    else if (tryPass) payload.try_pass = tryPass;
    request("POST", endpoint, payload)
      .then(function (r) {
        if (r.response.ok) {
          keep(r.body.token);
          show([r.body.message].concat(r.body.messages || []));
          input.value = "";
          startPolling();
          return;
        }
        if (r.response.status === 404) keep("");
        if (r.response.status === 429) {
          var seconds = parseInt(r.response.headers.get("Retry-After") || "0", 10);
          blockedUntil = Date.now() + seconds * 1000;
        }
        say(errorText(r.response, r.body));
      })
      .catch(function () {
        say("We couldn't reach the chat. Check your connection and try again.");
      })
      .then(function () {
        sending = false;
        send.disabled = false;
        input.focus();
      });
  }

  // --- Opening and closing ------------------------------------------------------------
  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("jc-open");
    input.focus();
    if (token) poll();
    startPolling();
  }

  function hide() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("jc-open");
    stopPolling();
    launcher.focus();
  }

  bubble("assistant", greeting);
  launcher.addEventListener("click", function () {
    if (panel.hidden) open();
    else hide();
  });
  close.addEventListener("click", hide);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) submit(event);
  });
  form.addEventListener("submit", submit);
  if (script.getAttribute("data-open") === "true") open();
})();
