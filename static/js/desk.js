// 客服部工作台: the desk's own JavaScript. No inline scripts anywhere (CSP).
(function () {
  "use strict";

  // Login page, demo mode: clicking a demo account fills the form.
  function fillDemoAccount(button) {
    var form = document.querySelector(".login-card form");
    if (!form) return;
    var username = form.querySelector("input[name=username]");
    var password = form.querySelector("input[name=password]");
    if (username) username.value = button.dataset.username || "";
    if (password && button.dataset.password) password.value = button.dataset.password;
    var submit = form.querySelector("button[type=submit]");
    (submit || username).focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var demo = target.closest(".demo-account");
    if (demo) {
      event.preventDefault();
      fillDemoAccount(demo);
    }
  });

  // Forms that ask for confirmation: <form data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
