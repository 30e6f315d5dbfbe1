// The account page's management panels: API keys (signed in only), "Add credit" through Stripe Checkout, the
// account's payments, the ledger as CSV and the webhook secret. Each call goes with the typed key, or with the
// session cookie when the person is signed in (`secret` is then empty).
import { call, el, explain, labelCells, micros, usd, when } from "./common.js";

const $ = (id) => document.getElementById(id);

/** The signed-in person's keys, with "Revoke" on each live one. */
export async function loadKeys() {
  const body = $("keys")?.tBodies[0];
  if (!body) return;
  const { data } = await call("/v1/keys");
  if (data.data.length === 0) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 6 }, "No keys yet: create one above.")));
    return;
  }
  body.replaceChildren(...data.data.map((key) => el("tr", {},
    el("td", {}, key.label || "—"),
    el("td", {}, el("code", {}, `${key.prefix}…`)),
    el("td", {}, when(key.created_at)),
    el("td", {}, key.last_used_at ? when(key.last_used_at) : "never"),
    el("td", { class: "number" }, key.daily_limit_usd ? usd(micros(key.daily_limit_usd)) : "none"),
    el("td", {}, key.revoked_at
      ? `revoked ${when(key.revoked_at)}`
      : [
        el("button", { type: "button", class: "secondary small", "data-key": key.id, "aria-label": `Edit key ${key.label || key.prefix}`, onclick: () => edit(key) }, "Edit"),
        " ",
        el("button", { type: "button", class: "secondary small", "aria-label": `Revoke key ${key.label || key.prefix}`, onclick: () => revoke(key) }, "Revoke"),
      ]))));
  labelCells($("keys"));
}

/** "Edit": a key's label and daily limit, in a dialog (an empty limit removes it). */
function edit(key) {
  const dialog = $("key-edit");
  $("key-edit-label").value = key.label;
  $("key-edit-limit").value = key.daily_limit_usd ? String(key.daily_limit_usd) : "";
  $("key-edit-error").textContent = "";
  $("key-edit-cancel").onclick = () => dialog.close();
  $("key-edit-form").onsubmit = async (event) => {
    event.preventDefault();
    const limit = $("key-edit-limit").value.trim();
    try {
      await call(`/v1/keys/${encodeURIComponent(key.id)}`, {
        method: "PATCH",
        body: { label: $("key-edit-label").value.trim(), daily_limit_usd: limit === "" ? null : limit },
      });
      dialog.close();
      await loadKeys();
      // The row was rebuilt: keyboard focus goes to its new "Edit" button rather than back to the top of the page.
      $("keys").querySelector(`button[data-key="${CSS.escape(key.id)}"]`)?.focus();
    } catch (error) {
      $("key-edit-error").textContent = explain(error);
    }
  };
  dialog.showModal();
}

