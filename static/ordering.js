// Back office: drag the rows of a list into the public order of the CV (EntryView.reorder).
// Native HTML5 drag and drop from a handle in each row; the handle is focusable, and the up and
// down arrow keys on it move its row too. Each change POSTs the ids of the rows shown, in their
// new order; the server keeps rows that are not shown (other pages, a search) in their places.
// Changes made while a save is under way are sent after it, newest order only. A saved order
// shows the rows' new numbers in the Order column; a refused or failed save puts the rows back
// in the last order the server accepted and says why.
(function () {
  "use strict";

  var box = document.querySelector("[data-reorder-url]");
  var body = document.querySelector(".table-responsive table tbody");
  if (!box || !body || box.hasAttribute("data-reorder-off")) {
    return;
  }
  var hasPks = Array.prototype.every.call(body.rows, function (row) {
    return row.cells[0] && row.cells[0].querySelector("input[type=hidden]");
  });
  if (!hasPks) {
    return;
  }
  var url = box.getAttribute("data-reorder-url");
  var status = box.querySelector("[role=status]");
  var alert = box.querySelector("[role=alert]");
  var saved = [];
  var pending = null;
  var sending = false;
  var drag = null;

  function rows() {
    return Array.prototype.slice.call(body.rows);
  }

  function pkOf(row) {
    var hidden = row.cells[0] && row.cells[0].querySelector("input[type=hidden]");
    return hidden ? hidden.value : null;
  }

  function order() {
    return rows().map(pkOf);
  }

  function same(a, b) {
    return a.length === b.length && a.every(function (pk, n) { return pk === b[n]; });
  }

  function say(message, isError) {
    status.textContent = isError ? "" : message;
    alert.textContent = isError ? message : "";
  }

  // The Order column: the one whose heading sorts by sort_order.
  var numberColumn = Array.prototype.slice.call(
    document.querySelectorAll(".table-responsive table thead th")
  ).findIndex(function (th) { return th.querySelector('a[href*="sortBy=sort_order"]'); });

  function showNumbers(numbers) {
    rows().forEach(function (row) {
      var pk = pkOf(row);
      if (numberColumn >= 0 && row.cells[numberColumn] &&
          Object.prototype.hasOwnProperty.call(numbers, pk)) {
        row.cells[numberColumn].textContent = String(numbers[pk]);
      }
    });
  }

  function putBack(pks) {
    var byPk = {};
    rows().forEach(function (row) { byPk[pkOf(row)] = row; });
    pks.forEach(function (pk) { body.appendChild(byPk[pk]); });
  }

  function failure(message) {
    var error = new Error(message);
    error.forOwner = true;
    return error;
  }

  function send() {
    if (sending || !pending) {
      return;
    }
    var pks = pending;
    pending = null;
    sending = true;
    say("Saving the order…", false);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ ids: pks.map(Number) })
    }).then(function (response) {
      if (response.type === "opaqueredirect") {
        throw failure("Not saved: you are logged out. Log in again, then repeat the change.");
      }
      var type = response.headers.get("content-type") || "";
      var answer = type.indexOf("application/json") === 0 ? response.json() : Promise.resolve({});
      return answer.then(function (data) {
        if (!response.ok) {
          throw failure(data.error ||
            "Not saved: the server answered " + response.status + ". Reload the page and try again.");
        }
        saved = pks;
        showNumbers(data.sort_orders || {});
        if (!pending) {
          say(data.message || "Order saved.", false);
        }
      });
    }).catch(function (error) {
      pending = null;
      putBack(saved);
      say(error.forOwner ? error.message
        : "Not saved: the server could not be reached. Check the connection and try again.", true);
    }).then(function () {
      sending = false;
      send();
    });
  }

  function changed(before) {
    var now = order();
    if (!same(before, now)) {
      pending = now;
      send();
    }
  }

  function rowLabel(row) {
    var cell = row.cells[2];
    var text = cell ? cell.textContent.replace(/\s+/g, " ").trim() : "";
    return text || "entry " + pkOf(row);
  }

  function addHandle(row) {
    // A span, not a <button>: Firefox does not start a drag from a button.
    var handle = document.createElement("span");
    handle.className = "cms-drag-handle";
    handle.setAttribute("role", "button");
    handle.setAttribute("tabindex", "0");
    handle.setAttribute("draggable", "true");
    handle.setAttribute("aria-label", "Move " + rowLabel(row));
    handle.setAttribute("aria-describedby", "cms-ordering-hint");
    handle.title = "Drag to reorder";
    handle.innerHTML = '<i class="fa-solid fa-grip-vertical" aria-hidden="true"></i>';
    row.cells[0].classList.add("cms-drag-cell");
    row.cells[0].insertBefore(handle, row.cells[0].firstChild);
  }

  body.addEventListener("keydown", function (event) {
    var handle = event.target instanceof Element && event.target.closest(".cms-drag-handle");
    if (!handle || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) {
      return;
    }
    event.preventDefault();
    var row = handle.closest("tr");
    var before = order();
    // The neighbour moves, not the focused row: moving a focused element drops its focus.
    if (event.key === "ArrowUp" && row.previousElementSibling) {
      body.insertBefore(row.previousElementSibling, row.nextElementSibling);
    } else if (event.key === "ArrowDown" && row.nextElementSibling) {
      body.insertBefore(row.nextElementSibling, row);
    }
    changed(before);
  });

  body.addEventListener("dragstart", function (event) {
    var handle = event.target instanceof Element && event.target.closest(".cms-drag-handle");
    if (!handle) {
      return;
    }
    var row = handle.closest("tr");
    drag = { row: row, before: order(), dropped: false };
    row.classList.add("cms-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", pkOf(row));
    var rect = row.getBoundingClientRect();
    event.dataTransfer.setDragImage(row, event.clientX - rect.left, event.clientY - rect.top);
  });

  body.addEventListener("dragover", function (event) {
    if (!drag) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    var target = event.target instanceof Element && event.target.closest("tr");
    if (!target || target === drag.row || target.parentNode !== body) {
      return;
    }
    var rect = target.getBoundingClientRect();
    var after = event.clientY > rect.top + rect.height / 2;
    body.insertBefore(drag.row, after ? target.nextElementSibling : target);
  });

  body.addEventListener("drop", function (event) {
    if (drag) {
      event.preventDefault();
      drag.dropped = true;
    }
  });

  body.addEventListener("dragend", function () {
    if (!drag) {
      return;
    }
    var done = drag;
    drag = null;
    done.row.classList.remove("cms-dragging");
    if (done.dropped) {
      changed(done.before);
    } else {
      putBack(done.before);  // dropped outside the list, or Escape: nothing changes
    }
  });

  rows().forEach(addHandle);
  saved = order();
})();
