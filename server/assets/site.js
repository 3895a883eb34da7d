// A little help on top of pages that work without it: focus the new step's heading, copy
// buttons, and clicking the diagram to jump.
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
