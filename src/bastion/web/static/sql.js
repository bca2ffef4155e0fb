// The SQL console: Ctrl+Enter (or Cmd+Enter) runs the query; saving takes the editor's text.
document.addEventListener("DOMContentLoaded", () => {
  const text = document.getElementById("sql-text");
  const form = document.getElementById("sql-form");
  const save = document.getElementById("save-form");
  if (!text || !form) return;
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit(document.getElementById("run"));
    }
  });
  if (save) save.addEventListener("submit", () => { document.getElementById("save-sql").value = text.value; });
});
