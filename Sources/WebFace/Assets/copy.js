// A "Copy" button on every code block, on every page (the layout loads this module; pages that add code blocks
// later call addCopyButtons on them). The text copied is the block's own, exactly as shown.
import { el } from "./common.js";

/** Writes text to the clipboard; where the Clipboard API is missing (plain http off localhost) selects and copies. */
async function copyText(code) {
  const text = code.textContent;
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const range = document.createRange();
  range.selectNodeContents(code);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  if (!document.execCommand("copy")) throw new Error("copy refused");
}

/** Puts a Copy button above each `pre` under `root` that has none yet. */
export function addCopyButtons(root = document) {
  for (const pre of root.querySelectorAll("pre")) {
    if (pre.parentElement?.classList.contains("code-block")) continue;
    const code = pre.querySelector("code") ?? pre;
    const said = el("span", { class: "copy-status", role: "status" });
    const button = el("button", { type: "button", class: "secondary small copy" }, "Copy");
    button.addEventListener("click", async () => {
      try {
        await copyText(code);
        button.textContent = "Copied";
        said.textContent = "Copied to the clipboard.";
      } catch {
        said.textContent = "Could not copy: select the text and copy it by hand.";
      }
      setTimeout(() => {
        button.textContent = "Copy";
        said.textContent = "";
      }, 2000);
    });
    const block = el("div", { class: "code-block" });
    pre.replaceWith(block);
    block.append(el("div", { class: "code-tools" }, said, button), pre);
  }
}

addCopyButtons();
