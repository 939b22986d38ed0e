// Code of Conduct signing page: keep the "I have read the whole text" box disabled until the
// reader has scrolled to the end of the text. Progressive: without this script the box is
// simply enabled, and the server requires it to be ticked either way.
(function () {
  "use strict";
  var region = document.getElementById("coc-text");
  var box = document.getElementById("id_has_read");
  var hint = document.getElementById("coc-read-hint");
  if (!region || !box || box.checked) {
    return;
  }
  function atEnd() {
    return region.scrollTop + region.clientHeight >= region.scrollHeight - 8;
  }
  if (atEnd()) {
    return;
  }
  function release() {
    box.disabled = false;
    if (hint) {
      hint.hidden = true;
    }
    region.removeEventListener("scroll", onScroll);
  }
  function onScroll() {
    if (atEnd()) {
      release();
    }
  }
  box.disabled = true;
  if (hint) {
    hint.hidden = false;
  }
  region.addEventListener("scroll", onScroll, { passive: true });
})();
