// The operator's dashboard: accounts, credit, keys, usage, margin and the books audit, through the admin API with
// the token the operator types in (kept in this tab only).
import { barChart } from "./charts.js";
import { APIError, call, el, explain, labelCells, micros, newIdempotencyKey, secretField, usd, when } from "./common.js";

const $ = (id) => document.getElementById(id);
let token = "";
const pendingCredit = { signature: null, idempotencyKey: null };

const admin = (path, options = {}) => call(`/admin/v1${path}`, { ...options, secret: token });

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
    const chosen = select.value;
    select.replaceChildren(...accounts.map((account) => el("option", { value: account.name, selected: account.name === chosen }, account.name)));
  }
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
            status("token-status", explain(error));
          }
        },
      }, "Revoke")))));
  labelCells($("keys"));
}

async function loadUsage() {
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

async function refresh() {
  if (!token) {
    status("token-status", "Enter the admin token to manage this server.");
    return;
  }
  try {
    const accounts = await loadAccounts();
    await loadKeys(accounts);
    await loadUsage();
    await loadRoutes();
    status("token-status", `${accounts.length} account${accounts.length === 1 ? "" : "s"}.`);
  } catch (error) {
    status("token-status", error instanceof APIError && error.status === 401 ? "This admin token was not accepted." : explain(error));
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
      status(statusID, explain(error));
    } finally {
      button.disabled = false;
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
  return `Account ${data.name} created with ${usd(micros(data.balance_usd))}.`;
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
    status("audit-status", explain(error));
  }
});

secretField($("admin-token"), null, "imagegate.admin-token", (value) => {
  token = value;
  refresh();
});
