// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary so keyboard and screen-reader users hear what went wrong.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // Filter dropdowns (<details class="filter-dropdown">) close like menus: on a click (or
  // Enter on another summary) outside them, and on Escape, which puts focus back on the
  // summary. Without this file they stay open until their summary is clicked again.
  var dropdowns = Array.prototype.slice.call(document.querySelectorAll("details.filter-dropdown"));
  document.addEventListener("click", function (event) {
    dropdowns.forEach(function (dropdown) {
      if (dropdown.open && !dropdown.contains(event.target)) { dropdown.open = false; }
    });
  });
  dropdowns.forEach(function (dropdown) {
    dropdown.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && dropdown.open) {
        dropdown.open = false;
        dropdown.querySelector("summary").focus();
      }
    });
  });
});
