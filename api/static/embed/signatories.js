/* signatory-registry: the verified list of signatories, embedded in any page.

   <script src="https://HOST/embed/signatories.js"
           data-declaration="jamstalld-industri" data-county="Norrbotten" async></script>

   The list appears right where the tag stands, in its own element
   (<section class="signreg-embed">), fetched from this script's own origin
   (/api/v1/signatories, which answers other origins: CORS). Optional attributes:
   data-heading (your own heading text), data-heading-level (2 by default).
   Styles: /embed/signatories.css, themed by the CSS custom properties --signreg-font,
   --signreg-size, --signreg-ink, --signreg-muted, --signreg-accent, --signreg-bg and
   --signreg-border (set them on the page, e.g. on :root). Plain script, no framework;
   organisation names are data, so they are set as text, never as HTML. */
(function () {
  "use strict";

  var PAGE_SIZE = 500;
  var MAX_PAGES = 20;
  var MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli",
    "augusti", "september", "oktober", "november", "december"];
  var TEXT = {
    heading: "Organisationer som har undertecknat",
    inCounty: "i",
    loading: "Hämtar listan …",
    count: "Antal organisationer: ",
    none: "Ingen organisation har undertecknat ännu.",
    updated: "Senast uppdaterad ",
    organisation: "Organisation",
    county: "Län",
    declaration: "Förklaring",
    signed: "Undertecknad",
    failed: "Listan kunde inte hämtas just nu. Försök igen senare."
  };
  var SCRIPT_PATH = "/embed/signatories.js";
  var counter = 0;

  function ownScripts() {
    var current = document.currentScript;
    if (current && current.src && !current.hasAttribute("data-signreg-done")) {
      return [current];
    }
    // async scripts in old browsers, or a copy loaded twice: every tag not yet done
    var found = [];
    var tags = document.getElementsByTagName("script");
    for (var i = 0; i < tags.length; i++) {
      var src = tags[i].getAttribute("src") || "";
      if (src.indexOf(SCRIPT_PATH) !== -1 && !tags[i].hasAttribute("data-signreg-done")) {
        found.push(tags[i]);
      }
    }
    return found;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function swedishDate(iso) {
    var parts = String(iso).slice(0, 10).split("-");
    if (parts.length !== 3) { return String(iso); }
    return Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1] + " " + parts[0];
  }

  function timeNode(iso) {
    var node = el("time", null, swedishDate(iso));
    node.setAttribute("datetime", String(iso));
    return node;
  }

  function addStyles(origin) {
    if (document.getElementById("signreg-styles")) { return; }
    var link = document.createElement("link");
    link.id = "signreg-styles";
    link.rel = "stylesheet";
    link.href = origin + "/embed/signatories.css";
    (document.head || document.documentElement).appendChild(link);
  }

  function getJSON(url) {
    return fetch(url, { mode: "cors", credentials: "omit", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function fetchAll(origin, params) {
    var items = [];
    function page(number) {
      var query = new URLSearchParams(params);
      query.set("page", String(number));
      query.set("page_size", String(PAGE_SIZE));
      return getJSON(origin + "/api/v1/signatories?" + query.toString()).then(function (data) {
        items = items.concat(data.items);
        if (items.length < data.total && data.items.length > 0 && number < MAX_PAGES) {
          return page(number + 1);
        }
        return items;
      });
    }
    return page(1);
  }

  function declarationTitles(origin) {
    return getJSON(origin + "/api/v1/declarations").then(function (data) {
      var titles = {};
      data.items.forEach(function (d) { titles[d.slug] = d.title; });
      return titles;
    }, function () { return {}; });
  }

  function table(items, titles, showDeclaration) {
    var wrap = el("div", "signreg-scroll");
    var tableNode = el("table", "signreg-table");
    var head = el("thead");
    var row = el("tr");
    var columns = [TEXT.organisation, TEXT.county];
    if (showDeclaration) { columns.push(TEXT.declaration); }
    columns.push(TEXT.signed);
    columns.forEach(function (name) {
      var th = el("th", null, name);
      th.setAttribute("scope", "col");
      row.appendChild(th);
    });
    head.appendChild(row);
    tableNode.appendChild(head);
    var body = el("tbody");
    items.forEach(function (item) {
      var tr = el("tr");
      tr.appendChild(el("td", "signreg-name", item.organisation));
      tr.appendChild(el("td", "signreg-county", item.county || ""));
      if (showDeclaration) {
        tr.appendChild(el("td", "signreg-declaration", titles[item.declaration] || item.declaration));
      }
      var date = el("td", "signreg-date");
      date.appendChild(timeNode(item.signed_date));
      tr.appendChild(date);
      body.appendChild(tr);
    });
    tableNode.appendChild(body);
    wrap.appendChild(tableNode);
    return wrap;
  }

  function render(root, parts, items, titles) {
    var declaration = parts.params.declaration;
    if (!parts.customHeading) {
      var text = TEXT.heading;
      if (declaration) { text += " " + (titles[declaration] || declaration); }
      if (parts.params.county) { text += " " + TEXT.inCounty + " " + parts.params.county; }
      parts.heading.textContent = text;
    }
    parts.status.textContent = TEXT.count + items.length;
    if (items.length) {
      root.appendChild(table(items, titles, !declaration));
      var newest = items.reduce(function (a, b) { return a.verified_at > b.verified_at ? a : b; });
      var updated = el("p", "signreg-updated", TEXT.updated);
      updated.appendChild(timeNode(newest.verified_at.slice(0, 10)));
      root.appendChild(updated);
    } else {
      root.appendChild(el("p", "signreg-empty", TEXT.none));
    }
    root.removeAttribute("aria-busy");
  }

  function start(script) {
    script.setAttribute("data-signreg-done", "");
    var origin = new URL(script.src, document.baseURI).origin;
    var params = {};
    ["declaration", "county"].forEach(function (name) {
      var value = script.getAttribute("data-" + name);
      if (value) { params[name] = value; }
    });
    counter += 1;
    var root = el("section", "signreg-embed");
    var headingId = "signreg-heading-" + counter;
    var level = Number(script.getAttribute("data-heading-level")) || 2;
    var custom = script.getAttribute("data-heading");
    var heading = el("h" + Math.min(Math.max(level, 1), 6), "signreg-heading", custom || TEXT.heading);
    heading.id = headingId;
    root.setAttribute("aria-labelledby", headingId);
    root.setAttribute("aria-busy", "true");
    var status = el("p", "signreg-count", TEXT.loading);
    status.setAttribute("role", "status");
    root.appendChild(heading);
    root.appendChild(status);
    script.parentNode.insertBefore(root, script.nextSibling);
    addStyles(origin);
    var parts = { params: params, heading: heading, status: status, customHeading: !!custom };
    Promise.all([fetchAll(origin, params), declarationTitles(origin)]).then(function (got) {
      render(root, parts, got[0], got[1]);
    }, function () {
      status.textContent = TEXT.failed;
      status.className = "signreg-error";
      root.removeAttribute("aria-busy");
    });
  }

  ownScripts().forEach(start);
})();
