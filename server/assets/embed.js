// The embed kit: a help centre adds
//   <script src="https://stepwise.example/embed.js" data-flow="deposit-missing-memo"></script>
// and gets the wizard in an iframe right after the tag (or inside the element named by
// data-target), as tall as the step it shows. No inline script or style is used, so the host
// page needs only `script-src` and `frame-src` for stepwise's origin.
//
// data-flow      the flow to start (its start page); without it, the help centre's home page
// data-fact-NAME a fact for the flow: data-fact-platform="app" adds ?fact.platform=app
// data-ctx       a signed context token, passed on as ?ctx=
// data-lang      the language of the wizard, passed on as ?lang=
// data-title     the frame's title for screen readers (default "Help")
// data-target    the id of an element to put the frame in
//
// Events: each checked message from the frame becomes a CustomEvent "stepwise:TYPE" (step,
// resolved, escalated, done) that bubbles from the frame's container, its detail the message:
//   document.addEventListener("stepwise:escalated", function (e) { e.detail.reference; });
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;

  var flow = script.getAttribute("data-flow");
  var url = new URL(flow ? "/flows/" + encodeURIComponent(flow) : "/", origin);
  url.searchParams.set("embed", "1");
  url.searchParams.set("embed_origin", window.location.origin);
  for (var i = 0; i < script.attributes.length; i++) {
    var attribute = script.attributes[i];
    if (attribute.name.indexOf("data-fact-") === 0 && attribute.name.length > 10) {
      url.searchParams.set("fact." + attribute.name.slice(10), attribute.value);
    }
  }
  var ctx = script.getAttribute("data-ctx");
  if (ctx) url.searchParams.set("ctx", ctx);
  var lang = script.getAttribute("data-lang");
  if (lang) url.searchParams.set("lang", lang);

  var frame = document.createElement("iframe");
  frame.src = url.href;
  frame.title = script.getAttribute("data-title") || "Help";
  frame.className = "stepwise-frame";
  frame.width = "100%";
  frame.height = "480";
  // Properties set from script are not inline style: a strict style-src allows them.
  frame.style.border = "0";
  frame.style.display = "block";

  var target = script.getAttribute("data-target");
  var container = target && document.getElementById(target);
  if (!container) {
    container = document.createElement("div");
    container.className = "stepwise-embed";
    script.parentNode.insertBefore(container, script.nextSibling);
  }
  container.appendChild(frame);

  var events = { step: true, resolved: true, escalated: true, done: true };
  window.addEventListener("message", function (event) {
    // Only this frame, at stepwise's own origin: not another frame, not another site.
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var message = event.data;
    if (!message || typeof message !== "object" || message.source !== "stepwise") return;
    if (message.type === "height") {
      var height = Number(message.height);
      if (height > 0 && height < 100000) frame.height = String(Math.ceil(height));
      return;
    }
    if (!events[message.type]) return;
    container.dispatchEvent(new CustomEvent("stepwise:" + message.type, { bubbles: true, detail: message }));
  });
})();
