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

  // Bulk actions (form#bulk-form, the installed-integrations list): a checkbox that ticks the
  // whole page, a live "3 selected", and the "Apply to all N matching" offer shown only once
  // the whole page is ticked and more rows match than the page shows. Without this script the
  // rows' checkboxes and both submit buttons work as they are.
  var bulk = document.getElementById("bulk-form");
  if (bulk) {
    var rows = Array.prototype.slice.call(document.querySelectorAll('input[form="bulk-form"][name="ids"]'));
    var pageBox = document.querySelector("input[data-bulk-page]");
    var count = bulk.querySelector("[data-bulk-count]");
    var offer = bulk.querySelector("[data-bulk-all]");
    var update = function () {
      var ticked = rows.filter(function (box) { return box.checked; }).length;
      var whole = ticked > 0 && ticked === rows.length;
      pageBox.checked = whole;
      pageBox.indeterminate = ticked > 0 && !whole;
      count.textContent = whole ? "All " + ticked + " on this page selected." : ticked + " selected";
      offer.hidden = !(whole && offer.getAttribute("data-more-pages") === "1");
    };
    pageBox.hidden = false;
    count.hidden = false;
    pageBox.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = pageBox.checked; });
      update();
    });
    rows.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }
});
