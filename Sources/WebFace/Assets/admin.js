// The operator's dashboard: accounts, credit, keys, usage, margin and the books audit, through the admin API with
// the token the operator types in (kept in this tab only).
import { barChart } from "./charts.js";
import { APIError, call, el, explain, labelCells, micros, newIdempotencyKey, secretField, usd, when } from "./common.js";

const $ = (id) => document.getElementById(id);
let token = "";
const pendingCredit = { signature: null, idempotencyKey: null };

const admin = (path, options = {}) => call(`/admin/v1${path}`, { ...options, secret: token });
// An account just created: the credit and key forms move to it.
let created = null;

// The admin API names its fields as the API does; the forms name them as their labels do.
const fieldLabels = { credit_usd: "Starting credit", usd: "Amount", name: "Account name", label: "Label", note: "Note" };

/** An error of the admin API, in the dashboard's words: the token (never the customer's key), the form's labels. */
function explainAdmin(error) {
  if (error instanceof APIError && error.status === 401) return "This admin token was not accepted: check it (the server's --admin-token).";
  const text = explain(error);
  if (!(error instanceof APIError) || !error.param || !fieldLabels[error.param]) return text;
  return text.replaceAll(error.param, fieldLabels[error.param]);
}

/** The forms work only with an accepted token: a wrong one leaves nothing to press. */
function enableForms(enabled) {
  for (const form of document.querySelectorAll("form")) {
    for (const control of form.elements) control.disabled = !enabled;
  }
  document.getElementById("run-audit").disabled = !enabled;
}

function status(id, text) {
  $(id).textContent = text;
}

async function loadAccounts() {
  const accounts = (await admin("/accounts")).data.data;
  $("accounts").tBodies[0].replaceChildren(...accounts.map((account) =>
    el("tr", {},
      el("th", { scope: "row" }, account.name),
      el("td", { class: "number" }, usd(micros(account.balance_usd))),
      el("td", { class: "number" }, usd(micros(account.held_usd))),
      el("td", {}, when(account.created_at)))));
  labelCells($("accounts"));
  for (const select of document.querySelectorAll(".account-choice")) {
    const chosen = created ?? select.value;
    select.replaceChildren(...accounts.map((account) => el("option", { value: account.name, selected: account.name === chosen }, account.name)));
  }
  created = null;
  return accounts;
}

async function loadKeys(accounts) {
  const names = new Map(accounts.map((account) => [account.id, account.name]));
  const keys = (await admin("/keys")).data.data;
  $("keys").tBodies[0].replaceChildren(...keys.map((key) =>
    el("tr", {},
      el("th", { scope: "row" }, el("code", {}, `${key.prefix}…`)),
      el("td", {}, names.get(key.account_id) ?? key.account_id),
      el("td", {}, key.label),
      el("td", {}, key.last_used_at ? when(key.last_used_at) : "never"),
      el("td", {}, key.revoked_at ? `revoked ${when(key.revoked_at)}` : "active"),
      el("td", {}, key.revoked_at ? "" : el("button", {
        type: "button",
        class: "secondary small",
        "aria-label": `Revoke key ${key.prefix}`,
        onclick: async () => {
          if (!confirm(`Revoke key ${key.prefix}…? Requests with it will be refused at once.`)) return;
          try {
            await admin(`/keys/${encodeURIComponent(key.prefix)}`, { method: "DELETE" });
            await refresh();
          } catch (error) {
            status("token-status", explainAdmin(error));
          }
        },
      }, "Revoke")))));
  labelCells($("keys"));
}

