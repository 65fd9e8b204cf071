// The console's pages: a hash router over the JSON API. Plain JS, no
// build step; every value is put in the page as text, never as HTML.
"use strict";

const state = { token: "", canSend: false, interval: 5000, timer: 0 };

// el builds an element: el("td", {class: "num"}, "42", child...).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) {
    const v = attrs[k];
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  return e;
}

function table(head, rows, opts) {
  return el("table", opts || {},
    el("thead", {}, el("tr", {}, head.map(h => el("th", { class: /^(Lag|Min|Max|Offset|Broker offset|Consumer offset|Rate|Put TPS|Get TPS|Stored|Queue|Size)/.test(h) ? "num" : null }, h)))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: head.length, class: "muted" }, "none"))));
}

const num = v => el("td", { class: "num" }, typeof v === "number" ? fmtNum(v) : v);
const fmtTime = ms => ms ? new Date(ms).toLocaleString() : "";
const link = (href, text) => el("a", { href }, text);
const enc = encodeURIComponent;

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-Console-Token": state.token },
  };
  const resp = await fetch("api/" + path, init);
  let data;
  try { data = await resp.json(); } catch (e) { data = { error: resp.status + " " + resp.statusText }; }
  if (!resp.ok) throw new Error(data.error || resp.statusText);
  return data;
}

function showError(err) {
  const box = document.getElementById("error");
  box.textContent = err ? String(err.message || err) : "";
  box.hidden = !err;
}

