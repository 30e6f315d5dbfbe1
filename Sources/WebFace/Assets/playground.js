// The playground: the same POST /v1/generate as any API client, with the person's key, at the API's price.
// Each click on Generate is one request with a fresh Idempotency-Key; a retry after a lost connection reuses it,
// so a double click or a retry never runs (or charges) twice.
import {
  APIError, NetworkError, call, el, explain, followEvents, micros, newIdempotencyKey, secretField, timeUntil, usd,
} from "./common.js";
import { loadHistory, words } from "./history.js";
import { snippets } from "./snippets.js";
import "./tabs.js";

const $ = (id) => document.getElementById(id);
const form = $("playground");
const models = JSON.parse(form.dataset.models);
const FIELDS = ["model", "mode", "prompt", "aspect_ratio", "size", "num_images", "seed", "output_format", "image_urls", "reference_links"];
const FINAL = new Set(["completed", "failed", "cancelled"]);

let key = "";
let references = []; // [{name, dataURL}]
let busy = false;
let lost = null; // the request whose answer the network lost: {body, idempotencyKey}

const model = () => models.find((m) => m.id === $("model").value) ?? models[0];

function options(select, values, chosen) {
  select.replaceChildren(...values.map((value) => el("option", { value, selected: value === chosen }, value)));
}

/** Fills every control from the chosen model's rules: the same catalog entry the server validates against. */
function applyModel() {
  const m = model();
  const p = m.parameters;
  const mode = m.modes.includes($("mode").value) ? $("mode").value : m.modes[0];
  options($("mode"), m.modes, mode);
  options($("aspect_ratio"), p.aspect_ratio.values, p.aspect_ratio.default);
  options($("size"), p.size.values, p.size.default);
  options($("output_format"), p.output_format.values, p.output_format.default);
  Object.assign($("num_images"), { min: p.num_images.min, max: p.num_images.max, value: p.num_images.default ?? p.num_images.min });
  Object.assign($("seed"), { min: p.seed.min, max: p.seed.max });
  $("prompt").maxLength = p.prompt.max_length;
  const r = m.reference_images;
  $("references-hint").textContent =
    `Choose or drop up to ${p.image_urls.max_items} images: ${r.formats.map((f) => f.toUpperCase()).join(", ")}, ` +
    `at most ${r.max_bytes / 1e6} MB each.`;
  applyMode();
}

function applyMode() {
  $("references").hidden = $("mode").value !== "edit";
  updateCost();
}

/**
 * A whole number field against the model's bounds, as the server checks it: the number, or the sentence that says
 * what is wrong (never a silently rounded or clamped value). An empty optional field is `null`.
 */
function wholeNumber(name, label, optional) {
  const rule = model().parameters[name];
  const text = $(name).value.trim();
  if (text === "" && optional) return { value: null };
  const value = Number(text);
  if (text === "" || !Number.isInteger(value) || value < rule.min || value > rule.max) {
    return { error: `${label} must be a whole number from ${rule.min} to ${rule.max}.` };
  }
  return { value };
}

/** The reference images given by address (one a line), as the API takes them: http(s) URLs or data: URIs. */
function referenceLinks() {
  return $("reference_links").value.split("\n").map((line) => line.trim()).filter((line) => line !== "");
}

/** What the form would send that the server would refuse, field by field: checked before anything is sent. */
function problems() {
  const found = [];
  if ($("prompt").value.trim() === "") found.push(["prompt", "Write a prompt: it describes the image you want."]);
  for (const [name, label, optional] of [["num_images", "Number of images", false], ["seed", "Seed", true]]) {
    const { error } = wholeNumber(name, label, optional);
    if (error) found.push([name, error]);
  }
  if ($("mode").value === "edit") {
    const links = referenceLinks();
    const max = model().parameters.image_urls.max_items;
    const wrong = links.find((link) => !/^(https?:\/\/\S+|data:image\/\S+)$/.test(link));
    if (wrong) found.push(["reference_links", `${wrong} is not an http(s) address or a data: URI.`]);
    else if (links.length + references.length > max) {
      found.push(["reference_links", `At most ${max} reference images: ${links.length + references.length} are given.`]);
    }
  }
  return found;
}

/** "3 images × $0.014 = $0.042", in integer micro-dollars; the reason instead when the count is not one allowed. */
function updateCost() {
  const count = wholeNumber("num_images", "Number of images", false);
  $("num_images-error").textContent = count.error ?? "";
  if (count.error) {
    $("num_images").setAttribute("aria-invalid", "true");
    $("cost").textContent = "";
    return;
  }
  $("num_images").removeAttribute("aria-invalid");
  const n = count.value;
  const price = model().price_per_image_micros;
  $("cost").textContent = `${n} image${n === 1 ? "" : "s"} × ${usd(price)} = ${usd(price * n)}`;
}

