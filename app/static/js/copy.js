// A "Copy" button for text a person must keep (the receipt code). Without JavaScript the
// button stays hidden and the code can be selected and copied by hand.
(function () {
  "use strict";
  function setUp(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) {
      return;
    }
    var status = button.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(
        function () { if (status) { status.textContent = "Copied. Now paste it somewhere safe."; } },
        function () { if (status) { status.textContent = "Could not copy: select the code and copy it by hand."; } }
      );
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(setUp);
  });
})();
