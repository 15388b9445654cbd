// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // Move focus to the error summary so keyboard and screen-reader users hear what went wrong.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // The top bar's menus (details.app-menu) and the filter dropdowns (details.filter-dropdown)
  // are <details> disclosures: they work without JavaScript. Here they also close as dropdowns
  // do: on a click outside, on Escape (focus back on the summary), and when another one opens.
  var popups = Array.prototype.slice.call(
    document.querySelectorAll("details.app-menu, details.filter-dropdown"));
  function closeAll(except) {
    popups.forEach(function (popup) { if (popup !== except) { popup.open = false; } });
  }
  popups.forEach(function (popup) {
    popup.addEventListener("toggle", function () { if (popup.open) { closeAll(popup); } });
  });
  document.addEventListener("click", function (event) {
    closeAll(popups.filter(function (popup) { return popup.contains(event.target); })[0]);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    popups.forEach(function (popup) {
      if (popup.open) { popup.open = false; popup.querySelector("summary").focus(); }
    });
  });
});
