// Back office: names and states for controls that SQLAdmin and Select2 draw without them, so
// that screen readers announce what they are for. Templates cannot reach them: Select2 builds
// its widget in the browser, and SQLAdmin's search bar and pagination sit outside any block a
// template can override.
(function () {
  "use strict";

  // Select2 replaces a <select> with its own combobox and search field, both unnamed (the
  // search field is called "Search"): tie them to the field's <label>.
  function labelSelect2(select) {
    var label = select.id && document.querySelector('label[for="' + CSS.escape(select.id) + '"]');
    var container = select.nextElementSibling;
    if (!label || !container || !container.classList.contains("select2")) {
      return;
    }
    label.id = label.id || select.id + "-label";
    container.querySelectorAll(".select2-selection, .select2-search__field").forEach(function (el) {
      el.setAttribute("aria-labelledby", label.id);
    });
  }

  function nameControls() {
    document.querySelectorAll("select.select2-hidden-accessible").forEach(labelSelect2);
    // SQLAdmin greys out "prev"/"next" on the first and last page but leaves them links to "#":
    // say that they are off, and keep them out of the tab order.
    document.querySelectorAll(".page-item.disabled > .page-link").forEach(function (link) {
      link.setAttribute("aria-disabled", "true");
      link.setAttribute("tabindex", "-1");
    });
    // The column of a row's view/edit/delete links has no heading text: name it for readers.
    document.querySelectorAll("table.card-table thead th").forEach(function (cell) {
      if (!cell.textContent.trim() && !cell.querySelector("input")) {
        var name = document.createElement("span");
        name.className = "visually-hidden";
        name.textContent = "Links";
        cell.appendChild(name);
      }
    });
    var reset = document.getElementById("search-reset");
    if (reset && !reset.hasAttribute("aria-label")) {
      reset.setAttribute("aria-label", "Clear search");
      reset.querySelectorAll("i").forEach(function (icon) {
        icon.setAttribute("aria-hidden", "true");
      });
    }
  }

  // Select2's search field is a <textarea> with role="searchbox", a role a textarea may not
  // take; it is labelled above, and a text box already. Select2 redraws it on every change.
  function dropSearchboxRole() {
    document.querySelectorAll("textarea.select2-search__field[role]").forEach(function (area) {
      area.removeAttribute("role");
    });
  }
  new MutationObserver(dropSearchboxRole).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", nameControls);
  } else {
    nameControls();
  }
})();
