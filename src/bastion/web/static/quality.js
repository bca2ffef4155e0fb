// The quality pages: a date filter applies as soon as it changes, like the menus (supervisor.js).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-apply-at-once] input[type=date]").forEach((field) => {
    field.addEventListener("change", () => field.form.requestSubmit());
  });
});
