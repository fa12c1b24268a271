// Starts Swagger UI on /docs. A file rather than FastAPI's inline script, so the docs CSP needs no
// script-src 'unsafe-inline' (app/security.py). The OpenAPI URL comes from the page's data attribute.
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
