// Keys for the review pages (plain JS; every action also works as a plain form or link).
//   a approve · r reject (the reason field; Enter sends) · j/k next/previous · e first
//   unsure value · ? the list of keys · Esc leaves a field
// Keys are ignored while typing in a field, except Esc.
(function () {
  "use strict";
  var typing = function (el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  };
  var byId = function (id) { return document.getElementById(id); };
  var go = function (id) {
    var link = byId(id);
    if (link && link.href) window.location.assign(link.href);
  };
  var keys = byId("keys");

  // the queue: j/k move between rows, Enter opens (the link has the focus)
  var rowLinks = function () { return Array.prototype.slice.call(document.querySelectorAll("table.queue a.open")); };
  var moveRow = function (step) {
    var links = rowLinks();
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
    links[next].focus();
  };
  var onQueue = !!document.querySelector("table.queue");

  var actions = {
    "a": function () { var b = byId("approve"); if (b) b.click(); },
    "r": function () { var f = byId("reject-reason"); if (f) { f.focus(); f.select(); } },
    "j": function () { if (onQueue) moveRow(1); else go("next-proposal"); },
    "k": function () { if (onQueue) moveRow(-1); else go("previous-proposal"); },
    "e": function () {
      var form = byId("approve-form");
      var id = form && form.getAttribute("data-first-unsure");
      var field = id ? byId(id) : null;
      if (field) { field.focus(); field.select(); }
    },
    "?": function () { if (keys && !keys.open) keys.showModal(); }
  };

  document.addEventListener("keydown", function (ev) {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (typing(ev.target)) {
      if (ev.key === "Escape") { ev.target.blur(); ev.preventDefault(); }
      return;
    }
    if (keys && keys.open) return; // the dialog handles Esc itself
    var act = actions[ev.key];
    if (act) { ev.preventDefault(); act(); }
  });

  // a double press of a (or a slow page) must not send the same decision twice
  Array.prototype.forEach.call(document.querySelectorAll("form[method=post]"), function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.sent) { ev.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
})();
