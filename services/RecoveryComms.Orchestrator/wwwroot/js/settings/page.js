// Settings a manager changes without a deploy: the settings document (general.js), the weekly primary/backup
// rotation (rotation.js) and the reason list (reasons.js).

import { fill, h } from "../dom.js";
import { renderGeneral } from "./general.js";
import { renderReasons } from "./reasons.js";
import { renderRotation } from "./rotation.js";

export function render(container, context) {
  let disposed = false;
  const isDisposed = () => disposed;
  const general = h("div");
  const rotation = h("div");
  const reasons = h("div");
  fill(container, h("section", { class: "settings" },
    h("h1", {}, "Settings"),
    h("p", { class: "hint" }, "Changes apply at once, to items created from now on. Everything is kept with who changed it."),
    general, h("h2", {}, "Primary and backup rotation"), rotation, h("h2", {}, "Reasons"), reasons));
  renderGeneral(general, context, isDisposed);
  renderRotation(rotation, isDisposed, () => context.reloadShop().catch(() => {}));
  renderReasons(reasons, context, isDisposed);
  return () => { disposed = true; };
}
