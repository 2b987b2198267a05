#pragma once
// The stylesheet and script the HTML report inlines. They are constants, never built from data: the page's
// Content-Security-Policy allows exactly these two blocks by their hashes.
#include <string_view>

namespace certfleet::report::html_assets {

// Light, print-friendly, system fonts only (nothing to fetch).
inline constexpr std::string_view kStyle = R"css(
:root {
  --ink: #1d2733; --muted: #5b6776; --line: #d8dde4; --panel: #f5f7fa; --accent: #1f5fa8;
  --critical: #b42318; --high: #c4320a; --medium: #a15c07; --low: #175cd3; --info: #475467; --ok: #067647;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1680px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 24px; }
h1 { font-size: 1.7rem; margin: 0 0 2px; }
h2 { font-size: 1.25rem; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.02rem; margin: 18px 0 2px; }
h4 { font-size: .78rem; margin: 12px 0 4px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
p { margin: 4px 0 8px; }
a { color: var(--accent); }
.meta, .muted, .note { color: var(--muted); }
.note { font-size: .9rem; }
nav { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 10px 0; border-bottom: 1px solid var(--line); font-size: .92rem; }
.nowrap { white-space: nowrap; }
.mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: .86em; }

.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 12px; margin-bottom: 12px; }
.tile { border: 1px solid var(--line); border-left: 5px solid var(--accent); border-radius: 6px; padding: 10px 14px;
  background: var(--panel); break-inside: avoid; }
.tile .value { font-size: 2rem; font-weight: 650; line-height: 1.1; font-variant-numeric: tabular-nums; }
.tile .label { font-size: .92rem; }
.tile .detail { font-size: .8rem; color: var(--muted); }
.tone-critical { border-left-color: var(--critical); } .tone-high { border-left-color: var(--high); }
.tone-medium { border-left-color: var(--medium); } .tone-low { border-left-color: var(--low); }
.tone-info { border-left-color: var(--info); } .tone-ok { border-left-color: var(--ok); }

figure { margin: 6px 0 4px; break-inside: avoid; }
figcaption { font-size: .88rem; color: var(--muted); }
svg.chart { display: block; width: 100%; max-width: 1100px; height: auto; }
.chart text { font-size: 10px; fill: var(--muted); }
.chart text.count { fill: var(--ink); font-weight: 600; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .bar rect { fill: var(--accent); }
.chart .bar.soon rect { fill: var(--medium); }
.chart .bar.expired rect { fill: var(--critical); }
.chart .unmet { stroke: var(--critical); fill: var(--critical); }
.chart .met { stroke: var(--ok); fill: var(--ok); }
.chart .exempt { stroke: var(--info); fill: var(--info); stroke-dasharray: 4 3; }
.chart .deadline line { stroke: var(--ink); stroke-width: 1.5; stroke-dasharray: 6 4; }
.chart .deadline text { fill: var(--ink); font-weight: 600; }
.chart polyline { fill: none; stroke-width: 2; }
.legend { font-size: .85rem; color: var(--muted); }
.legend .key { display: inline-block; width: 12px; height: 3px; margin: 0 4px 3px 10px; vertical-align: middle; }
.legend .key.unmet { background: var(--critical); } .legend .key.met { background: var(--ok); }
.legend .key.exempt { background: var(--info); } .legend .key.deadline { background: var(--ink); width: 3px; height: 12px; }
.migration { break-inside: avoid; }

.table-tools { display: flex; align-items: center; gap: 12px; margin: 8px 0 4px; font-size: .88rem; color: var(--muted); }
.table-tools input { font: inherit; color: var(--ink); padding: 4px 8px; min-width: 300px;
  border: 1px solid var(--line); border-radius: 4px; }
.table-wrap { overflow-x: auto; }
table.data { width: 100%; border-collapse: collapse; font-size: .9rem; }
table.data th { position: sticky; top: 0; z-index: 1; background: #fff; text-align: left; white-space: nowrap;
  border-bottom: 2px solid var(--ink); padding: 0; }
table.data th button { all: unset; display: block; box-sizing: border-box; width: 100%; cursor: pointer;
  padding: 6px 8px; font-weight: 650; }
table.data th[aria-sort="ascending"] button::after { content: " \25B2"; font-size: .7em; }
table.data th[aria-sort="descending"] button::after { content: " \25BC"; font-size: .7em; }
table.data td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: break-word; }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data th.num button { text-align: right; }
tbody.record:hover > tr:first-child { background: var(--panel); }
tr.details > td { background: var(--panel); padding: 8px 16px 14px 34px; }
button.expand { all: unset; cursor: pointer; display: inline-block; width: 1.2em; color: var(--muted); }
button.expand::before { content: "\25B8"; }
button.expand[aria-expanded="true"]::before { content: "\25BE"; }
button:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }

