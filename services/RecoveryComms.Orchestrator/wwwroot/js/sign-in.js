// The sign-in form: the user's API key, kept for this browser tab only (api.js).

import { ApiError, session } from "./api.js";
import { field, fill, h } from "./dom.js";

/** Shows the form in `root`; `start()` runs with the key in place and throws when it is not accepted. */
export function showSignIn(root, start, message) {
  const key = h("input", { type: "password", autocomplete: "current-password", required: true, spellcheck: "false" });
  const error = h("p", { class: "error", role: "alert" }, message || "");
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const submit = async (event) => {
    event.preventDefault();
    button.disabled = true;
    session.key = key.value.trim();
    try {
      await start();
    } catch (failure) {
      session.key = null;
      error.textContent = failure instanceof ApiError && failure.status === 401
        ? "That key was not accepted. Check it with your administrator."
        : "The service could not be reached. Try again in a moment.";
      button.disabled = false;
    }
  };
  fill(root, h("form", { class: "sign-in", onsubmit: submit },
    h("h1", {}, "RecoveryComms"),
    h("p", {}, "Sign in with your API key. It is kept only for this browser tab."),
    field("API key", key),
    button,
    error));
  key.focus();
}
