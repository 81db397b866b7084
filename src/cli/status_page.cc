#include "cli/status_page.h"

#include "cli/operator_ops.h"

namespace eb::cli {

namespace {

// The page: CSS and script inline, the data in a JSON script element.
// Rendering happens in the browser from that data (and, live, from /api/status).
constexpr const char* kHead = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>eventbarrier status</title>
<style>
:root{--ok:#1a7f37;--warn:#b35900;--bad:#c62828;--muted:#667085;--bg:#f6f7f9;--card:#fff;--line:#e3e6ea;--accent:#2f5bd3}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;background:var(--bg);color:#1d2433}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:14px 20px;background:#1d2433;color:#fff}
header h1{font-size:17px;margin:0 12px 0 0;font-weight:600}
header .meta{color:#c7cdd8;font-size:12px}
header label{font-size:12px;color:#c7cdd8}
header select{margin-left:4px;font:inherit;padding:2px 4px;border-radius:4px}
main{padding:16px 20px;display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px;border-left:5px solid var(--muted)}
.card[data-state=tripped]{border-left-color:var(--ok)}
.card[data-state=forced],.card[data-state="timed out"]{border-left-color:var(--warn)}
.card[data-state=overdue],.card[data-state="re-drive pending"]{border-left-color:var(--bad)}
.card[data-state=collecting]{border-left-color:var(--accent)}
.title{display:flex;justify-content:space-between;gap:8px;align-items:baseline}
.title b{font-size:15px}.title .inst{color:var(--muted);font-family:ui-monospace,monospace;font-size:12px}
.badge{font-size:11px;font-weight:600;text-transform:uppercase;padding:2px 7px;border-radius:10px;background:#eef0f3;color:#344054;white-space:nowrap}
.badge.tripped{background:#dcf5e3;color:var(--ok)}.badge.forced,.badge.timed-out{background:#fff0db;color:var(--warn)}
.badge.overdue,.badge.re-drive-pending{background:#fde2e2;color:var(--bad)}.badge.collecting{background:#e3ebff;color:var(--accent)}
.bar{height:10px;background:#eef0f3;border-radius:5px;margin:8px 0 4px;overflow:hidden}
.bar>div{height:100%;background:var(--accent)}.card[data-state=tripped] .bar>div{background:var(--ok)}
.row{display:flex;justify-content:space-between;color:var(--muted);font-size:12px}
.countdown{font-variant-numeric:tabular-nums;font-weight:600;color:#1d2433}.countdown.over{color:var(--bad)}
ul.members{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px}
ul.members li{font:12px ui-monospace,monospace;padding:1px 6px;border-radius:4px}
li.member.missing{background:#fde2e2;color:var(--bad)}li.member.missing::before{content:"\2717  "}
li.member.arrived{background:#dcf5e3;color:var(--ok)}li.member.arrived::before{content:"\2713  "}
.facts{margin-top:8px;font-size:12px;color:#344054;display:flex;gap:14px;flex-wrap:wrap}
.facts span b{font-variant-numeric:tabular-nums}
.chart{margin-top:8px}.chart svg{display:block}.chart .cap{font-size:11px;color:var(--muted)}
.empty{padding:40px;color:var(--muted)}
</style></head><body>
<header><h1>eventbarrier</h1>
<label>barrier<select id="f-barrier"><option value="">all</option></select></label>
<label>state<select id="f-state"><option value="">all</option></select></label>
<span class="meta" id="meta"></span></header>
<main id="instances"></main>
<script type="application/json" id="eb-data">)HTML";

constexpr const char* kTail = R"HTML(</script>
<script>
"use strict";
const OPTS = JSON.parse(document.getElementById("eb-options").textContent);
let DATA = JSON.parse(document.getElementById("eb-data").textContent);
const STATES = ["waiting","collecting","overdue","re-drive pending","tripped","forced","timed out"];
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k) e.appendChild(typeof k === "string" ? document.createTextNode(k) : k);
  return e;
}
function stateOf(s) {
  if (s.pending_redrives.length) return "re-drive pending";
  if (s.finished) { const st = s.last_trip && s.last_trip.status; return st === "timeout" ? "timed out" : st === "forced" ? "forced" : "tripped"; }
  if (s.arrivals === 0) return "waiting";
  if (s.deadline_ms && s.deadline_ms <= Date.now()) return "overdue";
  return "collecting";
}
function dur(ms) {
  const neg = ms < 0; ms = Math.abs(ms); const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
  const t = h ? h + "h" + String(m).padStart(2, "0") + "m" + String(r).padStart(2, "0") + "s" : m ? m + "m" + String(r).padStart(2, "0") + "s" : r + "s";
  return neg ? "-" + t : t;
}
function latencyText(ms) { return ms >= 1000 ? dur(ms) : ms + "ms"; }
function chart(trips) {
  if (!trips || !trips.length) return null;
  const list = trips.slice().reverse(), w = 300, h = 46, bw = Math.min(22, Math.max(4, Math.floor(w / list.length) - 3));
  const max = Math.max(1, ...list.map(t => t.latency_ms));
  const NS = "http://www.w3.org/2000/svg", svg = document.createElementNS(NS, "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("class", "latency");
  list.forEach((t, i) => {
    const r = document.createElementNS(NS, "rect"), bh = Math.max(2, Math.round((h - 4) * t.latency_ms / max));
    r.setAttribute("x", i * (bw + 3)); r.setAttribute("y", h - bh); r.setAttribute("width", bw); r.setAttribute("height", bh);
    r.setAttribute("fill", t.outcome === "complete" ? "#1a7f37" : t.outcome === "void" ? "#98a2b3" : "#b35900");
    const title = document.createElementNS(NS, "title");
    title.textContent = "#" + t.generation + " " + t.outcome + " " + latencyText(t.latency_ms) + " (" + t.objects + " objects)";
    r.appendChild(title); svg.appendChild(r);
  });
  const last = list[list.length - 1];
  return el("div", {class: "chart"}, svg, el("div", {class: "cap", text: (list.length === 1 ? "last trip" : "last " + list.length + " trips") + ", first arrival \u2192 trip; latest #" + last.generation + ": " + latencyText(last.latency_ms)}));
}
function card(s) {
  const state = stateOf(s);
  const pct = s.needed ? Math.round(100 * s.have / s.needed) : 0;
  const c = el("section", {class: "card", "data-barrier": s.barrier, "data-instance": s.instance, "data-state": state});
  c.appendChild(el("div", {class: "title"}, el("div", {}, el("b", {text: s.barrier}), " ", el("span", {class: "inst", text: s.instance})),
                   el("span", {class: "badge " + state.replace(/ /g, "-"), text: state})));
  const bar = el("div", {class: "bar", role: "progressbar", "aria-valuenow": s.have, "aria-valuemax": s.needed}, el("div", {style: "width:" + pct + "%"}));
  c.appendChild(bar);
  const cd = el("span", {class: "countdown"});
  if (s.deadline_ms && !s.finished) cd.setAttribute("data-deadline", s.deadline_ms);
  c.appendChild(el("div", {class: "row"}, el("span", {class: "progress", text: s.have + " / " + s.needed + " members \u00b7 generation " + s.generation}), cd));
  const ul = el("ul", {class: "members"});
  for (const m of s.missing) ul.appendChild(el("li", {class: "member missing", text: m}));
  for (const m of s.arrived) ul.appendChild(el("li", {class: "member arrived", text: m}));
  c.appendChild(ul);
  const facts = el("div", {class: "facts"});
  facts.appendChild(el("span", {class: "late"}, "late arrivals ", el("b", {text: String(s.late_arrivals || 0)})));
  facts.appendChild(el("span", {class: "pending"}, "pending re-drives ", el("b", {text: String(s.pending_redrives.length)})));
  for (const p of s.pending_redrives) if (p.failures) facts.appendChild(el("span", {class: "failing"}, "gen " + p.generation + " failing: " + p.failures + " failed attempt(s), next " + p.next_attempt + " ", el("b", {text: p.last_error || ""})));
  if (s.last_trip) facts.appendChild(el("span", {class: "last"}, "last trip #" + s.last_trip.generation + " " + s.last_trip.status + " ", el("b", {text: s.last_trip.tripped_at.replace("T", " ").replace(/\.\d+Z$/, "Z")})));
  c.appendChild(facts);
  const ch = chart(s.recent_trips); if (ch) c.appendChild(ch);
  return c;
}
function tick() {
  for (const cd of document.querySelectorAll(".countdown[data-deadline]")) {
    const left = Number(cd.getAttribute("data-deadline")) - Date.now();
    cd.textContent = left > 0 ? "times out in " + dur(left) : "overdue by " + dur(-left);
    cd.classList.toggle("over", left <= 0);
    cd.setAttribute("data-remaining-ms", String(left));
  }
}
function fillSelect(id, values) {
  const s = document.getElementById(id);
  while (s.options.length > 1) s.remove(1);
  for (const v of values) s.appendChild(el("option", {value: v, text: v}));
}
// Filters: the selects, first set from the address (?barrier=B&state=S, so a view can be bookmarked).
const QUERY = new URLSearchParams(location.search);
const FILTER = {barrier: QUERY.get("barrier") || "", state: QUERY.get("state") || ""};
function render() {
  fillSelect("f-barrier", [...new Set(DATA.instances.map(s => s.barrier))]);
  fillSelect("f-state", STATES);
  const fb = FILTER.barrier, fs = FILTER.state;
  document.getElementById("f-barrier").value = fb; document.getElementById("f-state").value = fs;
  const main = document.getElementById("instances");
  main.replaceChildren();
  const shown = DATA.instances.filter(s => (!fb || s.barrier === fb) && (!fs || stateOf(s) === fs));
  for (const s of shown) main.appendChild(card(s));
  if (!shown.length) main.appendChild(el("div", {class: "empty", text: DATA.instances.length ? "no instance matches the filters" : "no barrier instances"}));
  for (const w of DATA.warnings || []) main.appendChild(el("div", {class: "empty", text: "warning: " + w}));
  document.getElementById("meta").textContent = "state read " + DATA.generated_at + (OPTS.live ? " \u00b7 refreshes every " + OPTS.refresh_seconds + "s" : "");
  tick();
}
for (const [id, key] of [["f-barrier", "barrier"], ["f-state", "state"]]) {
  document.getElementById(id).addEventListener("change", e => {
    FILTER[key] = e.target.value;
    const q = new URLSearchParams(location.search);
    if (FILTER[key]) q.set(key, FILTER[key]); else q.delete(key);
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
    render();
  });
}
render();
setInterval(tick, 1000);
if (OPTS.live) setInterval(async () => {
  try {
    // From the origin and path alone: a page opened as http://user:token@host/ may not
    // fetch a URL that carries credentials; the browser sends the ones it holds.
    const r = await fetch(new URL("api/status", location.origin + location.pathname), {cache: "no-store", credentials: "same-origin"});
    if (r.ok) { DATA = await r.json(); render(); }
  } catch (e) { document.getElementById("meta").textContent = "refresh failed: " + e; }
}, OPTS.refresh_seconds * 1000);
</script></body></html>
)HTML";

// JSON inside a script element: "</" would end it early.
std::string ScriptSafe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<') {
      out += "\\u003c";
    } else {
      out += json[i];
    }
  }
  return out;
}

}  // namespace

std::string StatusPageHtml(const nlohmann::ordered_json& status, const StatusPageOptions& options) {
  nlohmann::ordered_json opts{{"live", options.live}, {"refresh_seconds", options.refresh_seconds}};
  std::string html = kHead;
  html += ScriptSafe(Dump(status));
  html += "</script>\n<script type=\"application/json\" id=\"eb-options\">";
  html += ScriptSafe(Dump(opts));
  html += kTail;
  return html;
}

StatusPages::StatusPages(const std::string& token, ObjectStore& store, const Config& config,
                         Clock& clock)
    : auth_(token), store_(store), config_(config), clock_(clock) {}

bool StatusPages::Serves(const http::ServerRequest& request) {
  return request.method == "GET" && (request.path == "/" || request.path == "/api/status");
}

http::ServerResponse StatusPages::Handle(const http::ServerRequest& request) {
  http::ServerResponse response;
  if (!auth_.Check(request.Header("authorization"))) {
    response.status = 401;
    response.body =
        Dump({{"ok", false},
              {"error",
               "Authorization: the status page needs the token (Basic: any user name, the token "
               "as the password; or Bearer TOKEN)"}});
    // Basic, so that a browser asks for it.
    response.headers.emplace_back("WWW-Authenticate",
                                  "Basic realm=\"eventbarrier\", charset=\"UTF-8\"");
    return response;
  }
  auto status =
      StatusJson(store_, config_, {.all = false, .trips = kStatusPageTrips}, clock_.NowMs());
  if (!status.ok()) {
    response.status = status.status().code() == Code::kUnavailable ? 503 : 500;
    response.body = Dump({{"ok", false}, {"error", status.status().ToString()}});
    return response;
  }
  response.headers.emplace_back("Cache-Control", "no-store");
  if (request.path == "/api/status") {
    response.body = Dump(*status);
    return response;
  }
  response.content_type = "text/html; charset=utf-8";
  response.body = StatusPageHtml(*status, {.live = true});
  return response;
}

}  // namespace eb::cli
