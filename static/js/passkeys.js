// Passkeys (WebAuthn) on the login's second step and on the security page. The server's options come
// as JSON with base64url for the binary fields; the browser's answer goes back the same way, in a
// hidden field of an ordinary form post. Browsers without WebAuthn never see the buttons.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return window.btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withCredentialIds(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: toBytes(c.id) }); });
  }

  function answer(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      if (response.userHandle) out.response.userHandle = toBase64url(response.userHandle);
    }
    return JSON.stringify(out);
  }

  function post(form, credential) {
    form.querySelector("input[name=credential]").value = answer(credential);
    form.submit();
  }

  // The login's second step: "Use a passkey".
  var login = document.querySelector("form[data-passkey-login]");
  if (login) {
    login.hidden = false;
    login.addEventListener("submit", function (event) {
      event.preventDefault();
      window.ecabinet.api("GET", login.getAttribute("data-passkey-login")).then(function (publicKey) {
        publicKey.challenge = toBytes(publicKey.challenge);
        publicKey.allowCredentials = withCredentialIds(publicKey.allowCredentials);
        return navigator.credentials.get({ publicKey: publicKey });
      }).then(function (credential) { post(login, credential); })
        .catch(function () { /* cancelled: the code form is still there */ });
    });
  }

  // The security page: "Add a passkey".
  var register = document.querySelector("[data-passkey-register]");
  var form = document.querySelector("form[data-passkey-form]");
  if (register && form) {
    register.hidden = false;
    register.addEventListener("click", function () {
      window.ecabinet.api("GET", register.getAttribute("data-passkey-register")).then(function (publicKey) {
        publicKey.challenge = toBytes(publicKey.challenge);
        publicKey.user.id = toBytes(publicKey.user.id);
        publicKey.excludeCredentials = withCredentialIds(publicKey.excludeCredentials);
        return navigator.credentials.create({ publicKey: publicKey });
      }).then(function (credential) { post(form, credential); })
        .catch(function () { /* cancelled, or this authenticator is already registered */ });
    });
  }
})();
