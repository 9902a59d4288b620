// The API's documentation (/schema/swagger): Swagger UI on the schema the portal serves, without
// inline script (the CSP forbids it). "Authorize" takes an API token; with it, "Try it out"
// sends real requests as that token's person.
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-schema"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