async function loadUsage() {
  const cash = (await admin("/cash")).data;
  $("cash-topups").textContent = usd(micros(cash.card_topups_usd));
  $("cash-taken-back").textContent = usd(micros(cash.taken_back_usd));
  $("cash-credits").textContent = usd(micros(cash.operator_credits_usd));
  $("cash-spent").textContent = usd(micros(cash.spent_usd));
  $("cash-upstream").textContent = usd(micros(cash.upstream_cost_usd));
  const margins = (await admin("/margin?by=day")).data.data;
  const days = new Map();
  for (const row of margins) {
    const day = days.get(row.day) ?? { revenue: 0, cost: 0 };
    day.revenue += micros(row.revenue_usd);
    day.cost += micros(row.upstream_cost_usd);
    days.set(row.day, day);
  }
  const recent = [...days].reverse().slice(-30);
  barChart($("usage-chart"), recent.flatMap(([day, sums]) => [
    { label: day.slice(5), value: sums.revenue, series: "Revenue" },
    { label: day.slice(5), value: sums.cost, series: "Upstream cost" },
  ]), {
    format: usd,
    series: ["Revenue", "Upstream cost"],
    summary: `Revenue and upstream cost per day over ${recent.length} day${recent.length === 1 ? "" : "s"} with activity.`,
  });
  const byModel = (await admin("/margin")).data.data;
  barChart($("margin-chart"), byModel.map((row) => ({ label: row.model, value: Math.max(micros(row.margin), 0) })), {
    format: usd,
    summary: `Margin by model: ${byModel.map((row) => `${row.model} ${usd(micros(row.margin))}`).join(", ") || "none yet"}.`,
  });
  const byRoute = (await admin("/margin?by=route")).data.data;
  $("margin").tBodies[0].replaceChildren(...byRoute.map((row) =>
    el("tr", {},
      el("th", { scope: "row" }, row.model),
      el("td", {}, row.route),
      el("td", { class: "number" }, String(row.images)),
      el("td", { class: "number" }, usd(micros(row.revenue_usd))),
      el("td", { class: "number" }, usd(micros(row.upstream_cost_usd))),
      el("td", { class: "number" }, usd(micros(row.margin))),
      el("td", { class: "number" }, row.margin_pct == null ? "–" : `${row.margin_pct}%`))));
  labelCells($("margin"));
}

// Each usable route with its breaker in the replica that answered, and a banner for routes sold below their cost.
async function loadRoutes() {
  const routes = (await admin("/routes")).data.data;
  const breakers = { closed: "closed", half_open: "half-open (probing)", open: "open (skipped)" };
  $("routes").tBodies[0].replaceChildren(...routes.map((route) =>
    el("tr", {},
      el("th", { scope: "row" }, route.model),
      el("td", {}, `${route.route} (${route.provider})`),
      el("td", { class: "number" }, String(route.order)),
      el("td", { class: "number" }, usd(route.cost_per_image_micros)),
      el("td", {}, breakers[route.breaker] ?? route.breaker))));
  labelCells($("routes"));
  const below = routes.filter((route) => route.below_cost);
  $("below-cost").hidden = below.length === 0;
  $("below-cost").textContent = below.length === 0 ? "" :
    `Sold below cost: ${below.map((route) => `${route.model} on ${route.route} costs ${usd(route.cost_per_image_micros)} per image, sold at ${usd(route.price_per_image_micros)}`).join("; ")}. Mark a route "promotion": true in the catalog if this is meant.`;
}

/** Disables a person's account (its keys answer 403 account_disabled, its money is kept) or enables it again. */
async function setDisabled(user, accounts) {
  const action = user.disabled ? "enable" : "disable";
  if (!user.disabled && !confirm(`Disable ${user.email}'s account? Its keys stop working; its balance is kept.`)) return;
  try {
    await admin(`/accounts/${encodeURIComponent(user.account)}/${action}`, { method: "POST" });
    await loadCustomers(accounts);
    // The row was rebuilt: keyboard focus goes to its new button rather than back to the top of the page.
    $("users").querySelector(`button[aria-label="${user.disabled ? "Disable" : "Enable"} ${CSS.escape(user.email)}"]`)?.focus();
  } catch (error) {
    $("users").before(el("p", { class: "error", role: "alert" }, explainAdmin(error)));
  }
}

/** People who signed up, and card payments with what refunds and disputes took back (flags first). */
async function loadCustomers(accounts) {
  const names = new Map(accounts.map((account) => [account.id, account.name]));
  const users = (await admin("/users")).data.data;
  $("users").tBodies[0].replaceChildren(...users.map((user) =>
    el("tr", {},
      el("th", { scope: "row" }, user.email),
      el("td", {}, user.account),
      el("td", {}, user.verified_at ? when(user.verified_at) : "not yet"),
      el("td", {}, when(user.created_at)),
      el("td", {}, user.payment_flag ?? "—"),
      el("td", {}, user.disabled ? "disabled " : "active ", el("button", {
        type: "button", class: "secondary small", "aria-label": `${user.disabled ? "Enable" : "Disable"} ${user.email}`,
        onclick: () => setDisabled(user, accounts),
      }, user.disabled ? "Enable" : "Disable")))));
  if (users.length === 0) $("users").tBodies[0].append(el("tr", {}, el("td", { colspan: 6 }, "Nobody has signed up.")));
  labelCells($("users"));
  const payments = (await admin("/payments")).data.data;
  $("payments").tBodies[0].replaceChildren(...payments.map((order) =>
    el("tr", {},
      el("td", {}, when(order.created_at)),
      el("td", {}, names.get(order.account_id) ?? order.account_id),
      el("td", { class: "number" }, usd(micros(order.amount_usd))),
      el("td", {}, order.status),
      el("td", { class: "number" }, micros(order.taken_back_usd) > 0 ? usd(micros(order.taken_back_usd)) : "—"),
      el("td", {}, order.flag ?? ""))));
  if (payments.length === 0) $("payments").tBodies[0].append(el("tr", {}, el("td", { colspan: 6 }, "No card payments yet.")));
  labelCells($("payments"));
}

