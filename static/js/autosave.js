// Autosave for an application section (templates/applications/section.html).
//
// Saves a second and a half after the last keystroke, when the page is hidden or left, and
// keeps a copy in this browser (localStorage) until the server has it, so that nothing typed
// is lost when the network drops. A save that clashes with one made elsewhere (another tab)
// is not retried: the page reloads the form, which shows both texts. Before the 30-minute
// idle timeout a warning offers to stay signed in; typing keeps the session alive anyway.
(function () {
  "use strict";
  var form = document.querySelector("[data-autosave-form]");
  if (!form) { return; }
  var box = form.querySelector("[data-autosave]");
  var revision = form.querySelector("input[name=base_revision]");
  var saved = form.querySelector("[data-saved]");
  var count = form.querySelector("[data-count]");
  var warning = form.querySelector("[data-idle-warning]");
  var limit = parseInt(form.getAttribute("data-max-length"), 10);
  var storeKey = "autosave:" + window.location.pathname;
  var lastSent = box.value;
  var timer = null;
  var idleTimer = null;
  var IDLE_WARNING_MS = 25 * 60 * 1000;

  function showCount() {
    var n = box.value.length;
    count.textContent = n + " of " + limit + " characters" + (n > limit ? ": shorten it before you submit" : "");
    count.classList.toggle("text-danger", n > limit);
  }

  function armIdleWarning() {
    if (idleTimer) { clearTimeout(idleTimer); }
    if (warning) { warning.classList.add("d-none"); }
    idleTimer = setTimeout(function () { if (warning) { warning.classList.remove("d-none"); } }, IDLE_WARNING_MS);
  }

  function keepLocally() {
    try {
      localStorage.setItem(storeKey, JSON.stringify({ text: box.value, revision: revision.value }));
    } catch (e) { /* storage full or blocked: the server copy still counts */ }
  }

  function forgetLocally() {
    try { localStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
  }

  function save(beacon) {
    if (box.value === lastSent) { return; }
    // When the page is going away (beacon) the request is kept alive past it; the server
    // refuses a stale revision, so even then a clash overwrites nothing.
    var body = new FormData(form);
    var text = box.value;
    saved.textContent = "Saving…";
    fetch(window.location.href, {
      method: "POST",
      body: body,
      headers: { "X-Autosave": "1" },
      credentials: "same-origin",
      keepalive: !!beacon
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (result) {
      if (result.status === 200) {
        revision.value = result.data.revision;
        lastSent = text;
        if (box.value === text) { forgetLocally(); }
        saved.textContent = "Saved at " + new Date(result.data.saved_at).toLocaleTimeString() + ".";
        armIdleWarning();
      } else if (result.status === 409) {
        saved.textContent = result.data.message;
        // Post the form normally: the page comes back with both texts side by side.
        keepLocally();
        form.submit();
      } else {
        saved.textContent = (result.data && result.data.error) || "Not saved: try again.";
      }
    }).catch(function () {
      saved.textContent = "Not saved: you seem to be offline. Your text is kept in this browser and saved when you are back.";
      keepLocally();
    });
  }

  // Text kept in this browser from a save that never reached the server.
  try {
    var kept = JSON.parse(localStorage.getItem(storeKey) || "null");
    if (kept && kept.text !== box.value && kept.revision === revision.value) {
      box.value = kept.text;
      saved.textContent = "Restored the text you typed here that was not saved yet; saving it now.";
      lastSent = null;
      save(false);
    } else if (kept && kept.text === box.value) {
      forgetLocally();
    }
  } catch (e) { /* nothing usable kept */ }

  box.addEventListener("input", function () {
    showCount();
    keepLocally();
    saved.textContent = "Unsaved changes…";
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { save(false); }, 1500);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(true); }
  });
  window.addEventListener("pagehide", function () { save(true); });
  window.addEventListener("online", function () { save(false); });
  if (warning) {
    warning.querySelector("[data-stay]").addEventListener("click", function () {
      fetch(window.location.href, { credentials: "same-origin" }).then(armIdleWarning);
    });
  }
  form.addEventListener("submit", function () { forgetLocally(); });
  showCount();
  armIdleWarning();
}());
