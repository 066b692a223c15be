// Show that matching is under way after the upload button is pressed.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    document.getElementById("upload-wait").hidden = false;
    form.querySelector("button").disabled = true;
  });
})();
