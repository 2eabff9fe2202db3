// Recordings played through the service: fetched with the user's key as a blob, so no URL that grants access ever
// appears in the page. Each player keeps its blob URL and gives it back when the panel closes.

import { apiBlob } from "../api.js";
import { h, notify } from "../dom.js";

/** A button that loads `path` once and plays it in an audio element shown beside it. */
export function audioButton(path, label, { buttonClass, failure } = {}) {
  let url = null;
  const player = h("audio", { controls: true, preload: "none", hidden: true });
  const button = h("button", { type: "button", class: buttonClass, onclick: async () => {
    button.disabled = true;
    try {
      url ??= URL.createObjectURL(await apiBlob(path));
      player.src = url;
      player.hidden = false;
      await player.play().catch(() => {});
    } catch (error) {
      notify(failure ? `${failure}: ${error.message}` : error.message, "error");
    } finally {
      button.disabled = false;
    }
  } }, label);
  return {
    element: h("span", {}, button, player),
    dispose() { if (url) { URL.revokeObjectURL(url); } },
  };
}
