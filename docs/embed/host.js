// The help centre's own script: it lists what the embed tells it. Text goes in as text.
(function () {
  "use strict";
  function add(list, type, detail) {
    var item = document.createElement("li");
    item.setAttribute("data-type", type);
    item.textContent = JSON.stringify(detail);
    document.getElementById(list).appendChild(item);
  }
  ["step", "resolved", "escalated", "done"].forEach(function (type) {
    document.addEventListener("stepwise:" + type, function (event) {
      add("events", type, event.detail);
    });
  });
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || data.source !== "stepwise") return;
    add("messages", String(data.type), { origin: event.origin, data: data });
  });
})();
