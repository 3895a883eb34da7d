// While writers preview (`serve --watch`): when the flows change, fetch this page again and
// put its new <main> in place of the old, so the page follows every save without a reload.
// The stream is closed while the page is hidden: a browser opens only six connections to a
// server over HTTP/1.1, and a stream holds one for as long as it is open.
(function () {
  "use strict";
  var body = document.body;
  var url = body.getAttribute("data-live");
  if (!url || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var shown = body.getAttribute("data-generation");
  var source = null;
  var busy = false;
  var again = false;

  // Text typed into a form is not thrown away by a refresh: the page waits for the next save.
  function typing() {
    var fields = document.querySelectorAll("main input, main textarea");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (field.type === "hidden" || field.type === "submit") continue;
      if (field.value !== field.defaultValue) return true;
    }
    return false;
  }

  function refresh(generation) {
    if (busy) { again = true; return; }
    if (typing()) return;
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var main = document.querySelector("main");
        var next = fresh.querySelector("main");
        if (!main || !next) return;
        main.replaceWith(document.adoptNode(next));
        document.title = fresh.title;
        shown = fresh.body.getAttribute("data-generation") || generation;
        body.setAttribute("data-generation", shown);
        // The page's own script binds to what is inside <main>: run it over the new one.
        var script = document.createElement("script");
        script.src = "/assets/site.js";
        script.onload = function () { script.remove(); };
        document.head.appendChild(script);
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(shown); }
      });
  }

  function open() {
    if (source) return;
    source = new EventSource(url);
    source.addEventListener("catalog", function (event) {
      if (event.data !== shown) refresh(event.data);
    });
  }

  function close() {
    if (source) { source.close(); source = null; }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) close(); else open();
  });
  window.addEventListener("pagehide", close);
  if (!document.hidden) open();
})();
