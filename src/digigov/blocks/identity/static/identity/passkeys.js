// Passkey ceremonies for forms marked data-passkey="register" or "sign-in": fetch the options the server made
// (with a fresh challenge), ask the browser's authenticator, post its answer, and follow the server's redirect.
// Forms stay hidden where the browser has no WebAuthn; a plain-text note says so instead.

const b64urlToBytes = (value) => {
  const base64 = value.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(value.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
};

const bytesToB64url = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const withIds = (list) => (list || []).map((item) => ({ ...item, id: b64urlToBytes(item.id) }));

const creationOptions = (json) =>
  PublicKeyCredential.parseCreationOptionsFromJSON
    ? PublicKeyCredential.parseCreationOptionsFromJSON(json)
    : { ...json, challenge: b64urlToBytes(json.challenge), user: { ...json.user, id: b64urlToBytes(json.user.id) },
        excludeCredentials: withIds(json.excludeCredentials) };

const requestOptions = (json) =>
  PublicKeyCredential.parseRequestOptionsFromJSON
    ? PublicKeyCredential.parseRequestOptionsFromJSON(json)
    : { ...json, challenge: b64urlToBytes(json.challenge), allowCredentials: withIds(json.allowCredentials) };

const credentialJson = (credential) => {
  if (typeof credential.toJSON === "function") return credential.toJSON();
  const response = credential.response;
  const out = {
    id: credential.id, rawId: bytesToB64url(credential.rawId), type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment, clientExtensionResults: {},
    response: { clientDataJSON: bytesToB64url(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    out.response.attestationObject = bytesToB64url(response.attestationObject);
    out.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    out.response.authenticatorData = bytesToB64url(response.authenticatorData);
    out.response.signature = bytesToB64url(response.signature);
    out.response.userHandle = response.userHandle ? bytesToB64url(response.userHandle) : null;
  }
  return out;
};

const post = async (url, form, body) => {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
    body: body === undefined ? "{}" : JSON.stringify(body),
  });
  return { ok: response.ok, data: await response.json() };
};

const ceremony = async (form) => {
  const error = form.querySelector("[data-passkey-error]");
  error.hidden = true;
  const registering = form.dataset.passkey === "register";
  const options = await post(form.dataset.optionsUrl, form);
  if (!options.ok) throw new Error(options.data.error.message);
  const credential = registering
    ? await navigator.credentials.create({ publicKey: creationOptions(options.data) })
    : await navigator.credentials.get({ publicKey: requestOptions(options.data) });
  const body = { credential: credentialJson(credential) };
  if (registering) body.name = form.elements.name.value;
  else body.next = form.elements.next.value;
  const result = await post(form.action, form, body);
  if (!result.ok) throw new Error(result.data.error.message);
  window.location.assign(result.data.redirect);
};

if (window.PublicKeyCredential) {
  document.querySelectorAll("[data-passkey-unsupported]").forEach((note) => { note.hidden = true; });
  document.querySelectorAll("form[data-passkey]").forEach((form) => {
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      ceremony(form).catch((problem) => {
        const error = form.querySelector("[data-passkey-error]");
        // A cancelled prompt (NotAllowedError) is the person's choice: say so plainly.
        error.textContent = problem.name === "NotAllowedError" ? form.dataset.cancelled || problem.message : problem.message;
        error.hidden = false;
      });
    });
  });
}
