// Start Swagger UI on this app's OpenAPI description (served locally, no CDN).
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  if (!el || !window.SwaggerUIBundle) { return; }
  window.SwaggerUIBundle({ url: el.dataset.url, dom_id: "#swagger-ui", deepLinking: false,
                           validatorUrl: null, defaultModelsExpandDepth: -1 });
})();
