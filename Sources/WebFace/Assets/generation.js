// A generation's page (/generations/{id}): its images, settings, costs and attempts, read with the person's key from
// GET /v1/generations/{id}, the owner's view of it. Linked from the ledger and the playground's history.
import { call, el, explain, labelCells, micros, secretField, timeUntil, usd, when } from "./common.js";
import { words } from "./history.js";

const $ = (id) => document.getElementById(id);
const id = decodeURIComponent(location.pathname.split("/").pop());
let key = "";
let shown = 0;

function clear() {
  for (const name of ["images", "settings", "costs"]) $(name).replaceChildren();
  $("attempts").tBodies[0].replaceChildren();
  $("generation-status").textContent = "";
  $("remix-link").hidden = true;
}

function pairs(list, entries) {
  list.replaceChildren(...entries.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

function show(generation) {
  const expires = generation.expires_at ? timeUntil(generation.expires_at) : null;
  $("generation-status").textContent = `${words[generation.status] ?? generation.status} · created ${when(generation.created_at)}` +
    (generation.expires_at ? (expires ? ` · links expire in ${expires}` : " · outputs expired") : "") +
    (generation.error ? ` · ${generation.error.message}` : "");
  $("images").replaceChildren(...(expires ? generation.images : []).map((image, index) =>
    el("figure", {},
      el("a", { href: image.url, target: "_blank", rel: "noopener", title: "Open at full resolution" },
        el("img", { src: image.thumbnail_url, alt: `Image ${index + 1}: ${generation.prompt}`, loading: "lazy" })),
      el("figcaption", {}, `${image.width} × ${image.height} · `, el("a", { href: image.url, download: `${generation.generation_id}-${index + 1}` }, `Download image ${index + 1}`)))));
  const ratio = generation.resolved_aspect_ratio !== generation.aspect_ratio
    ? `${generation.aspect_ratio} (${generation.resolved_aspect_ratio})` : generation.aspect_ratio;
  pairs($("settings"), [
    ["Model", generation.model], ["Mode", generation.mode], ["Prompt", generation.prompt], ["Aspect ratio", ratio],
    ["Size", generation.size], ["Number of images", String(generation.num_images)], ["Seed", String(generation.seed)],
    ["Output format", generation.output_format],
  ]);
  const refunded = micros(generation.refunded_usd);
  pairs($("costs"), [
    ["Held when asked", usd(micros(generation.estimated_cost_usd))],
    ["Charged", `−${usd(micros(generation.cost_usd))}`],
    ["Back to the balance", usd(refunded)],
  ]);
  $("attempts").tBodies[0].replaceChildren(...(generation.attempts ?? []).map((attempt) =>
    el("tr", {}, el("td", {}, attempt.provider), el("td", {}, attempt.outcome ?? "running"))));
  labelCells($("attempts"));
  $("remix-link").href = `/playground?model=${encodeURIComponent(generation.model)}&remix=${encodeURIComponent(generation.generation_id)}`;
  $("remix-link").hidden = false;
}

async function load() {
  const mine = ++shown;
  clear();
  $("generation-id").textContent = id;
  if (!key) {
    $("key-status").textContent = "Enter the API key that made this generation.";
    return;
  }
  try {
    const { data } = await call(`/v1/generations/${encodeURIComponent(id)}`, { secret: key });
    if (mine !== shown) return;
    $("key-status").textContent = "";
    show(data);
  } catch (error) {
    if (mine !== shown) return;
    clear();
    $("key-status").textContent = explain(error);
  }
}

secretField($("api-key"), $("remember"), "imagegate.api-key", (value) => {
  key = value;
  load();
});
