// Back office: every state change is a POST (the server refuses list actions sent as GET).
// SQLAdmin's pages trigger actions and logout with links; this turns those clicks into form
// POSTs before SQLAdmin's own handlers see them (capture phase on the document). Also: copy
// buttons (a new API token).
(function () {
  "use strict";

  function post(url, fields) {
    var form = document.createElement("form");
    form.method = "POST";
    form.action = url;
    Object.keys(fields || {}).forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function selectedPks() {
    var pks = [];
    document.querySelectorAll("input.select-box:checked").forEach(function (box) {
      var hidden = box.parentElement && box.parentElement.querySelector("input[type=hidden]");
      if (hidden) {
        pks.push(hidden.value);
      }
    });
    return pks.join(",");
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    var link = target && target.closest("a");
    if (!link) {
      return;
    }
    var listAction = link.id && link.id.indexOf("action-custom-") === 0;
    var href = link.getAttribute("href") || "";
    if (listAction && link.dataset.url) {
      post(link.dataset.url, { pks: selectedPks() });
    } else if (href.indexOf("/action/") !== -1) {
      post(href);
    } else if (/\/logout$/.test(href.split("?")[0])) {
      post(href);
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }, true);
})();

(function () {
  "use strict";

  // A button with data-copy="ID" copies that field's value and says so in the status next to it.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.dataset.copy);
      var status = document.getElementById(button.id.replace(/-copy$/, "-copied"));
      if (!field) {
        return;
      }
      function done(message) {
        if (status) {
          status.textContent = message;
        }
      }
      field.select();
      var copy = navigator.clipboard && window.isSecureContext
        ? navigator.clipboard.writeText(field.value)
        : Promise.reject(new Error("no clipboard"));
      copy.then(
        function () {
          done("Copied.");
        },
        function () {
          // Without the clipboard API (plain http), the selected text copies the old way.
          done(document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C (Cmd+C) to copy.");
        }
      );
    });
  });
})();
