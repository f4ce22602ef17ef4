// Back office: the dark theme when the system asks for it (prefers-color-scheme), following a
// change while the page is open. Tabler draws dark under data-bs-theme="dark" on <html>.
(function () {
  "use strict";

  var query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function apply() {
    document.documentElement.setAttribute("data-bs-theme", query && query.matches ? "dark" : "light");
  }

  apply();
  if (query && query.addEventListener) {
    query.addEventListener("change", apply);
  }
})();
