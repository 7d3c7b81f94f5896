/* Jorge's dashboard in the browser: sections loaded by htmx, their skeletons and error cards,
   Plotly charts, numbers that animate when they change, and the live WebSocket.

   A section is  <section data-section hx-get="…" hx-trigger="load, refresh">skeleton</section>.
   data-refresh-on="lead. message.inbound" re-renders it when a live event whose kind starts
   with one of those arrives ("*" = any); after a reconnect or a gap in the events' sequence numbers
   every section is re-rendered, so nothing missed stays missed. Other scripts can listen to
   document events "dashboard:event" (detail = the event) and "dashboard:resync". */
(function () {
  "use strict";

  // --- Sections: errors and retry ----------------------------------------------------------
  function sectionOf(el) { return el && el.closest ? el.closest("[data-section]") : null; }

  function errorMessage(status) {
    if (!status) return "The server could not be reached. Check the connection, then retry.";
    if (status === 401 || status === 403) return "Your session has ended: reload the page to log in again.";
    return "The server had a problem (HTTP " + status + "). The rest of the page still works.";
  }

  function showError(section, status) {
    section.removeAttribute("aria-busy");
    section.dataset.failed = "true";
    const card = document.createElement("div");
    card.className = "error-card";
    card.setAttribute("role", "alert");
    const p = document.createElement("p");
    const strong = document.createElement("strong");
    strong.textContent = "This section could not be loaded. ";
    p.append(strong, errorMessage(status));
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.dataset.retry = "";
    retry.textContent = "Retry";
    card.append(p, retry);
    section.replaceChildren(card);
  }

  function refresh(section) {
    if (window.htmx) window.htmx.trigger(section, "refresh");
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-retry]");
    if (!button) return;
    const section = sectionOf(button);
    if (section) {
      button.disabled = true;
      button.textContent = "Retrying…";
      refresh(section);
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    const section = sectionOf(event.detail.elt);
    if (section) section.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:responseError", function (event) {
    const section = sectionOf(event.detail.elt);
    if (section) showError(section, event.detail.xhr.status);
  });
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      const section = sectionOf(event.detail.elt);
      if (section) showError(section, 0);
    });
  });

  // --- Numbers that change: compare with what was last drawn, animate the ones that moved ---
  const formats = {
    int: function (v) { return Math.round(v).toLocaleString("en-US"); },
    // As the money_short filter: whole dollars below a million, "$21.37M" from there.
    money: function (v) {
      if (Math.abs(v) >= 1e6) return "$" + (v / 1e6).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + "M";
      return "$" + Math.round(v).toLocaleString("en-US");
    },
    percent: function (v) { return v.toFixed(1) + "%"; },
  };
  // What each number said when last drawn: a re-render that changes it flashes and counts.
  const shown = {};

  function tween(el, from, to, format) {
    if (window.matchMedia("(prefers-reduced-motion: reduce)").matches) return;
    const final = el.textContent;
    const start = performance.now();
    const duration = 700;
    function frame(now) {
      const t = Math.min(1, (now - start) / duration);
      const eased = 1 - Math.pow(1 - t, 3);
      el.textContent = t < 1 ? format(from + (to - from) * eased) : final;
      if (t < 1) requestAnimationFrame(frame);
    }
    requestAnimationFrame(frame);
  }

  // When a tile last changed: a re-render soon after (events come in bursts) keeps the mark.
  const changedAt = {};
  const FLASH_MS = 2500;

  function flash(tile) {
    tile.classList.remove("changed");
    void tile.offsetWidth; // restart the animation when it changes twice in a row
    tile.classList.add("changed");
    setTimeout(function () { tile.classList.remove("changed"); }, FLASH_MS);
  }

  function markChanges(root) {
    root.querySelectorAll("[data-kpi]").forEach(function (el) {
      const key = el.dataset.kpi;
      const tile = el.closest(".kpi") || el;
      const old = shown[key];
      const text = el.textContent.trim();
      shown[key] = { text: text, value: parseFloat(el.dataset.value) };
      if (!old || old.text === text) {
        const left = FLASH_MS - (Date.now() - (changedAt[key] || 0));
        if (left > 0) {
          tile.classList.add("changed");
          setTimeout(function () { tile.classList.remove("changed"); }, left);
        }
        return;
      }
      changedAt[key] = Date.now();
      flash(tile);
      const to = parseFloat(el.dataset.value);
      const format = formats[el.dataset.format];
      if (format && isFinite(old.value) && isFinite(to)) tween(el, old.value, to, format);
    });
    markFeed(root);
  }

  // Rows (feed items, tickets) carry data-feed-key: one not on the page before is new, and
  // flashes, except in a section's first render (everything would be "new" then).
  const seenRows = new Set();
  const freshAt = {};

  function markFeed(root) {
    const sections = root.matches && root.matches("[data-section]") ? [root] : Array.from(root.querySelectorAll("[data-section]"));
    sections.forEach(function (section) {
      if (section.querySelector(".skeleton")) return; // still waiting for its first render
      const first = section.dataset.rendered !== "true";
      section.querySelectorAll("[data-feed-key]").forEach(function (el) {
        const key = el.dataset.feedKey;
        if (!first && !seenRows.has(key)) freshAt[key] = Date.now();
        seenRows.add(key);
        const left = FLASH_MS - (Date.now() - (freshAt[key] || 0));
        if (left > 0) {
          el.classList.add("fresh");
          setTimeout(function () { el.classList.remove("fresh"); }, left);
        }
      });
      section.dataset.rendered = "true";
    });
  }

  // --- Charts: <div class="chart" data-figure="id-of-a-json_script"> ---------------------
  function drawCharts(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      const source = document.getElementById(el.dataset.figure);
      if (!source) return;
      const figure = JSON.parse(source.textContent);
      const config = Object.assign({ displayModeBar: false, responsive: true }, figure.config || {});
      window.Plotly.react(el, figure.data, figure.layout || {}, config);
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    // The element that settled: after an outerHTML swap detail.target is the old, detached one.
    const target = event.target;
    const section = sectionOf(target) || target;
    if (section) {
      section.removeAttribute("aria-busy");
      delete section.dataset.failed;
    }
    markChanges(target);
    drawCharts(target);
  });
  window.addEventListener("load", function () { drawCharts(document); markChanges(document); });

  // --- Live: /ws/dashboard/ ------------------------------------------------------------------
  const body = document.body;
  const status = document.getElementById("live-status");
  let lastSeq = body.dataset.seq ? parseInt(body.dataset.seq, 10) : null;
  let socket = null;
  let attempts = 0;
  let everOpen = false;
  let stopped = false;
  const pending = new Set();
  let pendingTimer = null;

  function setStatus(state, text) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  }

  function matches(section, kind) {
    const on = (section.dataset.refreshOn || "").split(/\s+/).filter(Boolean);
    return on.some(function (p) { return p === "*" || kind.startsWith(p); });
  }

  // Several events in a burst re-render each section once.
  function schedule(sections) {
    sections.forEach(function (s) { pending.add(s); });
    if (pendingTimer) return;
    pendingTimer = setTimeout(function () {
      pendingTimer = null;
      const now = Array.from(pending);
      pending.clear();
      now.forEach(refresh);
    }, 250);
  }

  function resync(reason) {
    document.dispatchEvent(new CustomEvent("dashboard:resync", { detail: { reason: reason } }));
    schedule(Array.from(document.querySelectorAll("[data-section]")));
  }

  function handle(event) {
    if (event.kind === "hello") {
      // The server's latest sequence number: anything after ours was missed while away.
      if (lastSeq === null || event.seq !== lastSeq) resync("reconnected");
      lastSeq = event.seq;
      return;
    }
    const gap = lastSeq !== null && typeof event.seq === "number" && event.seq !== lastSeq + 1;
    if (typeof event.seq === "number") lastSeq = event.seq;
    body.dataset.seq = String(lastSeq);
    document.dispatchEvent(new CustomEvent("dashboard:event", { detail: event }));
    if (gap) {
      resync("gap");
      return;
    }
    schedule(Array.from(document.querySelectorAll("[data-section]")).filter(function (s) { return matches(s, event.kind); }));
  }

  function retry() {
    attempts += 1;
    // 1 s, 2 s, 4 s … at most 15 s, with jitter so many tabs do not reconnect together.
    const delay = Math.min(15000, 1000 * Math.pow(2, attempts - 1)) * (0.75 + Math.random() * 0.5);
    setStatus("reconnecting", everOpen ? "Reconnecting…" : "Connecting…");
    setTimeout(connect, delay);
  }

  function connect() {
    if (stopped || !body.dataset.liveUrl || !("WebSocket" in window)) return;
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + body.dataset.liveUrl;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      socket = null;
      retry();
      return;
    }
    socket.onopen = function () {
      attempts = 0;
      everOpen = true;
      setStatus("live", "Live");
    };
    socket.onmessage = function (message) {
      try { handle(JSON.parse(message.data)); } catch (error) { console.error("dashboard event", error); }
    };
    socket.onclose = function (close) {
      socket = null;
      if (close.code === 4401 || close.code === 4403) {
        stopped = true;
        setStatus("offline", close.code === 4401 ? "Offline: log in again" : "Offline");
        return;
      }
      retry();
    };
  }

  window.Dashboard = {
    refresh: refresh,
    resync: resync,
    // For tests and the curious: the live socket (null while reconnecting).
    socket: function () { return socket; },
    lastSeq: function () { return lastSeq; },
  };
  document.addEventListener("DOMContentLoaded", connect);
})();
