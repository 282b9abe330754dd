// Sends this page's CSRF token with every htmx request (app/security.py verify_csrf).
// Plain forms carry the token in a hidden field and need no script.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });
})();
