// The join-online form (api/templates/join/page.html): the organisation number is
// Luhn-checked as it is typed, and known organisations are suggested as the name is
// typed (GET /api/v1/organisations/suggest?q=). The server checks everything again.
(function () {
  "use strict";
  var form = document.getElementById("join");
  if (!form) return;
  var number = document.getElementById("f-organisation_number");
  var name = document.getElementById("f-organisation");
  var county = document.getElementById("f-county");
  var list = document.getElementById("org-suggestions");
  var numberError = document.getElementById("e-organisation_number");
  var found = {};

  function luhnOk(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = digits.charCodeAt(i) - 48;
      if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function checkNumber(final) {
    var digits = number.value.replace(/\D/g, "");
    if (digits.length === 12 && /^(16|19|20)/.test(digits)) digits = digits.slice(2);
    var message = "";
    if (digits.length === 10) {
      if (!luhnOk(digits)) message = form.dataset.luhn;
    } else if (final && number.value.trim() !== "") {
      message = form.dataset.shape;
    }
    number.setCustomValidity(message);
    numberError.textContent = message;
    numberError.hidden = message === "";
    if (message) number.setAttribute("aria-invalid", "true");
    else number.removeAttribute("aria-invalid");
  }

  number.addEventListener("input", function () { checkNumber(false); });
  number.addEventListener("blur", function () { checkNumber(true); });

  var timer = null;
  name.addEventListener("input", function () {
    var known = found[name.value];
    if (known) {
      if (known.organisation_number && !number.value) { number.value = known.organisation_number; checkNumber(true); }
      if (known.county && county && !county.value) county.value = known.county;
      return;
    }
    clearTimeout(timer);
    var q = name.value.trim();
    if (q.length < 2) return;
    timer = setTimeout(function () {
      fetch(form.dataset.suggest + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (body) {
          list.textContent = "";
          found = {};
          body.items.forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.name;
            if (item.organisation_number) option.label = item.name + " (" + item.organisation_number + ")";
            list.appendChild(option);
            found[item.name] = item;
          });
        })
        .catch(function () {});
    }, 200);
  });
})();