function params() {
  const h = location.hash.replace(/^#\/?/, "");
  const i = h.indexOf("?");
  return { page: (i < 0 ? h : h.slice(0, i)) || "cluster", q: new URLSearchParams(i < 0 ? "" : h.slice(i + 1)) };
}

function go(page, q) {
  const s = new URLSearchParams(q).toString();
  location.hash = "#/" + page + (s ? "?" + s : "");
}

// render shows a page; refresh re-renders it every sample interval.
async function render() {
  clearTimeout(state.timer);
  const { page, q } = params();
  for (const a of document.querySelectorAll("#nav a")) {
    const p = a.dataset.page;
    a.classList.toggle("active", p === page || p + "s" === page || (p === "messages" && page === "message"));
  }
  const view = pages[page] || pages.cluster;
  const root = document.getElementById("page");
  try {
    const content = await view(q);
    if (params().page !== page) return; // navigated away meanwhile
    showError(null);
    root.replaceChildren(content.node || content);
    root.dataset.page = page;
    if (content.refresh) state.timer = setTimeout(render, Math.max(state.interval, 1000));
  } catch (err) {
    showError(err);
    root.dataset.page = page;
  }
}

function pager(offset, limit, total, onPage) {
  return el("div", { class: "pager" },
    el("button", { class: "secondary", disabled: offset === 0, onclick: () => onPage(Math.max(0, offset - limit)) }, "← Previous"),
    el("span", { class: "muted" }, total ? (offset + 1) + "–" + Math.min(total, offset + limit) + " of " + total : "0"),
    el("button", { class: "secondary", disabled: offset + limit >= total, onclick: () => onPage(offset + limit) }, "Next →"));
}

function searchForm(placeholder, value, onSearch) {
  const input = el("input", { name: "q", placeholder, value: value || "" });
  return el("form", { class: "inline", onsubmit: e => { e.preventDefault(); onSearch(input.value); } },
    el("label", {}, "Filter", input), el("button", { type: "submit" }, "Search"));
}

function messageRows(msgs, extra) {
  return msgs.map(m => el("tr", {},
    el("td", {}, link("#/message?id=" + enc(m.offsetMsgId), m.msgId)),
    el("td", {}, m.tags), el("td", {}, m.keys),
    num(m.queueId), num(m.queueOffset),
    el("td", {}, fmtTime(m.storeTime)),
    el("td", { class: "body-preview" }, m.bodyEncoding === "base64" ? "(binary, " + m.bodySize + " bytes)" : m.body + (m.truncated ? "…" : "")),
    extra ? extra(m) : null));
}

const messageHead = ["Message ID", "Tags", "Keys", "Queue", "Offset", "Stored", "Body"];

const pages = {
  async cluster() {
    const d = await api("cluster");
    const rows = d.brokers.map(b => el("tr", {},
      el("td", {}, b.cluster), el("td", {}, b.name), num(b.id),
      el("td", {}, el("span", { class: "tag" + (b.role === "MASTER" ? " master" : "") }, b.role)),
      el("td", {}, b.addr), el("td", {}, b.version || b.error || ""),
      num(b.diskRatio ? (parseFloat(b.diskRatio) * 100).toFixed(1) + "%" : ""),
      num(b.putTps), num(b.getTps), num(b.msgPutTotalTodayNow || ""), num(b.msgGetTotalTodayNow || "")));
    return { refresh: true, node: el("div", {},
      el("h1", {}, "Cluster"),
      table(["Cluster", "Broker", "ID", "Role", "Address", "Version", "Disk used", "Put TPS", "Get TPS", "Put today", "Got today"], rows, { id: "brokers" }),
      el("h2", {}, "Messages put per second"),
      lineChart(d.putTps, { id: "tps-chart", label: "put TPS over time", unit: "msg/s" })) };
  },

  async topics(q) {
    const offset = +(q.get("offset") || 0), filter = q.get("q") || "";
    const d = await api("topics?q=" + enc(filter) + "&offset=" + offset + "&limit=20");
    const rows = d.topics.map(t => el("tr", {}, el("td", {}, link("#/topic?topic=" + enc(t.name), t.name)), num(t.rate)));
    return el("div", {}, el("h1", {}, "Topics"),
      searchForm("topic name", filter, v => go("topics", { q: v })),
      table(["Topic", "Rate (msg/s)"], rows, { id: "topics" }),
      pager(offset, 20, d.total, o => go("topics", { q: filter, offset: o })));
  },

  async topic(q) {
    const topic = q.get("topic") || "";
    const d = await api("topic?topic=" + enc(topic));
    const rows = d.queues.map(s => el("tr", {}, el("td", {}, s.brokerName), num(s.queueId), num(s.minOffset), num(s.maxOffset),
      el("td", {}, fmtTime(s.lastUpdateTimestamp))));
    return { refresh: true, node: el("div", {}, el("h1", {}, "Topic " + topic),
      el("div", { class: "figures" },
        el("div", { class: "figure" }, "Stored messages", el("b", { id: "stored" }, fmtNum(d.stored))),
        el("div", { class: "figure" }, "Queues", el("b", {}, d.queues.length))),
      el("p", {}, link("#/messages?topic=" + enc(topic) + "&mode=time", "Browse messages"), " · ",
        link("#/send?topic=" + enc(topic), "Send a test message")),
      table(["Broker", "Queue", "Min offset", "Max offset", "Last update"], rows, { id: "queues" }),
      el("h2", {}, "Messages per second"),
      lineChart(d.rate, { id: "rate-chart", label: "message rate over time", unit: "msg/s" })) };
  },

  async groups(q) {
    const offset = +(q.get("offset") || 0), filter = q.get("q") || "";
    const d = await api("groups?q=" + enc(filter) + "&offset=" + offset + "&limit=20");
    const rows = d.groups.map(g => el("tr", { class: g.lag > 0 ? "lagging" : null },
      el("td", {}, link("#/group?group=" + enc(g.name), g.name)), el("td", { class: "num lag" }, g.error || fmtNum(g.lag))));
    return el("div", {}, el("h1", {}, "Consumer groups"),
      searchForm("group name", filter, v => go("groups", { q: v })),
      table(["Group", "Lag"], rows, { id: "groups" }),
      pager(offset, 20, d.total, o => go("groups", { q: filter, offset: o })));
  },

  async group(q) {
    const group = q.get("group") || "";
    const d = await api("group?group=" + enc(group));
    const members = d.members.map(m => el("tr", {}, el("td", {}, m.clientId), el("td", {}, m.addr),
      el("td", {}, m.language), num(m.version),
      el("td", {}, Object.keys(m.subscriptions || {}).sort().map(t => el("div", {}, t + ": " + m.subscriptions[t])))));
    const queues = d.queues.map(s => el("tr", { class: s.lag > 0 ? "lagging" : null }, el("td", {}, s.topic),
      el("td", {}, s.brokerName), num(s.queueId), num(s.brokerOffset), num(s.consumerOffset), el("td", { class: "num lag" }, fmtNum(s.lag))));
    return { refresh: true, node: el("div", {}, el("h1", {}, "Consumer group " + group),
      el("div", { class: "figures" },
        el("div", { class: "figure" }, "Total lag", el("b", { id: "total-lag" }, fmtNum(d.lag))),
        el("div", { class: "figure" }, "Members online", el("b", { id: "members-online" }, d.members.length))),
      el("p", {}, link("#/dlq?group=" + enc(group), "Dead letters"), " · ", link("#/reset?group=" + enc(group), "Reset offset")),
      el("h2", {}, "Lag over time"),
      lineChart(d.lagSeries, { id: "lag-chart", label: "lag of " + group + " over time", unit: "msgs" }),
      el("h2", {}, "Members"),
      table(["Client ID", "Address", "Language", "Version", "Subscriptions"], members, { id: "members" }),
      el("h2", {}, "Lag per queue"),
      table(["Topic", "Broker", "Queue", "Broker offset", "Consumer offset", "Lag"], queues, { id: "group-queues" })) };
  },

  async messages(q) {
    const mode = q.get("mode") || "key";
    const f = { topic: el("input", { name: "topic", value: q.get("topic") || "", placeholder: "topic" }),
      key: el("input", { name: "key", value: q.get("key") || "", placeholder: "KEYS entry" }),
      id: el("input", { name: "id", value: q.get("id") || "", placeholder: "message id", size: 34 }),
      begin: el("input", { name: "begin", type: "datetime-local", value: q.get("begin") || "" }),
      end: el("input", { name: "end", type: "datetime-local", value: q.get("end") || "" }) };
    const modeSel = el("select", { name: "mode", onchange: () => go("messages", { mode: modeSel.value, topic: f.topic.value }) },
      ["key", "id", "time"].map(m => el("option", { value: m, selected: m === mode }, { key: "By key", id: "By message id", time: "By time range" }[m])));
    const fields = [el("label", {}, "Search", modeSel), el("label", {}, "Topic", f.topic)];
    if (mode === "key") fields.push(el("label", {}, "Key", f.key));
    if (mode === "id") fields.push(el("label", {}, "Message ID", f.id));
    if (mode === "time") fields.push(el("label", {}, "From", f.begin), el("label", {}, "To", f.end));
    const form = el("form", { class: "inline", id: "message-search", onsubmit: e => {
      e.preventDefault();
      const p = { mode, topic: f.topic.value };
      for (const k of ["key", "id", "begin", "end"]) if (f[k].value) p[k] = f[k].value;
      go("messages", p);
    } }, fields, el("button", { type: "submit" }, "Search"));
    const out = el("div", { id: "results" });
    const node = el("div", {}, el("h1", {}, "Messages"), form, out);
    const ready = (mode === "key" && q.get("key") && q.get("topic")) || (mode === "id" && q.get("id")) || (mode === "time" && q.get("topic"));
    if (!ready) { out.appendChild(el("p", { class: "muted" }, "Give a topic and a key, a message id, or a time range.")); return node; }
    const base = "messages?limit=20&topic=" + enc(q.get("topic") || "") +
      (mode === "key" ? "&key=" + enc(q.get("key")) : mode === "id" ? "&id=" + enc(q.get("id")) :
        "&begin=" + enc(q.get("begin") || "") + "&end=" + enc(q.get("end") || ""));
    const tbody = el("tbody");
    const more = el("button", { class: "secondary", hidden: true }, "Load more");
    let cursor = "";
    const load = async () => {
      const d = await api(base + (cursor ? "&cursor=" + enc(cursor) : ""));
      for (const r of messageRows(d.messages)) tbody.appendChild(r);
      if (!tbody.children.length) tbody.appendChild(el("tr", {}, el("td", { colspan: messageHead.length, class: "muted" }, "no messages found")));
      cursor = d.next || "";
      more.hidden = !cursor;
    };
    more.addEventListener("click", () => load().catch(showError));
    await load();
    out.append(el("table", { id: "messages" }, el("thead", {}, el("tr", {}, messageHead.map(h => el("th", {}, h)))), tbody),
      el("div", { class: "pager" }, more));
    return node;
  },

  async message(q) {
    const m = await api("message?id=" + enc(q.get("id") || ""));
    const props = Object.keys(m.properties || {}).sort().map(k => el("tr", {}, el("td", {}, k), el("td", {}, m.properties[k])));
    const consumed = (m.consumedBy || []).map(c => el("tr", {}, el("td", {}, link("#/group?group=" + enc(c.group), c.group)),
      el("td", {}, el("span", { class: "tag " + (c.consumed ? "yes" : "no") }, c.consumed ? "consumed" : "not yet")), num(c.consumerOffset)));
    const facts = [["Message ID", m.msgId], ["Offset message ID", m.offsetMsgId], ["Topic", m.topic], ["Tags", m.tags],
      ["Keys", m.keys], ["Queue", m.queueId], ["Queue offset", m.queueOffset], ["Born", fmtTime(m.bornTime) + " from " + m.bornHost],
      ["Stored", fmtTime(m.storeTime) + " on " + m.storeHost], ["Reconsume times", m.reconsumeTimes], ["Body size", m.bodySize + " bytes"]];
    return el("div", {}, el("h1", {}, "Message"),
      table(["Field", "Value"], facts.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, String(v)))), { id: "message-facts" }),
      el("h2", {}, "Body" + (m.bodyEncoding === "json" ? " (JSON)" : m.bodyEncoding === "base64" ? " (base64)" : "") + (m.truncated ? " — first 1 MiB" : "")),
      el("pre", { id: "message-body" }, m.body),
      el("h2", {}, "Consumed by"), table(["Group", "State", "Consumer offset"], consumed, { id: "consumed-by" }),
      el("h2", {}, "Properties"), table(["Key", "Value"], props, { id: "properties" }));
  },

  async dlq(q) {
    const group = q.get("group") || "";
    const input = el("input", { name: "group", value: group, placeholder: "consumer group" });
    const form = el("form", { class: "inline", onsubmit: e => { e.preventDefault(); go("dlq", { group: input.value }); } },
      el("label", {}, "Group", input), el("button", { type: "submit" }, "Show"));
    const node = el("div", {}, el("h1", {}, "Dead-letter queue"), form);
    if (!group) { node.appendChild(el("p", { class: "muted" }, "Give a consumer group to see its dead letters.")); return node; }
    const note = el("div", { id: "resend-result" });
    const tbody = el("tbody");
    const more = el("button", { class: "secondary", hidden: true }, "Load more");
    let cursor = "";
    const resend = async (m, btn) => {
      btn.disabled = true;
      try {
        const r = await api("dlq/resend", { id: m.offsetMsgId });
        note.replaceChildren(el("div", { class: "ok" }, "Resent to " + r.topic + " as " + r.msgId));
        btn.textContent = "Resent";
      } catch (err) { btn.disabled = false; showError(err); }
    };
    const load = async () => {
      const d = await api("dlq?limit=20&group=" + enc(group) + (cursor ? "&cursor=" + enc(cursor) : ""));
      for (const r of messageRows(d.messages, m => {
        const btn = el("button", { class: "resend", disabled: !state.canSend });
        btn.textContent = "Resend";
        btn.addEventListener("click", () => resend(m, btn));
        return [el("td", {}, m.properties.RETRY_TOPIC), el("td", {}, btn)];
      })) tbody.appendChild(r);
      if (!tbody.children.length) tbody.appendChild(el("tr", {}, el("td", { colspan: messageHead.length + 2, class: "muted" }, "no dead letters")));
      cursor = d.next || "";
      more.hidden = !cursor;
    };
    more.addEventListener("click", () => load().catch(showError));
    await load();
    node.append(note, el("table", { id: "dlq" }, el("thead", {}, el("tr", {}, messageHead.concat(["Sent to", ""]).map(h => el("th", {}, h)))), tbody),
      el("div", { class: "pager" }, more));
    return node;
  },

  async reset(q) {
    const f = { group: el("input", { name: "group", value: q.get("group") || "", required: true }),
      topic: el("input", { name: "topic", value: q.get("topic") || "", required: true }),
      time: el("input", { name: "time", type: "datetime-local", step: 1, required: true }) };
    const out = el("div", { id: "reset-result" });
    const form = el("form", { class: "stack", onsubmit: async e => {
      e.preventDefault();
      try {
        const d = await api("reset", { group: f.group.value, topic: f.topic.value, time: f.time.value });
        showError(null);
        out.replaceChildren(el("div", { class: "ok" }, "Reset " + d.queues.length + " queues of " + d.topic + " for " + d.group),
          table(["Broker", "Queue", "Old offset", "New offset"], d.queues.map(r => el("tr", {}, el("td", {}, r.brokerName),
            num(r.queueId), num(r.oldOffset), num(r.newOffset)))));
      } catch (err) { showError(err); }
    } }, el("label", {}, "Group", f.group), el("label", {}, "Topic", f.topic),
    el("label", {}, "Resume from messages stored at or after", f.time), el("div", {}, el("button", { type: "submit" }, "Reset offset")));
    return el("div", {}, el("h1", {}, "Reset a group's offset"), form, out);
  },

  async send(q) {
    const f = { topic: el("input", { name: "topic", value: q.get("topic") || "", required: true }),
      tag: el("input", { name: "tag" }), keys: el("input", { name: "keys", placeholder: "space-separated" }),
      body: el("textarea", { name: "body", required: true }) };
    const out = el("div", { id: "send-result" });
    const button = el("button", { type: "submit", disabled: !state.canSend }, "Send");
    const form = el("form", { class: "stack", onsubmit: async e => {
      e.preventDefault();
      try {
        const d = await api("send", { topic: f.topic.value, tag: f.tag.value, keys: f.keys.value, body: f.body.value });
        showError(null);
        out.replaceChildren(el("div", { class: "ok" }, "Sent " + d.msgId + " (" + d.status + ") to queue " + d.queueId + " of " + d.brokerName + " at offset " + d.queueOffset));
      } catch (err) { showError(err); }
    } }, el("label", {}, "Topic", f.topic), el("label", {}, "Tag", f.tag), el("label", {}, "Keys", f.keys),
    el("label", {}, "Body", f.body), el("div", {}, button));
    return el("div", {}, el("h1", {}, "Send a test message"),
      state.canSend ? null : el("p", { class: "muted" }, "Sending is not enabled on this console."), form, out);
  },
};

async function start() {
  try {
    const s = await api("session");
    state.token = s.csrfToken;
    state.canSend = s.canSend;
    state.interval = s.sampleIntervalMs || 5000;
  } catch (err) { showError(err); }
  window.addEventListener("hashchange", render);
  render();
}

start();
