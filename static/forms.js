// Back office forms: date inputs that follow their precision, text areas that grow with their
// text, Ctrl/Cmd+S to save, and a warning before leaving a create or edit form with unsaved
// changes. The server checks everything without this script.
(function () {
  "use strict";

  // --- Dates at their precision (cms/admin/dates.py renders the select and the input) ---------

  var SHAPE = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/;

  // The value at another precision: 2024-05-17 -> 2024-05 -> 2024, and back with the first
  // month and day; text of another shape is left for the server to explain.
  function convert(value, precision) {
    var match = SHAPE.exec(value.trim());
    if (!match) {
      return value;
    }
    var year = match[1];
    var month = match[2] || "01";
    var day = match[3] || "01";
    if (precision === "year") {
      return year;
    }
    if (precision === "month") {
      return year + "-" + month;
    }
    return year + "-" + month + "-" + day;
  }

  function inputAttributes(option) {
    try {
      return JSON.parse(option.dataset.input || "{}");
    } catch (error) {
      return {};
    }
  }

  function setUpPartialDate(group) {
    var select = group.querySelector("select[data-partial-date-precision]");
    var input = group.querySelector("input");
    if (!select || !input) {
      return;
    }
    // Every attribute any precision sets, so switching removes the previous one's.
    var managed = {};
    Array.prototype.forEach.call(select.options, function (option) {
      Object.keys(inputAttributes(option)).forEach(function (name) {
        managed[name] = true;
      });
    });
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var attributes = inputAttributes(option);
      // Read before the type changes: browsers drop a value the new type cannot hold.
      var value = convert(input.value, select.value);
      Object.keys(managed).forEach(function (name) {
        if (name !== "type") {
          input.removeAttribute(name);
        }
      });
      Object.keys(attributes).forEach(function (name) {
        if (name === "type") {
          input.type = attributes[name];
        } else {
          input.setAttribute(name, attributes[name]);
        }
      });
      input.value = value;
    });
  }

  document.querySelectorAll("[data-partial-date]").forEach(setUpPartialDate);

  // --- Text areas grow with their text (styled through element.style: the CSP allows it) ------

  function grow(area) {
    area.style.height = "auto";
    area.style.height = area.scrollHeight + 2 + "px";
  }

  document.querySelectorAll("textarea.form-control").forEach(function (area) {
    grow(area);
    area.addEventListener("input", function () {
      grow(area);
    });
  });

  // --- Ctrl/Cmd+S saves the open form and stays on it ------------------------------------------

  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== "s") {
      return;
    }
    var button = document.querySelector("input[type=submit][aria-keyshortcuts]");
    if (!button) {
      return;
    }
    event.preventDefault(); // not the browser's "Save page as"
    if (button.form && typeof button.form.requestSubmit === "function") {
      button.form.requestSubmit(button);
    } else {
      button.click();
    }
  });

  // --- Unsaved changes ------------------------------------------------------------------------

  // SQLAdmin's create and edit forms: the ones with its field set and Save buttons.
  function editForms() {
    return Array.prototype.filter.call(document.querySelectorAll("form"), function (form) {
      return form.querySelector("fieldset.form-fieldset") && form.querySelector("[name=save]");
    });
  }

  function snapshot(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") {
        pairs.push([name, value]);
      }
    });
    return JSON.stringify(pairs);
  }

  var forms = editForms();
  if (!forms.length) {
    return;
  }
  // Taken now, after SQLAdmin's scripts filled the technology picker with its current values.
  var initial = forms.map(snapshot);
  var submitting = false;

  // Bubbling to the window, so a handler that cancels the submission has already run.
  window.addEventListener("submit", function (event) {
    if (!event.defaultPrevented && forms.indexOf(event.target) !== -1) {
      submitting = true;
    }
  });

  window.addEventListener("pageshow", function (event) {
    // Back to a page kept in the browser's cache: the form is being edited again.
    if (event.persisted) {
      submitting = false;
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (submitting) {
      return;
    }
    var changed = forms.some(function (form, index) {
      return snapshot(form) !== initial[index];
    });
    if (changed) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
