// The account page: balance, money on hold, spend per day and the whole ledger, read with the person's own key.
import { barChart } from "./charts.js";
import { call, el, explain, labelCells, micros, secretField, usd, when } from "./common.js";

const $ = (id) => document.getElementById(id);
const KINDS = { credit: "Credit", debit: "Debit", hold: "Hold", charge: "Charge", release: "Release", refund: "Refund" };
// What a movement does to the money that is yours: a credit adds (+), a debit or a charge takes away (−); a hold and
// what comes back from it (release, refund) only move money between available and on hold, so they carry no sign.
const SIGNS = { credit: "+", debit: "−", charge: "−" };
let key = "";
let before = null;
// Which load the page shows: a later one (another key, or the same key entered again) makes an earlier one's answers
// stale, so two loads racing never mix their rows or figures.
let shown = 0;

/** Forgets what the previous key showed: a rejected key must not leave another account's figures on the page. */
function clear() {
  $("ledger").tBodies[0].replaceChildren();
  $("ledger-more").hidden = true;
  $("balance").textContent = "—";
  $("held").textContent = "—";
  $("spend-chart").replaceChildren();
  before = null;
}

async function load() {
  const mine = ++shown;
  clear();
  if (!key) {
    $("key-status").textContent = "Enter an API key to see its account.";
    return;
  }
  try {
    const { data } = await call("/v1/account", { secret: key });
    if (mine !== shown) return;
    $("key-status").textContent = `Account ${data.name}.`;
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
  } catch (error) {
    if (mine !== shown) return;
    clear();
    $("key-status").textContent = explain(error);
  }
}

/** "+$1.00", "−$0.014", "$0.014 held", "$0.014 back from hold". */
function amountText(row) {
  const amount = usd(Math.abs(micros(row.amount_usd)));
  if (SIGNS[row.kind]) return `${SIGNS[row.kind]}${amount}`;
  return row.kind === "hold" ? `${amount} held` : `${amount} back from hold`;
}

async function more(mine = shown) {
  const query = before ? `?limit=20&before=${before}` : "?limit=20";
  const { data } = await call(`/v1/account/ledger${query}`, { secret: key });
  if (mine !== shown) return;
  $("ledger").tBodies[0].append(...data.data.map((row) =>
    el("tr", {},
      el("td", {}, when(row.created_at)),
      el("td", {}, KINDS[row.kind] ?? row.kind),
      el("td", { class: `number ${row.kind}` }, amountText(row)),
      el("td", { class: "number" }, usd(micros(row.balance_after_usd))),
      el("td", {}, row.generation_id ? el("code", {}, row.generation_id) : ""),
      el("td", {}, row.note))));
  labelCells($("ledger"));
  before = data.next_before;
  $("ledger-more").hidden = !data.has_more;
}

$("ledger-more").addEventListener("click", () => more().catch((error) => { $("key-status").textContent = explain(error); }));
secretField($("api-key"), $("remember"), "imagegate.api-key", (value) => {
  key = value;
  load();
});
