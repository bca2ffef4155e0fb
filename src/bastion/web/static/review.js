// Bastion's review pages: keyboard shortcuts, the decision steps, image reveal, dialogs, and the lease
// heartbeat. The project's own code; no third-party script. Every action is a plain form post, so the
// server stays the one place that decides what is valid.
"use strict";

(() => {
  const page = document.querySelector("[data-review-page]");
  if (!page) return;
  const help = document.getElementById("shortcut-help");
  const keys = {}; // key -> handler; a handler returning false lets the browser have the key
  let busy = false; // a form is on its way: ignore further keys so nothing is sent twice

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
  const openDialog = () => document.querySelector("dialog[open]");
  const isTyping = (el) =>
    !!el && (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT" ||
      (el.tagName === "INPUT" && !["radio", "checkbox", "button", "submit", "reset"].includes(el.type)));

  function submit(form) {
    if (!form || busy) return;
    busy = true;
    form.requestSubmit();
  }
  document.addEventListener("submit", () => { busy = true; }, true);
  window.addEventListener("pageshow", () => { busy = false; }); // back/forward cache

  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }
  document.querySelectorAll("[data-help-open]").forEach((b) => b.addEventListener("click", toggleHelp));
  keys["?"] = toggleHelp;

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      // Ctrl+Enter submits from anywhere, text fields included: the dialog's form, or the decision.
      const dialog = openDialog();
      const confirmButton = dialog && dialog.querySelector("[data-confirm-button]");
      if (confirmButton) { event.preventDefault(); confirmButton.click(); return; }
      const form = dialog ? dialog.querySelector("form[method=post]") : document.getElementById("decision");
      if (form && !(dialog === null && page.dataset.state !== "active")) {
        event.preventDefault();
        submit(form);
      }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (isTyping(target)) {
      if (event.key === "Escape" && !openDialog()) { event.preventDefault(); target.blur(); }
      return;
    }
    if (openDialog()) {
      if (event.key === "?" && help && help.open) { event.preventDefault(); help.close(); }
      return; // the dialog has the keyboard; Esc closes it natively
    }
    if (event.key === "Enter" && target.closest && target.closest("button, a, summary")) return;
    const handler = keys[event.key] || (/^[1-9]$/.test(event.key) ? keys.digit : undefined);
    if (handler && !busy && handler(event) !== false) event.preventDefault();
  });

  undoToast();

  if (page.dataset.reviewPage === "queues") {
    keys.digit = (event) => {
      const form = document.querySelector(`form[data-start-key="${event.key}"]`);
      if (!form) return false;
      submit(form);
      return true;
    };
    return;
  }
  if (page.dataset.reviewPage === "job") console_(page);

  function console_(root) {
    const form = document.getElementById("decision");
    const state = root.dataset.state;
    const active = state === "active";
    const actionList = form.querySelector("[data-action-list]");
    const filter = form.querySelector("[data-policy-filter]");
    const rationale = document.getElementById("rationale");
    let step = "policy";

    const policyRadios = () => Array.from(form.querySelectorAll("input[name=policy]"));
    const numberedPolicies = () => policyRadios().filter((r) => r.value !== "none" && !r.closest(".choice").hidden);
    const actionRadios = () => Array.from(form.querySelectorAll("input[name=action]"));

    function setStep(name) {
      step = name;
      form.querySelectorAll(".step").forEach((s) => s.classList.toggle("is-current", s.dataset.step === name));
    }

    function numberPolicies() {
      policyRadios().forEach((r) => { const k = r.parentElement.querySelector("kbd[data-key]"); if (k) k.textContent = ""; });
      numberedPolicies().slice(0, 9).forEach((r, i) => { r.parentElement.querySelector("kbd[data-key]").textContent = String(i + 1); });
    }

    function actionLabel(action) {
      const words = action.replace(/_/g, " ");
      return words.charAt(0).toUpperCase() + words.slice(1);
    }

    function renderActions(policy, keep) {
      const allowed = policy ? policy.dataset.actions.split(" ").filter(Boolean) : [];
      actionList.replaceChildren();
      if (allowed.length === 0) {
        const hint = document.createElement("p");
        hint.className = "muted choice-hint";
        hint.textContent = policy ? "Nothing to choose here: escalate the job instead." : "Choose a policy first.";
        actionList.append(hint);
        return;
      }
      allowed.forEach((action, index) => {
        const label = document.createElement("label");
        label.className = "choice";
        const input = document.createElement("input");
        input.type = "radio";
        input.name = "action";
        input.value = action;
        input.checked = allowed.length === 1 || action === keep;
        const key = document.createElement("kbd");
        key.textContent = index < 9 ? String(index + 1) : "";
        const text = document.createElement("span");
        text.className = "choice-label";
        text.textContent = actionLabel(action);
        label.append(input, key, text);
        actionList.append(label);
      });
    }

    function showGuidance(policyId) {
      const items = Array.from(document.querySelectorAll("[data-guidance]"));
      if (!items.some((el) => el.dataset.guidance === policyId)) return; // keep what is shown
      items.forEach((el) => { el.hidden = el.dataset.guidance !== policyId; });
    }

    function choosePolicy(radio) {
      const previous = form.querySelector("input[name=action]:checked");
      radio.checked = true;
      renderActions(radio, previous ? previous.value : undefined);
      showGuidance(radio.value);
      setStep("action");
    }

    policyRadios().forEach((r) => r.addEventListener("change", () => choosePolicy(r)));
    actionList.addEventListener("change", () => setStep("action"));

    if (filter) {
      filter.addEventListener("input", () => {
        const needle = filter.value.trim().toLowerCase();
        policyRadios().forEach((r) => {
          if (r.value === "none") return;
          r.closest(".choice").hidden = needle !== "" && !r.closest(".choice").textContent.toLowerCase().includes(needle);
        });
        numberPolicies();
      });
      filter.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault(); // not a submit: pick the first match
          const first = numberedPolicies()[0];
          if (first) choosePolicy(first);
          filter.blur();
        } else if (event.key === "Escape") {
          event.preventDefault();
          filter.blur();
        }
      });
    }

    // The starting step: what the server rendered (after an error, the reviewer's own choices).
    const checked = form.querySelector("input[name=policy]:checked");
    if (checked) {
      const kept = form.querySelector("input[name=action]:checked");
      renderActions(checked, kept ? kept.value : undefined);
      showGuidance(checked.value);
      setStep("action");
    } else {
      renderActions(null);
      setStep("policy");
    }
    numberPolicies();

    // Images: blurred and grey until revealed, by click or by the i key.
    const media = document.querySelector("[data-media]");
    function toggleImage() {
      if (!media) return false;
      const shown = media.classList.toggle("is-revealed");
      media.querySelector("[data-reveal]").setAttribute("aria-pressed", String(shown));
      return true;
    }
    if (media) {
      const reveal = media.querySelector("[data-reveal]");
      // After a click, give the keyboard back to the page, or Enter would press this button again.
      reveal.addEventListener("click", (event) => { toggleImage(); if (event.detail > 0) reveal.blur(); });
    }
    keys.i = toggleImage;

    // Dialogs for skip, escalate and hold, and the confirmation of an account action.
    function showDialog(kind) {
      const dialog = document.getElementById(`dialog-${kind}`);
      if (!dialog || !active) return false;
      if (dialog.open) dialog.close(); // opened by the server for a page without script: make it modal
      dialog.showModal();
      const field = dialog.querySelector("input:not([type=hidden]), textarea, [data-confirm-button]");
      if (field) field.focus();
      return true;
    }

    // Suspending or banning an account is asked twice: the decision waits for the dialog's button.
    const confirmActions = (form.dataset.confirmActions || "").split(" ").filter(Boolean);
    const confirmButton = document.querySelector("[data-confirm-button]");
    form.addEventListener("submit", (event) => {
      const chosen = form.querySelector("input[name=action]:checked");
      const policy = form.querySelector("input[name=policy]:checked");
      if (!chosen || !confirmActions.includes(chosen.value) || (policy && policy.value === "none")) return;
      if (confirmButton && event.submitter === confirmButton && confirmButton.value === chosen.value) return;
      event.preventDefault();
      busy = false;
      if (!confirmButton) return;
      confirmButton.value = chosen.value;
      const verb = actionLabel(chosen.value);
      document.querySelectorAll("[data-confirm-verb]").forEach((el) => { el.textContent = verb; });
      showDialog("confirm");
    });
    document.querySelectorAll("[data-open-dialog]").forEach((b) => b.addEventListener("click", () => showDialog(b.dataset.openDialog)));
    document.querySelectorAll("dialog [data-close]").forEach((b) => b.addEventListener("click", () => b.closest("dialog").close()));
    if (root.dataset.dialog) showDialog(root.dataset.dialog);
    else if (active) {
      const invalid = form.querySelector("textarea[aria-invalid=true]");
      if (invalid) invalid.focus();
      else if (form.querySelector("[data-step=policy] [aria-invalid=true]")) setStep("policy");
    }

    const release = document.getElementById("release-form");
    keys.u = () => { if (state === "closed") return false; submit(release); return true; };
    if (!active) return; // a job you do not hold: reading and releasing only

    keys.digit = (event) => {
      const n = Number(event.key);
      if (step === "policy") {
        const radio = numberedPolicies()[n - 1];
        if (radio) choosePolicy(radio);
      } else {
        const radio = actionRadios()[n - 1];
        if (radio) radio.checked = true;
      }
      return true;
    };
    keys.n = () => {
      const none = policyRadios().find((r) => r.value === "none");
      if (none) choosePolicy(none);
      return true;
    };
    keys.p = () => { setStep("policy"); return true; };
    keys["/"] = () => { if (!filter) return false; setStep("policy"); filter.focus(); return true; };
    keys.r = () => { rationale.focus(); setStep("rationale"); return true; };
    keys.Enter = () => { submit(form); return true; };
    keys.s = () => showDialog("skip");
    keys.e = () => showDialog("escalate");
    keys.h = () => showDialog("hold");
    rationale.addEventListener("focus", () => setStep("rationale"));

    heartbeat(root, form);
  }

  // The Undo toast after "submit and next": counts down to when the decision's enforcement may be
  // sent; until then z (or the button) takes the decision back. The server checks the window again.
  function undoToast() {
    const toast = document.querySelector("[data-undo]");
    if (!toast) return;
    const form = toast.querySelector("form");
    const shown = toast.querySelector("[data-undo-countdown]");
    let left = Number(toast.dataset.seconds);
    const end = () => { toast.hidden = true; delete keys.z; };
    if (!(left > 0)) { end(); return; }
    keys.z = () => { submit(form); return true; };
    const ticking = setInterval(() => {
      left -= 1;
      if (left <= 0) { clearInterval(ticking); end(); return; }
      shown.textContent = String(left);
    }, 1000);
  }

  // Keep the lease while the page is open and someone is at it; count it down on screen.
  function heartbeat(root, form) {
    const job = root.dataset.job;
    const total = Number(root.dataset.leaseTotal);
    const every = Number(root.dataset.heartbeat) * 1000;
    const countdown = root.querySelector("[data-countdown]");
    let left = countdown ? Number(countdown.dataset.seconds) : total;
    let lastActivity = Date.now();
    ["keydown", "pointerdown", "pointermove", "scroll"].forEach((type) =>
      window.addEventListener(type, () => { lastActivity = Date.now(); }, { passive: true }));

    const draw = () => {
      if (!countdown) return;
      countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      countdown.classList.toggle("is-low", left < 60);
    };
    const ticking = setInterval(() => {
      left = Math.max(0, left - 1);
      draw();
      if (left === 0) lost();
    }, 1000);
    const beating = setInterval(async () => {
      // An abandoned tab lets its lease run out, so nobody hoards a job by leaving a window open.
      if (Date.now() - lastActivity > total * 2000) return;
      try {
        const response = await fetch(`/api/v1/jobs/${encodeURIComponent(job)}/heartbeat`, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRF-Token": csrfToken(), Accept: "application/json" },
        });
        if (response.ok) { left = total; draw(); } else if ([401, 403, 404, 409].includes(response.status)) lost();
      } catch (_) {
        // the network blinked: the next beat tries again, well before the lease runs out
      }
    }, every);

    function lost() {
      clearInterval(ticking);
      clearInterval(beating);
      const banner = document.querySelector("[data-lease-lost]");
      if (banner) banner.hidden = false;
      form.querySelector("fieldset").disabled = true;
      root.dataset.state = "closed";
      ["digit", "n", "p", "/", "r", "Enter", "s", "e", "h"].forEach((key) => { delete keys[key]; });
      if (countdown) countdown.textContent = "ended";
    }
  }
})();
