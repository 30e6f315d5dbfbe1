// The account page: balance, money on hold, spend per day and the whole ledger, read with the person's own key.
import { barChart } from "./charts.js";
import { call, el, explain, micros, secretField, usd, when } from "./common.js";

const $ = (id) => document.getElementById(id);
const KINDS = { credit: "Credit", debit: "Debit", hold: "Hold", charge: "Charge", release: "Release", refund: "Refund" };
let key = "";
let before = null;

async function load() {
  $("ledger").tBodies[0].replaceChildren();
  before = null;
  if (!key) {
    $("key-status").textContent = "Enter an API key to see its account.";
    return;
  }
  try {
    const { data } = await call("/v1/account", { secret: key });
    $("key-status").textContent = `Account ${data.name}.`;
    $("balance").textContent = usd(micros(data.balance_usd));
    $("held").textContent = usd(micros(data.held_usd));
    const usage = (await call("/v1/account/usage", { secret: key })).data.data;
    const days = new Map();
    for (const row of usage) days.set(row.day, (days.get(row.day) ?? 0) + micros(row.spend_usd));
    const bars = [...days].reverse().slice(-30).map(([day, spend]) => ({ label: day.slice(5), value: spend }));
    barChart($("spend-chart"), bars, {
      format: usd,
      summary: `Spend per day over the last ${bars.length} day${bars.length === 1 ? "" : "s"} with activity; total ${usd(bars.reduce((sum, bar) => sum + bar.value, 0))}.`,
    });
    await more();
  } catch (error) {
    $("key-status").textContent = explain(error);
  }
}

async function more() {
  const query = before ? `?limit=20&before=${before}` : "?limit=20";
  const { data } = await call(`/v1/account/ledger${query}`, { secret: key });
  $("ledger").tBodies[0].append(...data.data.map((row) =>
    el("tr", {},
      el("td", {}, when(row.created_at)),
      el("td", {}, KINDS[row.kind] ?? row.kind),
      el("td", { class: "number" }, usd(micros(row.amount_usd))),
      el("td", { class: "number" }, usd(micros(row.balance_after_usd))),
      el("td", {}, row.generation_id ? el("code", {}, row.generation_id) : ""),
      el("td", {}, row.note))));
  before = data.next_before;
  $("ledger-more").hidden = !data.has_more;
}

$("ledger-more").addEventListener("click", () => more().catch((error) => { $("key-status").textContent = explain(error); }));
secretField($("api-key"), $("remember"), "imagegate.api-key", (value) => {
  key = value;
  load();
});
