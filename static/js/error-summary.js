// Move the focus to a form's error summary when a page shows one, so the errors are seen
// (and read by a screen reader) first, however long the page is.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.scrollIntoView({ block: "start" });
  }
});
