// Paying an invoice with Stripe's Payment Element: the intent was made by the portal; the card or
// bank details go from this page to Stripe only, and Stripe reports the payment to the portal.
(function () {
  "use strict";
  var form = document.getElementById("stripe-pay");
  if (!form) return;
  var message = document.getElementById("payment-message");
  var button = document.getElementById("pay-submit");
  function show(text) {
    message.textContent = text;
    message.hidden = false;
  }
  if (typeof window.Stripe !== "function") {
    document.getElementById("payment-element").textContent = "";
    button.style.display = "none";
    show(form.dataset.unavailable);
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey, { locale: form.dataset.locale });
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret, locale: form.dataset.locale });
  var payment = elements.create("payment");
  document.getElementById("payment-element").textContent = "";
  payment.mount("#payment-element");
  payment.on("ready", function () { button.disabled = false; });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    message.hidden = true;
    var confirm = form.dataset.mode === "setup" ? stripe.confirmSetup : stripe.confirmPayment;
    confirm.call(stripe, { elements: elements, confirmParams: { return_url: form.dataset.returnUrl } })
      .then(function (result) {
        if (result.error) {
          show(result.error.message || form.dataset.failed);
          button.disabled = false;
        }
      });
  });
})();
