// A little help on top of pages that work without it: focus the new step's heading, copy
// buttons, clicking the diagram to jump, and a counter on fields near their length limit
// (the limit itself is the field's maxlength, which holds without this).
(function () {
  "use strict";
  var heading = document.getElementById("step");
  var refused = document.getElementById("error-summary");
  if (refused) {
    // A refused form: the list of what to fix comes first, each item a link to its field.
    refused.focus();
  } else if (heading && location.hash === "#step") {
    heading.focus();
  }
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
        button.classList.add("done");
        setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 2000);
      });
    });
  });
  document.querySelectorAll("[data-counter][maxlength]").forEach(function (field) {
    var counter = document.getElementById(field.getAttribute("data-counter"));
    var max = parseInt(field.getAttribute("maxlength"), 10);
    if (!counter || !(max > 0)) return;
    var template = counter.getAttribute("data-template") || "{count} / {max}";
    var update = function () {
      // In the units maxlength counts, so the count stops where typing does.
      var count = field.value.length;
      // Shown from four fifths of the limit, so a field cut at its limit says why.
      counter.hidden = count < max * 0.8;
      counter.textContent = template.replace("{count}", count).replace("{max}", max);
      counter.classList.toggle("full", count >= max);
    };
    field.addEventListener("input", update);
    update();
  });
  var jump = document.getElementById("jump");
  if (jump) {
    document.querySelectorAll(".diagram .node[data-node]").forEach(function (node) {
      node.addEventListener("click", function () {
        jump.elements.node.value = node.getAttribute("data-node");
        jump.submit();
      });
    });
  }
})();
