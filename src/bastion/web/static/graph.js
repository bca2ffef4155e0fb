// The entity graph page: draws the graph with vis-network (served locally), shows a clicked node, expands
// from an actor in place, and keeps the table twin in step with the drawing. Text is always set with
// textContent, never as HTML.
"use strict";

(function () {
  const dataNode = document.getElementById("graph-data");
  if (!dataNode) return;
  const first = JSON.parse(dataNode.textContent);
  const container = document.getElementById("graph-canvas");
  const nodeTable = document.getElementById("node-table");
  const edgeTable = document.getElementById("edge-table");
  const known = new Map(); // node id -> node as the API gives it
  const edgeIds = new Set();
  const colours = {
    actor: "#2f6fed", ip: "#d97706", device: "#7c3aed", email_domain: "#0891b2", phone: "#be185d",
    url: "#15803d", domain: "#4d7c0f", payment: "#b91c1c", image: "#475569", text_cluster: "#a16207",
  };
  const nodes = typeof vis !== "undefined" ? new vis.DataSet() : null;
  const edges = typeof vis !== "undefined" ? new vis.DataSet() : null;
  let network = null;

  function label(node) {
    const value = node.value.length > 24 ? node.value.slice(0, 22) + "…" : node.value;
    const count = node.kind !== "actor" && node.carriers !== null ? " (" + node.carriers + ")" : "";
    return node.kind === "actor" ? value : node.kind + ": " + value + count;
  }

  function visNode(node) {
    return {
      id: node.id,
      label: label(node),
      title: node.kind + " " + node.value,
      shape: node.kind === "actor" ? "dot" : "box",
      size: node.kind === "actor" ? (node.hop === 0 ? 18 : 11) : undefined,
      color: { background: node.kind === "actor" ? colours.actor : "#ffffff", border: colours[node.kind] || "#667085" },
      font: { color: "#1d2939", size: 12 },
      borderWidth: node.hub ? 3 : 1,
      shapeProperties: { borderDashes: node.hub ? [5, 4] : false },
    };
  }

  function cell(row, text, sortValue) {
    const td = document.createElement("td");
    td.textContent = text;
    if (sortValue !== undefined) td.dataset.sort = String(sortValue);
    row.appendChild(td);
    return td;
  }

  function button(text, cls, handler) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small " + cls;
    b.textContent = text;
    b.addEventListener("click", handler);
    return b;
  }

  function addRow(node) {
    if (!nodeTable || nodeTable.querySelector('tr[data-node="' + CSS.escape(node.id) + '"]')) return;
    const row = document.createElement("tr");
    row.dataset.node = node.id;
    cell(row, node.kind);
    const value = cell(row, "");
    value.className = "wrap";
    if (node.kind === "actor") {
      const a = document.createElement("a");
      a.href = "/actors/" + encodeURIComponent(node.value);
      a.textContent = node.value;
      value.appendChild(a);
    } else {
      value.textContent = node.value;
    }
    cell(row, String(node.hop), node.hop);
    cell(row, node.carriers === null ? "—" : String(node.carriers), node.carriers === null ? -1 : node.carriers);
    cell(row, node.hub ? "hub" : "");
    const actions = cell(row, "");
    if (node.kind === "actor") actions.appendChild(button("Expand", "row-expand", () => expand(node.value)));
    actions.appendChild(button("Show", "row-select", () => select(node.id)));
    nodeTable.tBodies[0].appendChild(row);
  }

  function addEdgeRow(edge) {
    if (!edgeTable) return;
    const row = document.createElement("tr");
    row.dataset.edge = edge.source + "|" + edge.target;
    cell(row, edge.source);
    cell(row, edge.kind);
    cell(row, edge.target).className = "wrap";
    cell(row, edge.first_at || "—");
    cell(row, edge.last_at || "—");
    edgeTable.tBodies[0].appendChild(row);
  }

  function counts() {
    const n = known.size, e = edgeIds.size;
    const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
    set("graph-count", n + " nodes, " + e + " edges");
    set("node-count", String(n));
    set("edge-count", String(e));
  }

  function merge(graph, fromPage) {
    graph.nodes.forEach((node) => {
      const seen = known.get(node.id);
      if (!seen) {
        known.set(node.id, node);
        if (nodes) nodes.add(visNode(node));
        if (!fromPage) addRow(node);
      } else if (seen.carriers === null && node.carriers !== null) {
        seen.carriers = node.carriers;
        seen.hub = node.hub;
        if (nodes) nodes.update(visNode(seen));
      }
    });
    graph.edges.forEach((edge) => {
      const id = edge.source + "|" + edge.target;
      if (edgeIds.has(id)) return;
      edgeIds.add(id);
      if (edges) edges.add({ id: id, from: edge.source, to: edge.target, color: { color: colours[edge.kind] || "#98a2b3" } });
      if (!fromPage) addEdgeRow(edge);
    });
    counts();
  }

  function showError(text) {
    const el = document.getElementById("graph-error");
    el.textContent = text;
    el.hidden = !text;
  }

  function select(id) {
    const node = known.get(id);
    if (!node) return;
    const facts = document.getElementById("selection-facts");
    facts.replaceChildren();
    [["Type", node.kind], ["Value", node.value + (node.masked ? " (private)" : "")], ["Hop", String(node.hop)],
     ["Carriers", node.carriers === null ? "—" : String(node.carriers)], ["Hub", node.hub ? "yes: not expanded through" : "no"]]
      .forEach(([term, value]) => {
        const dt = document.createElement("dt"); dt.textContent = term;
        const dd = document.createElement("dd"); dd.textContent = value;
        facts.append(dt, dd);
      });
    facts.hidden = false;
    document.getElementById("selection-empty").hidden = true;
    const actions = document.getElementById("selection-actions");
    actions.hidden = node.kind !== "actor";
    actions.dataset.actor = node.kind === "actor" ? node.value : "";
    document.getElementById("open-actor").href = "/actors/" + encodeURIComponent(node.value);
    if (network) network.selectNodes([id]);
    container && (container.dataset.selected = id);
  }

  async function expand(actorId) {
    const params = new URLSearchParams(window.location.search);
    params.set("subject", "actor:" + actorId);
    showError("");
    try {
      const response = await fetch("/investigate/graph/data?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const body = await response.json();
      if (!response.ok) { showError((body.error && body.error.message) || "The graph could not be read."); return; }
      merge(body, false);
      select("actor:" + actorId);
      if (network) network.once("stabilized", () => network.fit());
      if (container) container.dataset.expanded = (Number(container.dataset.expanded || 0) + 1).toString();
    } catch (e) {
      showError("The graph could not be read: " + e);
    }
  }

  merge(first, true);
  document.querySelectorAll("button.row-expand").forEach((b) => b.addEventListener("click", () => expand(b.dataset.actor)));
  document.querySelectorAll("button.row-select").forEach((b) => b.addEventListener("click", () => select(b.dataset.node)));
  document.getElementById("expand-node").addEventListener("click", () => {
    const actor = document.getElementById("selection-actions").dataset.actor;
    if (actor) expand(actor);
  });
  if (container && nodes) {
    network = new vis.Network(container, { nodes: nodes, edges: edges }, {
      physics: { stabilization: { iterations: 250 }, barnesHut: { springLength: 110 } },
      interaction: { hover: true, keyboard: false, navigationButtons: false },
      edges: { width: 1.2, smooth: false },
    });
    window.__graph = network; // for the browser test and the console
    network.on("click", (params) => { if (params.nodes.length) select(params.nodes[0]); });
    network.once("afterDrawing", () => { container.dataset.drawn = String(nodes.length); });
    network.on("stabilized", () => { container.dataset.stable = "true"; });
    network.once("stabilized", () => network.fit());
  } else if (container) {
    showError("The graph drawing could not be loaded; the tables below hold the same nodes and edges.");
  }
})();
