// In a frame the embed script made: tell the page that embedded the wizard how tall this page
// is and where the customer is. The server adds this script, and names the embedder's origin
// on <body data-stepwise-origin>, only when --frame-ancestors allows that origin; messages go
// to that origin alone, so a page at any other address receives nothing.
(function () {
  "use strict";
  var target = document.body.getAttribute("data-stepwise-origin");
  if (!target || window.parent === window) return;

  function post(message) {
    message.source = "stepwise";
    window.parent.postMessage(message, target);
  }

  // The page's own height, not the frame's: <html> is as tall as what it holds.
  var posted = -1;
  function postHeight() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === posted) return;
    posted = height;
    post({ type: "height", height: height });
  }
  postHeight();
  if (window.ResizeObserver) {
    new ResizeObserver(postHeight).observe(document.documentElement);
  }
  window.addEventListener("load", postHeight);

  // Each step is a page of its own, so its load is the step's event.
  var main = document.querySelector("main[data-stepwise-kind]");
  if (!main) return;
  var flow = main.getAttribute("data-stepwise-flow");
  var kind = main.getAttribute("data-stepwise-kind");
  var reference = main.getAttribute("data-stepwise-reference");
  post({ type: "step", flow: flow, kind: kind, step: Number(main.getAttribute("data-stepwise-step")) });
  if (kind === "resolved") post({ type: "resolved", flow: flow });
  if (kind === "escalate" && reference) post({ type: "escalated", flow: flow, reference: reference });
  if (kind === "done") post({ type: "done", flow: flow });
})();