async function refresh() {
  if (!token) {
    enableForms(false);
    status("token-status", "Enter the admin token to manage this server.");
    return;
  }
  try {
    const accounts = await loadAccounts();
    await loadKeys(accounts);
    await loadCustomers(accounts);
    await loadUsage();
    await loadRoutes();
    enableForms(true);
    status("token-status", `${accounts.length} account${accounts.length === 1 ? "" : "s"}.`);
  } catch (error) {
    if (error instanceof APIError && error.status === 401) {
      // Nothing of the previous token's answers stays on the page, and nothing can be sent with this one.
      enableForms(false);
      for (const table of document.querySelectorAll("table")) table.tBodies[0].replaceChildren();
      for (const figure of document.querySelectorAll("#cash dd")) figure.textContent = "—";
    }
    status("token-status", explainAdmin(error));
  }
}

async function submit(form, statusID, action) {
  $(form).addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $(form).querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      status(statusID, await action());
      await refresh();
    } catch (error) {
      status(statusID, explainAdmin(error));
    } finally {
      button.disabled = !token;
    }
  });
}

submit("create-account", "create-account-status", async () => {
  const body = { name: $("new-account-name").value.trim() };
  const credit = $("new-account-credit").value.trim();
  if (credit) body.credit_usd = credit;
  const { data } = await admin("/accounts", { method: "POST", body });
  $("new-account-name").value = "";
  $("new-account-credit").value = "";
  created = data.name;
  return `Account ${data.name} created with ${usd(micros(data.balance_usd))}. The credit and key forms now point at it.`;
});

submit("add-credit", "add-credit-status", async () => {
  const name = $("credit-account").value;
  const body = { usd: $("credit-usd").value.trim(), note: $("credit-note").value.trim() || undefined };
  // The same amount to the same account, sent again after an error, reuses its Idempotency-Key: added once.
  const signature = JSON.stringify([name, body]);
  if (pendingCredit.signature !== signature) Object.assign(pendingCredit, { signature, idempotencyKey: newIdempotencyKey() });
  const { data, headers } = await admin(`/accounts/${encodeURIComponent(name)}/credits`, {
    method: "POST",
    body,
    headers: { "Idempotency-Key": pendingCredit.idempotencyKey },
  });
  Object.assign(pendingCredit, { signature: null, idempotencyKey: null });
  $("credit-usd").value = "";
  const replayed = headers.get("Idempotent-Replayed") === "true" ? " (already added before: not added twice)" : "";
  return `${data.name} now has ${usd(micros(data.balance_usd))}${replayed}.`;
});

submit("create-key", "create-key-status", async () => {
  const name = $("key-account").value;
  const label = $("key-label").value.trim();
  const { data } = await admin(`/accounts/${encodeURIComponent(name)}/keys`, { method: "POST", body: label ? { label } : {} });
  $("new-key-value").textContent = data.key;
  $("new-key").hidden = false;
  $("copy-key").focus();
  return `Key ${data.prefix}… created for ${name}. Copy it now: it is not shown again.`;
});

$("copy-key").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText($("new-key-value").textContent);
    status("create-key-status", "Copied.");
  } catch {
    getSelection().selectAllChildren($("new-key-value"));
    status("create-key-status", "Selected: press Ctrl+C (or ⌘C) to copy.");
  }
});

$("run-audit").addEventListener("click", async () => {
  status("audit-status", "Auditing…");
  $("audit-problems").replaceChildren();
  try {
    const { data } = await admin("/audit");
    const problems = data.problems ?? [];
    status("audit-status", data.clean
      ? `The books are clean: ${data.accounts} account${data.accounts === 1 ? "" : "s"}, ${data.ledger_rows} ledger rows and ` +
        `${data.generations} generations replayed to the micro-dollar. Upstream losses: ${usd(micros(data.upstream_loss_usd))}.`
      : `${problems.length} problem${problems.length === 1 ? "" : "s"} found:`);
    $("audit-problems").replaceChildren(...problems.map((problem) => el("li", {}, problem)));
  } catch (error) {
    status("audit-status", explainAdmin(error));
  }
});

enableForms(false);
secretField($("admin-token"), null, "imagegate.admin-token", (value) => {
  token = value;
  refresh();
});
