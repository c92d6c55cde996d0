// Cases: a canned reply or a past answer fills the public answer box (no inline script: CSP).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-canned-target]");
  if (!select || !select.value) return;
  const box = document.getElementById(select.dataset.cannedTarget);
  if (box) box.value = select.value;
});
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-use-answer]");
  if (!button) return;
  const box = document.getElementById(button.dataset.cannedTarget);
  if (box) { box.value = button.dataset.useAnswer; box.focus(); }
});
