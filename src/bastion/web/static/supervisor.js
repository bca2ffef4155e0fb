// The supervisor pages: filters apply as soon as one changes; the overview refreshes itself when asked.
"use strict";

const REFRESH_KEY = "bastion.supervisor.refresh";

function showLoading() {
  const main = document.getElementById("main");
  if (main) main.setAttribute("aria-busy", "true");
}

function applyAtOnce(form) {
  document.documentElement.classList.add("js");
  form.addEventListener("submit", showLoading);
  form.querySelectorAll("select, input[type=checkbox]").forEach((field) => {
    field.addEventListener("change", () => form.requestSubmit());
  });
}

function autoRefresh(holder) {
  const seconds = parseInt(holder.dataset.refresh, 10);
  const toggle = holder.querySelector("[data-refresh-toggle]");
  if (!toggle || !(seconds > 0)) return;
  toggle.checked = window.localStorage.getItem(REFRESH_KEY) !== "off";
  toggle.addEventListener("change", () => window.localStorage.setItem(REFRESH_KEY, toggle.checked ? "on" : "off"));
  window.setInterval(() => {
    // Never while someone is typing in a filter box, nor in a tab nobody looks at.
    const typing = document.activeElement && ["INPUT", "SELECT"].includes(document.activeElement.tagName)
      && document.activeElement !== toggle;
    if (toggle.checked && document.visibilityState === "visible" && !typing) window.location.reload();
  }, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-apply-at-once]").forEach(applyAtOnce);
  document.querySelectorAll("[data-refresh]").forEach(autoRefresh);
  // Following a number or a bar loads a new page: say so while it comes.
  document.querySelectorAll("a.number, svg.chart a, .chips a, .pager a").forEach((a) => a.addEventListener("click", showLoading));
  window.addEventListener("pageshow", () => document.getElementById("main")?.removeAttribute("aria-busy"));
});
