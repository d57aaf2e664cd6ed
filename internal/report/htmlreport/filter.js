(function () {
  "use strict";
  // Filters the report's rows by text, status and severity. Without
  // script the form stays hidden and every row shows.
  var form = document.getElementById("filters");
  if (!form) { return; }
  var text = document.getElementById("f-text");
  var status = document.getElementById("f-status");
  var severity = document.getElementById("f-severity");
  var count = document.getElementById("f-count");
  var rows = document.querySelectorAll("tr[data-status]");
  var vaults = document.querySelectorAll("section.vault");
  function apply() {
    var t = text.value.trim().toLowerCase(), s = status.value, v = severity.value, shown = 0;
    rows.forEach(function (r) {
      var hay = (r.textContent + " " + (r.getAttribute("data-vault") || "")).toLowerCase();
      var ok = (!s || r.getAttribute("data-status") === s) &&
        (!v || r.getAttribute("data-severity") === v) &&
        (!t || hay.indexOf(t) >= 0);
      r.hidden = !ok;
      if (ok) { shown++; }
    });
    var active = t !== "" || s !== "" || v !== "";
    vaults.forEach(function (sec) {
      sec.hidden = active && sec.querySelector("tr[data-status]:not([hidden])") === null;
    });
    count.textContent = shown + " of " + rows.length + " rows shown";
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  text.addEventListener("input", apply);
  status.addEventListener("change", apply);
  severity.addEventListener("change", apply);
  form.hidden = false;
  apply();
}());
