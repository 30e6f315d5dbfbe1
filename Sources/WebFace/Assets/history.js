// The playground's history: the key's generations, newest first, ten at a time. Each row shows the server's
// thumbnail (a few KB; the full image is one click away, behind the link), its mode, count and seed, "Remix",
// which puts its settings back in the form, and a link to the generation's page.
import { APIError, call, el, explain, micros, timeUntil, usd, when } from "./common.js";

/** A generation's status in words. */
export const words = { queued: "Queued", processing: "Generating", completed: "Completed", failed: "Failed", cancelled: "Cancelled" };

const $ = (id) => document.getElementById(id);
let cursor = null;

function row(generation, remix) {
  const expired = generation.expires_at && timeUntil(generation.expires_at) === null;
  const first = generation.images?.[0];
  const picture = generation.status !== "completed" || !first
    ? el("span", { class: "thumb empty" }, words[generation.status] ?? generation.status)
    : expired
      ? el("span", { class: "thumb empty" }, "Expired")
      : el("a", { href: first.url, target: "_blank", rel: "noopener", title: "Open at full resolution" },
        el("img", { class: "thumb", src: first.thumbnail_url, alt: `Image 1: ${generation.prompt}`, loading: "lazy" }));
  const n = generation.num_images;
  return el("li", {},
    picture,
    el("div", { class: "grow" },
      el("p", { class: "prompt" }, generation.prompt),
      el("p", { class: "hint" },
        `${words[generation.status] ?? generation.status} · ${generation.model} · ${generation.mode} · ` +
        `${n} image${n === 1 ? "" : "s"} · seed ${generation.seed} · ${when(generation.created_at)} · ` +
        `charged ${usd(micros(generation.cost_usd))}` +
        (micros(generation.refunded_usd) > 0 ? `, refunded ${usd(micros(generation.refunded_usd))}` : "") +
        (expired ? " · outputs expired" : "")),
      el("div", { class: "row" },
        el("button", {
          type: "button",
          class: "secondary small",
          "aria-label": `Remix: ${generation.prompt}`,
          onclick: () => remix(generation),
        }, "Remix"),
        el("a", { href: `/generations/${encodeURIComponent(generation.generation_id)}`, "aria-label": `Details: ${generation.prompt}` },
          "Details"))));
}

/** Shows the first page of `key`'s history (`reset`) or the next one; `remix(generation)` restores its settings. */
export async function loadHistory(key, reset, remix) {
  if (!key) return;
  if (reset) cursor = null;
  try {
    const query = cursor ? `?limit=10&after=${encodeURIComponent(cursor)}` : "?limit=10";
    const { data } = await call(`/v1/generations${query}`, { secret: key });
    const items = data.data.map((generation) => row(generation, remix));
    if (reset) $("history").replaceChildren(...items);
    else $("history").append(...items);
    cursor = data.next_cursor;
    $("history-more").hidden = !data.has_more;
    $("history-status").textContent = $("history").children.length === 0 ? "No generations yet." : "";
  } catch (error) {
    // A rejected key is said once, by the key's own status line; no other account's history stays on the page.
    const rejected = error instanceof APIError && error.status === 401;
    if (rejected) $("history").replaceChildren();
    $("history-more").hidden = rejected || $("history-more").hidden;
    $("history-status").textContent = rejected ? "" : explain(error);
  }
}
