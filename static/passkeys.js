// Passkeys: sign in with one (login page) and add one (Passkeys page). The server sends the
// WebAuthn options as JSON, binary values in base64url; this turns them into the buffers
// navigator.credentials wants, and the authenticator's answer back into JSON for the server.
(function () {
  "use strict";

  function toBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(descriptors) {
    return (descriptors || []).map(function (descriptor) {
      return Object.assign({}, descriptor, { id: toBytes(descriptor.id) });
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      user: Object.assign({}, json.user, { id: toBytes(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      allowCredentials: withIds(json.allowCredentials),
    });
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        out.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return out;
  }

  function post(url, body) {
    // "manual": a successful sign-in answers with a redirect; the page follows it itself.
    var init = { method: "POST", credentials: "same-origin", redirect: "manual" };
    if (body !== undefined) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
    }
    return fetch(url, init);
  }

  async function refusal(response) {
    if (response.type === "opaqueredirect") {
      return "Your session ended: reload the page and log in again.";
    }
    try {
      var body = await response.json();
      if (body && typeof body.error === "string") {
        return body.error;
      }
    } catch (ignored) {
      // Not our JSON: say what status came back instead.
    }
    return "The server refused the request (" + response.status + ").";
  }

  function failure(error) {
    var name = error && error.name;
    if (name === "NotAllowedError") {
      return "No passkey was used: the request was cancelled or timed out.";
    }
    if (name === "InvalidStateError") {
      return "This device already holds a passkey for this account.";
    }
    if (name === "SecurityError") {
      return "Passkeys need the back office's own host name (and HTTPS outside localhost).";
    }
    return "The passkey could not be used: " + ((error && error.message) || error);
  }

  function show(box, text) {
    box.textContent = text;
    box.classList.remove("d-none");
    box.focus();
  }

  function supported(box) {
    if (window.PublicKeyCredential && navigator.credentials) {
      return true;
    }
    show(box, "This browser does not support passkeys.");
    return false;
  }

  async function signIn(button, box) {
    var options = await post(button.dataset.optionsUrl);
    if (!options.ok) {
      show(box, await refusal(options));
      return;
    }
    var credential = await navigator.credentials.get({
      publicKey: requestOptions(await options.json()),
    });
    var answer = await post(button.dataset.loginUrl, credentialJSON(credential));
    if (answer.type === "opaqueredirect" || answer.ok) {
      window.location.assign(button.dataset.next);
      return;
    }
    show(box, await refusal(answer));
  }

  async function register(form, box) {
    var name = form.querySelector("[name=name]").value.trim();
    if (!name) {
      show(box, "Give the passkey a name, e.g. the device it lives on.");
      return;
    }
    var options = await post(form.dataset.optionsUrl);
    if (!options.ok) {
      show(box, await refusal(options));
      return;
    }
    var credential = await navigator.credentials.create({
      publicKey: creationOptions(await options.json()),
    });
    var answer = await post(form.dataset.registerUrl, {
      name: name,
      credential: credentialJSON(credential),
    });
    if (!answer.ok) {
      show(box, await refusal(answer));
      return;
    }
    window.location.assign((await answer.json()).redirect);
  }

  function busy(control, box, work) {
    box.classList.add("d-none");
    control.disabled = true;
    work()
      .catch(function (error) {
        show(box, failure(error));
      })
      .finally(function () {
        control.disabled = false;
      });
  }

  var box = document.getElementById("passkey-error");
  var button = document.getElementById("passkey-login");
  if (button && box) {
    button.addEventListener("click", function () {
      if (supported(box)) {
        busy(button, box, function () {
          return signIn(button, box);
        });
      }
    });
  }
  var form = document.getElementById("passkey-register");
  if (form && box) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var submit = form.querySelector("button[type=submit]");
      if (supported(box)) {
        busy(submit, box, function () {
          return register(form, box);
        });
      }
    });
  }
})();
