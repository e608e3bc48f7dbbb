/* Starts Swagger UI on /schema (infra/web/openapi.py). A static file, so that the page needs
   no inline script under the platform's Content-Security-Policy. */
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  var url = (root && root.dataset.specUrl) || "/schema/openapi.json";
  window.ui = window.SwaggerUIBundle({
    url: url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