.days-expired { color: var(--critical); font-weight: 650; }
.days-soon { color: var(--medium); font-weight: 650; }
.severity { display: inline-block; min-width: 5.5em; padding: 0 6px; border-radius: 3px; color: #fff;
  font-size: .8rem; font-weight: 600; text-align: center; }
.severity-critical { background: var(--critical); } .severity-high { background: var(--high); }
.severity-medium { background: var(--medium); } .severity-low { background: var(--low); }
.severity-info { background: var(--info); }
.flag { display: inline-block; margin: 0 4px 2px 0; padding: 0 6px; border: 1px solid var(--line);
  border-radius: 10px; font-size: .78rem; background: #fff; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.list { margin: 0; padding-left: 18px; }
ul.list li { overflow-wrap: anywhere; }
footer { margin-top: 40px; padding-top: 10px; padding-bottom: 24px; border-top: 1px solid var(--line);
  font-size: .82rem; color: var(--muted); }

@page { margin: 14mm 12mm; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-size: 10pt; }
  header, main, footer { max-width: none; padding: 0; }
  nav, .table-tools input, button.expand { display: none; }
  table.data th { position: static; }
  .table-wrap { overflow: visible; }
  h2 { break-after: avoid; }
  tbody.record, .tile, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
)css";

// Sorting, filtering and expanding the tables the page already holds: it only reorders and hides rows, and
// reads data from nowhere but the DOM. The state lives in the URL fragment (#sort=certs:-days&filter=certs:web),
// so a view can be shared, bookmarked and printed as seen.
inline constexpr std::string_view kScript = R"js(
"use strict";
(() => {
  const tables = new Map(Array.from(document.querySelectorAll("table.data"), (table) => [table.id, table]));
  const records = (table) => Array.from(table.tBodies);
  const sortValue = (record, column) => {
    const cell = record.rows[0].cells[column];
    return cell.dataset.value ?? cell.textContent.trim();
  };

  function sortTable(table, key, descending) {
    const headers = Array.from(table.tHead.rows[0].cells);
    const column = headers.findIndex((header) => header.dataset.key === key);
    if (column < 0) return;
    const numeric = headers[column].dataset.type === "number";
    const compare = numeric ? (a, b) => Number(a) - Number(b)
                            : (a, b) => a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
    const direction = descending ? -1 : 1;
    records(table)
      .sort((a, b) => direction * compare(sortValue(a, column), sortValue(b, column)))
      .forEach((record) => table.appendChild(record));
    headers.forEach((header, index) =>
      header.setAttribute("aria-sort", index !== column ? "none" : descending ? "descending" : "ascending"));
    table.dataset.sort = (descending ? "-" : "") + key;
  }

  // A record matches when any of its text does, its hidden details included (a path, a SAN).
  function filterTable(table, text) {
    const needle = text.trim().toLocaleLowerCase();
    let shown = 0;
    for (const record of records(table)) {
      record.hidden = needle !== "" && !record.textContent.toLocaleLowerCase().includes(needle);
      if (!record.hidden) shown += 1;
    }
    const input = document.querySelector(`input[data-filter="${table.id}"]`);
    if (input.value !== text) input.value = text;
    document.querySelector(`[data-shown="${table.id}"]`).textContent =
      `${shown} of ${records(table).length} shown`;
    table.dataset.filter = text;
  }

  function applyFragment() {
    for (const [action, value] of new URLSearchParams(location.hash.slice(1))) {
      const colon = value.indexOf(":");
      const table = tables.get(value.slice(0, colon));
      if (colon < 0 || !table) continue;
      const argument = value.slice(colon + 1);
      if (action === "sort") sortTable(table, argument.replace(/^-/, ""), argument.startsWith("-"));
      if (action === "filter") filterTable(table, argument);
    }
  }

  function saveFragment() {
    const state = new URLSearchParams();
    for (const [id, table] of tables) {
      if (table.dataset.sort) state.append("sort", `${id}:${table.dataset.sort}`);
      if (table.dataset.filter) state.append("filter", `${id}:${table.dataset.filter}`);
    }
    history.replaceState(null, "", `#${state}`);
  }

  document.addEventListener("click", (event) => {
    const sortButton = event.target.closest("th[data-key] > button");
    if (sortButton) {
      const header = sortButton.parentElement;
      sortTable(header.closest("table"), header.dataset.key, header.getAttribute("aria-sort") === "ascending");
      saveFragment();
      return;
    }
    const expand = event.target.closest("button.expand");
    if (expand) {
      const open = expand.getAttribute("aria-expanded") !== "true";
      expand.setAttribute("aria-expanded", String(open));
      expand.closest("tbody").rows[1].hidden = !open;
    }
  });
  document.addEventListener("input", (event) => {
    const table = tables.get(event.target.dataset.filter);
    if (!table) return;
    filterTable(table, event.target.value);
    saveFragment();
  });
  window.addEventListener("hashchange", applyFragment);
  tables.forEach((table) => filterTable(table, ""));
  applyFragment();
})();
)js";

}  // namespace certfleet::report::html_assets
