// Progressive enhancement only: every page works without this file.
// Tables marked "sortable" sort by a click on a column header (numbers as numbers, dates by
// the instant their <time> element carries).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 2) return;
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.setAttribute("data-sort", "");
      th.tabIndex = 0;
      var sort = function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (r) {
          var cell = r.cells[col];
          // A date sorts by its instant (its <time> element), not by how it is written.
          var time = cell && cell.querySelector("time[datetime]");
          if (time) return time.getAttribute("datetime");
          var text = (cell ? cell.textContent : "").trim();
          var n = parseFloat(text.replace(/[,%+]/g, ""));
          return isNaN(n) || !/^[-+]?[\d,.]+%?$/.test(text) ? text : n;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });
});