async function revoke(key) {
  if (!confirm(`Revoke ${key.label || key.prefix}? Requests with it are refused from now on.`)) return;
  try {
    await call(`/v1/keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
    await loadKeys();
  } catch (error) {
    $("key-error").textContent = explain(error);
  }
}

/** "Create key": the secret is shown once, in the page, never stored by it. */
export function wireKeyForm() {
  const form = $("new-key");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("key-error").textContent = "";
    const body = { label: $("key-label").value.trim() };
    const limit = $("key-daily-limit").value.trim();
    if (limit) body.daily_limit_usd = limit;
    try {
      const { data } = await call("/v1/keys", { method: "POST", body });
      $("new-secret-value").textContent = data.key;
      $("new-secret").hidden = false;
      form.reset();
      await loadKeys();
    } catch (error) {
      $("key-error").textContent = explain(error);
    }
  });
}

/** "Add credit": an order and its Stripe Checkout page, to which the browser goes. */
export function wireAddCredit(secret) {
  const form = $("add-credit");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("credit-status").textContent = "Opening the payment page…";
    try {
      const { data } = await call("/v1/billing/checkout", { secret: secret(), method: "POST", body: { amount_usd: $("credit-amount").value.trim() } });
      location.assign(data.checkout_url);
    } catch (error) {
      $("credit-status").textContent = explain(error);
    }
  });
}

const STATUSES = { pending: "Waiting for payment", paid: "Paid", expired: "Not paid (expired)", mismatch: "Held for review" };

/** The account's card payments; and, back from Stripe (`?payment=`), what became of that one. */
export async function loadPayments(secret) {
  const table = $("payments");
  if (!table) return;
  const { data } = await call("/v1/billing/orders", { secret });
  table.tBodies[0].replaceChildren(...data.data.map((order) => el("tr", {},
    el("td", {}, when(order.created_at)),
    el("td", { class: "number" }, usd(micros(order.amount_usd))),
    el("td", {}, STATUSES[order.status] ?? order.status),
    el("td", {}, order.payment_reference ? el("code", {}, order.payment_reference) : "—"),
    el("td", { class: "number" }, micros(order.taken_back_usd) > 0 ? usd(micros(order.taken_back_usd)) : "—"),
    el("td", {}, order.status === "paid"
      ? el("button", { type: "button", class: "secondary small", "aria-label": `Receipt for ${usd(micros(order.amount_usd))} paid ${when(order.paid_at)}`, onclick: () => showReceipt(order) }, "Receipt")
      : "—"))));
  labelCells(table);
  const returned = new URLSearchParams(location.search).get("payment");
  const order = data.data.find((row) => row.order_id === returned);
  if (order) {
    $("credit-status").textContent = order.status === "paid"
      ? `Payment received: ${usd(micros(order.amount_usd))} added to your balance.`
      : "Waiting for Stripe to confirm the payment; this page updates when it does.";
  }
  return order?.status;
}

/** A paid order's receipt, in a dialog the person can print (the page around it is hidden in print). */
function showReceipt(order) {
  const line = (term, value) => [el("dt", {}, term), el("dd", {}, value)];
  const taken = micros(order.taken_back_usd);
  $("receipt-lines").replaceChildren(
    ...line("From", `ImageGate, ${location.host}`),
    ...line("Paid", when(order.paid_at)),
    ...line("Amount", usd(micros(order.amount_usd))),
    ...line("For", "Account credit (pay-as-you-go)"),
    ...line("Paid through", "Stripe Checkout"),
    ...line("Stripe payment", el("code", {}, order.payment_reference ?? "—")),
    ...line("Order", el("code", {}, order.order_id)),
    ...(taken > 0 ? line("Refunded or disputed since", usd(taken)) : []));
  $("receipt-print").onclick = () => print();
  $("receipt").showModal();
}

/** Downloads the whole ledger as CSV (fetched, so a typed key goes in the header and never in a link). */
export function wireLedgerCSV(secret) {
  $("ledger-csv").addEventListener("click", async () => {
    try {
      const headers = secret() ? { Authorization: `Bearer ${secret()}` } : {};
      const response = await fetch("/v1/account/ledger.csv", { headers, cache: "no-store" });
      if (!response.ok) throw new Error(`The server answered ${response.status}.`);
      const link = el("a", { href: URL.createObjectURL(await response.blob()), download: "imagegate-ledger.csv" });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      $("ledger-heading").after(el("p", { class: "error", role: "alert" }, explain(error)));
    }
  });
}

/** The webhook secret and its rotation. */
export function showWebhookSecret(data) {
  $("webhook-secret").textContent = data.webhook_secret ?? "—";
}

export function wireWebhookRotate(secret) {
  $("webhook-rotate").addEventListener("click", async () => {
    if (!confirm("Rotate the signing secret? The old one keeps signing beside the new one for 24 hours.")) return;
    try {
      const { data } = await call("/v1/account/webhook-secret/rotate", { secret: secret(), method: "POST" });
      showWebhookSecret(data);
      $("webhook-status").textContent = "Rotated: the previous secret signs too until " + when(data.previous_webhook_secret_expires_at) + ".";
    } catch (error) {
      $("webhook-status").textContent = explain(error);
    }
  });
}
