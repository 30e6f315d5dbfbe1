// The account page: balance, money on hold, spend per day and the whole ledger, read with the person's own key.
import { barChart } from "./charts.js";
import { call, el, explain, labelCells, micros, secretField, usd, when } from "./common.js";
import { loadKeys, loadPayments, showWebhookSecret, wireAddCredit, wireKeyForm, wireLedgerCSV, wireWebhookRotate } from "./account-manage.js";

const $ = (id) => document.getElementById(id);
const KINDS = { credit: "Credit", topup: "Card top-up", debit: "Debit", hold: "Hold", charge: "Charge", release: "Release", refund: "Refund" };
// What a movement does to the money that is yours: a credit adds (+), a debit or a charge takes away (−). A
// generation's hold and what became of it (charge, release, refund) are one line: what it cost, and the details.
const SIGNS = { credit: "+", topup: "+", debit: "−" };
// The line of each generation already shown, so that its older rows (on the next page) join it.
const lines = new Map();
let key = "";
// Signed in, the page calls the API with the session cookie (no key); otherwise with the key typed in.
const signedIn = document.getElementById("signed-in") !== null;
let before = null;
// Which load the page shows: a later one (another key, or the same key entered again) makes an earlier one's answers
// stale, so two loads racing never mix their rows or figures.
let shown = 0;

/** Forgets what the previous key showed: a rejected key must not leave another account's figures on the page. */
function clear() {
  $("ledger").tBodies[0].replaceChildren();
  lines.clear();
  $("ledger-more").hidden = true;
  $("balance").textContent = "—";
  $("held").textContent = "—";
  $("spend-chart").replaceChildren();
  before = null;
}

async function load() {
  const mine = ++shown;
  clear();
  if (!key && !signedIn) {
    $("key-status").textContent = "Enter an API key to see its account.";
    return;
  }
  try {
    const { data } = await call("/v1/account", { secret: key });
    if (mine !== shown) return;
    if (!signedIn) $("key-status").textContent = `Account ${data.name}.`;
    // Keys and payments wait for a verified email: their forms are not offered before.
    const unverified = data.email_verified === false;
    if (signedIn) {
      $("verify-panel").hidden = !unverified;
      $("new-key").hidden = unverified;
      if ($("add-credit")) $("add-credit").hidden = unverified;
    }
    showWebhookSecret(data);
    $("balance").textContent = usd(micros(data.balance_usd));
    $("held").textContent = usd(micros(data.held_usd));
    const usage = (await call("/v1/account/usage", { secret: key })).data.data;
    if (mine !== shown) return;
    const days = new Map();
    for (const row of usage) days.set(row.day, (days.get(row.day) ?? 0) + micros(row.spend_usd));
    const bars = [...days].reverse().slice(-30).map(([day, spend]) => ({ label: day.slice(5), value: spend }));
    barChart($("spend-chart"), bars, {
      format: usd,
      summary: `Spend per day over the last ${bars.length} day${bars.length === 1 ? "" : "s"} with activity; total ${usd(bars.reduce((sum, bar) => sum + bar.value, 0))}.`,
    });
    await more(mine);
    if (signedIn && data.email_verified) await loadKeys();
    await followPayment(mine);
  } catch (error) {
    if (mine !== shown) return;
    clear();
    status(explain(error));
  }
}

/** Where the page's own messages go: the key panel's line, or (signed in) the notice under the heading. */
function status(text) {
  const line = $("key-status") ?? $("welcome");
  line.textContent = text;
  line.hidden = false;
}

/** The payments table; back from Stripe, it is read again until that payment's event arrived (up to a minute). */
async function followPayment(mine) {
  if (!$("payments")) return;
  for (let tries = 0; tries < 30; tries++) {
    const state = await loadPayments(key);
    if (mine !== shown || state !== "pending") break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  if (mine !== shown) return;
  const { data } = await call("/v1/account", { secret: key });
  $("balance").textContent = usd(micros(data.balance_usd));
}

/** A row that belongs to no generation: "+$1.00" for a credit, "−$1.00" for a debit. */
function accountRow(row) {
  return el("tr", {},
    el("td", {}, when(row.created_at)),
    el("td", {}, KINDS[row.kind] ?? row.kind),
    el("td", { class: `number ${row.kind}` }, `${SIGNS[row.kind] ?? ""}${usd(Math.abs(micros(row.amount_usd)))}`),
    el("td", { class: "number" }, usd(micros(row.balance_after_usd))),
    el("td", {}, ""),
    el("td", {}, row.note));
}

/** "−$0.014" once charged, "$0.028 held" while it runs, "$0.00" when everything came back. */
function generationAmount(sums) {
  if (sums.charge > 0) return `−${usd(sums.charge)}`;
  return sums.release + sums.refund >= sums.hold ? usd(0) : `${usd(sums.hold - sums.release - sums.refund)} held`;
}

function generationNote(sums) {
  const back = sums.release + sums.refund;
  return [`held ${usd(sums.hold)}`, sums.charge > 0 ? `charged ${usd(sums.charge)}` : null, back > 0 ? `${usd(back)} back` : null]
    .filter(Boolean).join(" · ");
}

/** Adds a row to its generation's line (made by its newest row: the time and the balance after are that row's). */
function joinGenerationLine(row) {
  let line = lines.get(row.generation_id);
  const fresh = !line;
  if (fresh) {
    const link = el("a", { href: `/generations/${encodeURIComponent(row.generation_id)}` }, el("code", {}, row.generation_id));
    line = {
      sums: { hold: 0, charge: 0, release: 0, refund: 0 },
      amount: el("td", { class: "number generation" }),
      note: el("td", {}),
    };
    line.row = el("tr", {},
      el("td", {}, when(row.created_at)),
      el("td", {}, "Generation"),
      line.amount,
      el("td", { class: "number" }, usd(micros(row.balance_after_usd))),
      el("td", {}, link),
      line.note);
    lines.set(row.generation_id, line);
  }
  if (row.kind in line.sums) line.sums[row.kind] += Math.abs(micros(row.amount_usd));
  line.amount.textContent = generationAmount(line.sums);
  line.note.textContent = generationNote(line.sums);
  return fresh ? line.row : null;
}

async function more(mine = shown) {
  const query = before ? `?limit=20&before=${before}` : "?limit=20";
  const { data } = await call(`/v1/account/ledger${query}`, { secret: key });
  if (mine !== shown) return;
  const added = data.data.map((row) => (row.generation_id ? joinGenerationLine(row) : accountRow(row))).filter(Boolean);
  $("ledger").tBodies[0].append(...added);
  labelCells($("ledger"));
  before = data.next_before;
  $("ledger-more").hidden = !data.has_more;
}

$("ledger-more").addEventListener("click", () => more().catch((error) => status(explain(error))));
wireAddCredit(() => key);
wireLedgerCSV(() => key);
wireWebhookRotate(() => key);
if (signedIn) {
  wireKeyForm();
  const query = new URLSearchParams(location.search);
  if (query.has("welcome")) status("Account created. We mailed you a link to verify your email.");
  if (query.has("sent")) status("A new verification link is on its way.");
  load();
} else {
  secretField($("api-key"), $("remember"), "imagegate.api-key", (value) => {
    key = value;
    load();
  });
}
