// Small behaviours without inline script (the CSP forbids it).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el && el.matches && el.matches("[data-autosubmit]") && el.form) {
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// htmx 2 does not swap 4xx answers by default; ours carry the re-rendered form or row with the
// message (422: invalid input, 409: a refusal such as "last contact person"), so show them.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr && event.detail.xhr.status;
  if (status === 422 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// Copy buttons: <button data-copy="#element-id" data-copied="Copied">.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-copy]") : null;
  if (!button) { return; }
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) { return; }
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = button.getAttribute("data-copied") || button.textContent;
  });
});
// <a data-navigate-now href="…">: go there at once, in place of this page in the history (the
// signed-out page continuing to the sign-in service's end-session address). The link stays
// for browsers without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var link = document.querySelector("a[data-navigate-now]");
  if (link) { window.location.replace(link.href); }
});
