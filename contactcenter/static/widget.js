/* contactcenter web chat widget: one script tag, no dependencies, no build step.
 *
 *   <script src="https://cc.example.com/chat/widget.js" data-account="<account id>"
 *           data-title="Chat with us" data-user-id="…" data-user-hash="…" async></script>
 *
 * data-user-id / data-user-hash (optional): a signed-in user of your site, hash = hex
 * HMAC-SHA256(the account's hmac_secret, user id), computed on your server. data-user-email
 * (optional, with them): the address your site verified; then the hash is over
 * user id + "\n" + address, and the chat merges with the person's e-mail. The visitor's token
 * is kept in localStorage, so the conversation survives page loads. Replies arrive live over
 * Server-Sent Events. Visitors may attach files (the paperclip); agents' files come as links.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.account) {
    console.error("contactcenter widget: data-account is missing on the script tag");
    return;
  }
  var base = script.dataset.base || new URL(script.src).origin;
  var account = script.dataset.account;
  var api = base + "/chat/" + account;
  // a token per user and verified address: a changed address starts a token that vouches for it
  var storageKey = "cc-chat:" + account + ":" + (script.dataset.userId || "anonymous") +
    (script.dataset.userEmail ? ":" + script.dataset.userEmail : "");
  var title = script.dataset.title || "Chat with us";
  var token = null;
  var seen = {};

  var style = document.createElement("style");
  style.textContent =
    ".cc-chat{position:fixed;right:1rem;bottom:1rem;font:15px/1.4 system-ui,sans-serif;z-index:2147483000}" +
    ".cc-chat button{font:inherit;cursor:pointer}" +
    ".cc-chat__open{background:#1d4ed8;color:#fff;border:0;border-radius:999px;padding:.7rem 1.1rem}" +
    ".cc-chat__panel{width:min(22rem,calc(100vw - 2rem));height:28rem;max-height:calc(100vh - 6rem);" +
    "background:#fff;color:#111;border:1px solid #cbd5e1;border-radius:.75rem;display:flex;" +
    "flex-direction:column;box-shadow:0 8px 24px rgba(0,0,0,.15)}" +
    ".cc-chat__panel[hidden]{display:none}" +
    ".cc-chat__head{display:flex;justify-content:space-between;align-items:center;padding:.6rem .8rem;" +
    "border-bottom:1px solid #e2e8f0;font-weight:600}" +
    ".cc-chat__log{flex:1;overflow-y:auto;padding:.6rem .8rem;list-style:none;margin:0}" +
    ".cc-chat__msg{margin:.3rem 0;padding:.4rem .6rem;border-radius:.6rem;max-width:85%;white-space:pre-wrap}" +
    ".cc-chat__msg--you{background:#dbeafe;margin-left:auto}" +
    ".cc-chat__msg--agent{background:#f1f5f9}" +
    ".cc-chat__file{display:block;margin-top:.2rem;color:#1d4ed8;word-break:break-all}" +
    ".cc-chat__form{display:flex;gap:.4rem;padding:.6rem;border-top:1px solid #e2e8f0}" +
    ".cc-chat__form input{flex:1;min-width:0;font:inherit;padding:.4rem;border:1px solid #94a3b8;border-radius:.4rem}" +
    ".cc-chat__form .cc-chat__attach{background:#e2e8f0;color:#111}" +
    ".cc-chat__chosen{font-size:.8rem;color:#475569;padding:0 .8rem;word-break:break-all}" +
    ".cc-chat__form button{background:#1d4ed8;color:#fff;border:0;border-radius:.4rem;padding:.4rem .8rem}" +
    ".cc-chat :focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    ".cc-chat__status{font-size:.8rem;color:#475569;padding:0 .8rem}";
  document.head.appendChild(style);

  var root = document.createElement("div");
  root.className = "cc-chat";
  root.innerHTML =
    '<button type="button" class="cc-chat__open" aria-expanded="false" aria-controls="cc-chat-panel"></button>' +
    '<section class="cc-chat__panel" id="cc-chat-panel" role="dialog" aria-label="" hidden>' +
    '<div class="cc-chat__head"><span class="cc-chat__title"></span>' +
    '<button type="button" class="cc-chat__close" aria-label="Close chat">×</button></div>' +
    '<ol class="cc-chat__log" aria-live="polite"></ol>' +
    '<p class="cc-chat__status" role="status"></p>' +
    '<p class="cc-chat__chosen" aria-live="polite"></p>' +
    '<form class="cc-chat__form"><label class="cc-chat__label" for="cc-chat-input" hidden>Your message</label>' +
    '<input id="cc-chat-input" name="text" autocomplete="off" maxlength="4096" placeholder="Type a message…">' +
    '<input id="cc-chat-files" type="file" multiple hidden>' +
    '<button type="button" class="cc-chat__attach" aria-label="Attach files">\uD83D\uDCCE</button>' +
    '<button type="submit">Send</button></form></section>';
  document.body.appendChild(root);
  var openButton = root.querySelector(".cc-chat__open");
  var panel = root.querySelector(".cc-chat__panel");
  var log = root.querySelector(".cc-chat__log");
  var status = root.querySelector(".cc-chat__status");
  var form = root.querySelector(".cc-chat__form");
  var input = root.querySelector("#cc-chat-input");
  var picker = root.querySelector("#cc-chat-files");
  var chosen = root.querySelector(".cc-chat__chosen");
  root.querySelector(".cc-chat__attach").addEventListener("click", function () { picker.click(); });
  picker.addEventListener("change", function () {
    chosen.textContent = Array.prototype.map.call(picker.files, function (f) { return "\uD83D\uDCCE " + f.name; }).join("  ");
  });
  openButton.textContent = title;
  panel.setAttribute("aria-label", title);
  root.querySelector(".cc-chat__title").textContent = title;

  // Each message once (the visitor's own by the id the widget gave it), in time order: one
  // read again after a reconnect may be older than a reply that came live meanwhile.
  function show(message) {
    var keys = [message.id, message.client_id && "you:" + message.client_id].filter(Boolean);
    if (keys.some(function (k) { return seen[k]; })) return;
    keys.forEach(function (k) { seen[k] = true; });
    var item = document.createElement("li");
    // server time; the visitor's own message goes last until the server says when it was
    // (the browser's clock may be off)
    var last = log.lastElementChild ? Number(log.lastElementChild.dataset.at) : Date.now();
    item.dataset.at = String(Date.parse(message.sent_at || "") || last);
    item.className = "cc-chat__msg cc-chat__msg--" + (message.from === "agent" ? "agent" : "you");
    item.textContent = message.text || "";
    (message.files || []).forEach(function (file) {
      var a = document.createElement(file.url ? "a" : "span");  // the visitor's own: no link
      a.className = "cc-chat__file";
      if (file.url) {
        a.href = file.url;
        a.target = "_blank";
        a.rel = "noopener";
      }
      a.textContent = "\uD83D\uDCCE " + (file.name || "file");
      item.appendChild(a);
    });
    place(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function place(item) {  // before the first item shown that is later
    var at = Number(item.dataset.at), next = null;
    for (var i = log.children.length - 1; i >= 0; i--) {
      var other = log.children[i];
      if (other === item) continue;
      if (Number(other.dataset.at) > at) next = other; else break;
    }
    log.insertBefore(item, next);
  }

  function call(method, path, body) {
    var form = typeof FormData !== "undefined" && body instanceof FormData;  // files: multipart
    var headers = form ? {} : {"Content-Type": "application/json"};
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(api + path, {method: method, headers: headers,
                              body: body ? (form ? body : JSON.stringify(body)) : undefined})
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
          return data;
        });
      });
  }

  function start() {
    token = localStorage.getItem(storageKey);
    if (token) return Promise.resolve(token);
    var body = {name: script.dataset.name || "", language: navigator.language};
    if (script.dataset.userId) {
      body.user_id = script.dataset.userId;
      body.user_hash = script.dataset.userHash;
      if (script.dataset.userEmail) body.email = script.dataset.userEmail;  // signed with the id
    }
    return call("POST", "/conversations", body).then(function (data) {
      token = data.token;
      localStorage.setItem(storageKey, token);
      return token;
    });
  }

  var events = null;
  function listen() {
    if (events && events.readyState !== 2) return;  // one stream (2: closed, e.g. a new token)
    events = new EventSource(api + "/events?token=" + encodeURIComponent(token));
    events.addEventListener("message", function (event) { show(JSON.parse(event.data)); });
    // Open means subscribed: what was sent before (or while a dropped stream reconnected) is
    // read once more; show() skips what is on screen already.
    events.addEventListener("open", function () {
      call("GET", "/messages").then(function (page) { page.items.forEach(show); }, function () {});
    });
  }

  var started = null;
  function ready() {
    if (!started) {
      started = start().then(function () {
        listen();  // before the history: a reply sent meanwhile is not missed (ids dedupe)
        return call("GET", "/messages").catch(function (error) {
          if (/Unknown visitor token/.test(error.message)) {  // expired: start over
            localStorage.removeItem(storageKey);
            token = null;
            return start().then(function () { return {items: []}; });
          }
          throw error;
        });
      }).then(function (history) {
        history.items.forEach(show);
        listen();
        return token;
      }).catch(function (error) {
        started = null;
        status.textContent = "Chat unavailable: " + error.message;
        throw error;
      });
    }
    return started;
  }

  function toggle(open) {
    panel.hidden = !open;
    openButton.setAttribute("aria-expanded", String(open));
    if (open) {
      ready();
      input.focus();
    } else {
      openButton.focus();
    }
  }

  openButton.addEventListener("click", function () { toggle(panel.hidden); });
  root.querySelector(".cc-chat__close").addEventListener("click", function () { toggle(false); });
  root.addEventListener("keydown", function (event) { if (event.key === "Escape") toggle(false); });
  // A message that did not go out is sent again as it was, with the same id: if it did arrive
  // after all, the server stores it once.
  var pending = null;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    var files = Array.prototype.slice.call(picker.files);
    var again = pending && pending.text === text && !files.length;
    if (!again && !text && !files.length) return;
    var message = again ? pending : {text: text, files: files,
      id: Date.now().toString(36) + Math.random().toString(36).slice(2, 8)};
    var body = {text: message.text, id: message.id};
    if (message.files.length) {
      body = new FormData();
      if (message.text) body.append("text", message.text);
      body.append("id", message.id);
      message.files.forEach(function (f) { body.append("file", f, f.name); });
    }
    pending = null;
    input.value = "";
    picker.value = "";
    chosen.textContent = "";
    status.textContent = "";
    ready().then(function () {
      var item = show({id: "you:" + message.id, from: "you", text: message.text,
                       files: message.files.map(function (f) { return {name: f.name}; })});
      return call("POST", "/messages", body).then(function (stored) {
        if (item && stored.sent_at) {  // now in server time, among the others
          item.dataset.at = String(Date.parse(stored.sent_at));
          place(item);
        }
      });
    }).catch(function (error) {
      pending = message;
      status.textContent = "Not sent: " + error.message + (message.files.length ? " (Send tries again with the files)" : "");
      input.value = message.text;
    });
  });
})();