async function refreshBalance() {
  const status = $("key-status");
  if (!key) {
    status.textContent = "Enter an API key to generate. Started this server yourself? Its first start printed one " +
      "(export IMAGEGATE_API_KEY=…); otherwise ask its operator.";
    return;
  }
  try {
    const { data } = await call("/v1/account", { secret: key });
    status.textContent = `Balance: ${usd(micros(data.balance_usd))} available` +
      (micros(data.held_usd) > 0 ? `, ${usd(micros(data.held_usd))} on hold` : "") + ` (account ${data.name}).`;
  } catch (error) {
    status.textContent = explain(error);
  }
}

// MARK: reference images

function fieldError(name, message) {
  const field = referenceField(name);
  const target = $(`${field}-error`);
  const control = $(field);
  if (!target || !control) return false;
  target.textContent = message;
  control.setAttribute("aria-invalid", "true");
  return true;
}

/** The field that holds a parameter the server named: `image_urls[i]` is an address for the first ones, a file after. */
function referenceField(param) {
  const index = /^image_urls\[(\d+)\]$/.exec(param)?.[1];
  if (index !== undefined) return Number(index) < referenceLinks().length ? "reference_links" : "image_urls";
  return param.replace(/\[\d+\]$/, "");
}

function clearErrors() {
  for (const name of FIELDS) {
    $(`${name}-error`)?.replaceChildren();
    $(name)?.removeAttribute("aria-invalid");
  }
  $("form-error").textContent = "";
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/** Checks files with the server's rules (type, size, count) before anything is sent, then keeps them as data: URIs. */
async function addFiles(files) {
  const m = model();
  const rules = m.reference_images;
  const max = m.parameters.image_urls.max_items - referenceLinks().length;
  const types = rules.formats.map((format) => `image/${format}`);
  const problems = [];
  for (const file of files) {
    if (references.length >= max) {
      problems.push(`At most ${max} reference images: ${file.name} was left out.`);
      continue;
    }
    if (!types.includes(file.type)) {
      problems.push(`${file.name} is not a ${rules.formats.map((f) => f.toUpperCase()).join(", ")} image.`);
      continue;
    }
    if (file.size > rules.max_bytes) {
      problems.push(`${file.name} is larger than ${rules.max_bytes / 1e6} MB.`);
      continue;
    }
    references.push({ name: file.name, dataURL: await readFile(file) });
  }
  $("image_urls-error").textContent = problems.join(" ");
  $("image_urls").value = "";
  showReferences();
}

function showReferences() {
  $("thumbs").replaceChildren(...references.map((reference, index) =>
    el("li", {},
      el("img", { src: reference.dataURL, alt: `Reference ${index + 1}: ${reference.name}` }),
      el("button", {
        type: "button",
        class: "secondary small",
        "aria-label": `Remove ${reference.name}`,
        onclick: () => {
          references.splice(index, 1);
          showReferences();
          $("image_urls").focus();
        },
      }, "Remove"))));
  updateCode();
}

// MARK: generating

function requestBody() {
  const body = {
    model: model().id,
    mode: $("mode").value,
    prompt: $("prompt").value,
    aspect_ratio: $("aspect_ratio").value,
    size: $("size").value,
    num_images: wholeNumber("num_images", "Number of images", false).value,
    output_format: $("output_format").value,
  };
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  if (body.mode === "edit") body.image_urls = [...referenceLinks(), ...references.map((reference) => reference.dataURL)];
  return body;
}

/** "Show code": the form's request as code, kept up to date while it is shown. */
function updateCode() {
  if ($("code").hidden) return;
  const body = requestBody();
  delete body.image_urls;
  if (body.num_images === undefined) delete body.num_images;
  const names = references.map((reference) => reference.name);
  const code = snippets(body, model(), { links: referenceLinks(), names }, location.origin);
  $("code-curl").textContent = code.curl;
  $("code-python").textContent = code.python;
  $("code-cli").textContent = code.cli;
  $("code-references").hidden = body.mode !== "edit";
}

function setRunStatus(text) {
  $("run-status").textContent = text;
}

/**
 * Shows the time since `started` every second; the returned function stops it and shows the total when a generation
 * ran (`ran`), or nothing when the request was refused before one existed.
 */
function startClock() {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const tick = () => { $("elapsed").textContent = `Elapsed: ${seconds()} s`; };
  tick();
  const timer = setInterval(tick, 1000);
  return (ran) => {
    clearInterval(timer);
    $("elapsed").textContent = ran ? `Took ${seconds()} s.` : "";
  };
}


/** Follows the generation to its end through its event stream, reconnecting with Last-Event-ID if the stream drops. */
async function follow(generation) {
  let current = generation;
  let last = null;
  while (!FINAL.has(current.status)) {
    setRunStatus(`${words[current.status] ?? current.status}…`);
    try {
      last = await followEvents(`/v1/generations/${encodeURIComponent(current.generation_id)}/events`, key, last, ({ event, data }) => {
        current = data;
        if (event === "queue_position") setRunStatus(`Queued upstream: ${data.queue_position} ahead…`);
        else setRunStatus(`${words[event] ?? event}…`);
      });
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (!FINAL.has(current.status)) {
      current = (await call(`/v1/generations/${encodeURIComponent(current.generation_id)}`, { secret: key })).data;
    }
  }
  return current;
}

async function send(body, idempotencyKey) {
  busy = true;
  $("generate").disabled = true;
  $("retry").hidden = true;
  lost = null;
  $("result").replaceChildren();
  setRunStatus("Sending…");
  const stopClock = startClock();
  let ran = false;
  try {
    const { data } = await call("/v1/generate", {
      secret: key,
      method: "POST",
      body,
      headers: { Prefer: "respond-async", "Idempotency-Key": idempotencyKey },
      generation: true,
    });
    ran = true;
    showResult(await follow(data));
  } catch (error) {
    showFailure(error, body, idempotencyKey);
  } finally {
    stopClock(ran);
    busy = false;
    $("generate").disabled = false;
    refreshBalance();
    loadHistory(key, true, remix);
  }
}

function showFailure(error, body, idempotencyKey) {
  if (error instanceof NetworkError) {
    lost = { body, idempotencyKey };
    $("retry").hidden = false;
    $("form-error").textContent = `${error.message} “Retry the same request” sends it again with the same Idempotency-Key: ` +
      "if the first one arrived, you get its result and are not charged twice.";
    setRunStatus("Connection lost.");
    return;
  }
  setRunStatus("Not generated: nothing was charged.");
  const message = explain(error);
  if (error instanceof APIError && error.status === 401) {
    // The key's own status line says why (refreshed below): the message is not repeated here.
    $("api-key").focus();
  } else if (error instanceof APIError && error.status === 402) {
    $("form-error").textContent = message;
  } else if (error instanceof APIError && error.param && fieldError(error.param, message)) {
    // The message stands beside its field; the alert only points there.
    $("form-error").textContent = "Check the field marked above.";
    $(referenceField(error.param))?.focus();
  } else {
    $("form-error").textContent = message;
  }
}

function figure(image, index, generation) {
  const expires = timeUntil(generation.expires_at);
  return el("figure", {},
    el("a", { href: image.url, target: "_blank", rel: "noopener", title: "Open at full resolution" },
      el("img", { src: image.url, alt: `Image ${index + 1}: ${generation.prompt}`, width: image.width, height: image.height })),
    el("figcaption", {},
      `${image.width} × ${image.height} · `,
      el("a", { href: image.url, download: `${generation.generation_id}-${index + 1}` }, `Download image ${index + 1}`),
      expires ? ` · link expires in ${expires}` : " · expired",
      el("br"),
      el("button", {
        type: "button",
        class: "secondary small",
        onclick: (event) => useAsReference(image, index, generation, event.currentTarget),
      }, `Use image ${index + 1} as reference`)));
}

/** What produced a generation, so it can be made again: "Seed 42 · generate · 16:9 (2K) · 2 images · png". */
function settingsText(generation) {
  const n = generation.num_images;
  return `Seed ${generation.seed} · ${generation.model} · ${generation.mode} · ${generation.aspect_ratio} (${generation.size}) · ` +
    `${n} image${n === 1 ? "" : "s"} · ${generation.output_format}`;
}

/** "Remix": the form takes a generation's model, mode, prompt and settings, seed included; references stay as they are. */
function remix(generation) {
  if (model().id !== generation.model && models.some((m) => m.id === generation.model)) {
    $("model").value = generation.model;
    references = [];
    showReferences();
    applyModel();
  }
  if (model().modes.includes(generation.mode)) $("mode").value = generation.mode;
  applyMode();
  $("prompt").value = generation.prompt;
  $("aspect_ratio").value = generation.aspect_ratio;
  $("size").value = generation.size;
  $("num_images").value = generation.num_images;
  $("seed").value = generation.seed;
  $("output_format").value = generation.output_format;
  clearErrors();
  updateCost();
  updateCode();
  $("prompt").focus();
  $("remix-status").textContent = `The form now holds the settings of ${generation.generation_id} (seed ${generation.seed}).`;
}

/** "Use as reference": the output joins the edit's references (fetched here, sent as a data: URI like a picked file). */
async function useAsReference(image, index, generation, button) {
  if (!model().modes.includes("edit")) {
    $("image_urls-error").textContent = `${model().display_name} does not edit images.`;
    return;
  }
  button.disabled = true;
  try {
    const response = await fetch(image.url);
    if (!response.ok) throw new Error(`The image could not be read (${response.status}).`);
    const blob = await response.blob();
    const extension = blob.type === "image/jpeg" ? "jpg" : blob.type === "image/webp" ? "webp" : "png";
    $("mode").value = "edit";
    applyMode();
    await addFiles([new File([blob], `${generation.generation_id}-${index + 1}.${extension}`, { type: blob.type })]);
    $("remix-status").textContent = `Image ${index + 1} was added to the reference images: describe the edit in the prompt.`;
    $("prompt").focus();
  } catch (error) {
    $("image_urls-error").textContent = error.message;
  } finally {
    button.disabled = false;
  }
}

function showResult(generation) {
  const charged = micros(generation.cost_usd);
  const refunded = micros(generation.refunded_usd);
  const result = $("result");
  if (generation.status === "completed") {
    const n = generation.images.length;
    setRunStatus(`Completed: ${n} image${n === 1 ? "" : "s"}, charged ${usd(charged)}` +
      (refunded > 0 ? `, ${usd(refunded)} refunded for images that could not be delivered.` : "."));
    result.replaceChildren(
      el("div", { class: "row settings" },
        el("p", { id: "result-settings", class: "hint" }, settingsText(generation)),
        el("button", { type: "button", class: "secondary small", onclick: () => remix(generation) }, "Remix")),
      el("div", { class: "gallery" }, generation.images.map((image, index) => figure(image, index, generation))));
  } else if (generation.status === "failed") {
    setRunStatus(`Failed: ${generation.error?.message ?? "no image could be delivered"}. Refunded ${usd(refunded)}: nothing was charged.`);
    result.replaceChildren();
  } else {
    setRunStatus(`Cancelled: ${usd(refunded)} returned.`);
    result.replaceChildren();
  }
}

// MARK: wiring

$("model").addEventListener("change", () => {
  references = [];
  showReferences();
  applyModel();
});
$("mode").addEventListener("change", applyMode);
$("num_images").addEventListener("input", updateCost);
$("prompt").placeholder = "A lighthouse on a cliff at dusk, warm light in the windows, long exposure";
$("image_urls").addEventListener("change", (event) => addFiles([...event.target.files]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  addFiles([...event.dataTransfer.files]);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (busy) return;
  clearErrors();
  if (!key) {
    $("form-error").textContent = "Enter your API key first.";
    $("api-key").focus();
    return;
  }
  const found = problems();
  if (found.length > 0) {
    for (const [name, message] of found) fieldError(name, message);
    $("form-error").textContent = "Check the field marked above.";
    $(found[0][0]).focus();
    return;
  }
  send(requestBody(), newIdempotencyKey());
});
$("retry").addEventListener("click", () => {
  if (busy || !lost) return;
  clearErrors();
  send(lost.body, lost.idempotencyKey);
});
$("history-more").addEventListener("click", () => loadHistory(key, false, remix));
$("show-code").addEventListener("click", () => {
  const shown = $("code").hidden;
  $("code").hidden = !shown;
  $("show-code").setAttribute("aria-expanded", String(shown));
  $("show-code").textContent = shown ? "Hide code" : "Show code";
  updateCode();
});
form.addEventListener("input", updateCode);
form.addEventListener("change", updateCode);

applyModel();
// "Try this prompt" on a model page opens the playground with its prompt; a generation's page, with its settings.
const asked = new URLSearchParams(location.search);
if (asked.get("prompt")) $("prompt").value = asked.get("prompt");
let toRemix = asked.get("remix");
secretField($("api-key"), $("remember"), "imagegate.api-key", (value) => {
  key = value;
  refreshBalance();
  loadHistory(key, true, remix);
  if (key && toRemix) {
    const id = toRemix;
    toRemix = null;
    call(`/v1/generations/${encodeURIComponent(id)}`, { secret: key })
      .then(({ data }) => remix(data))
      .catch((error) => { $("form-error").textContent = explain(error); });
  }
});
