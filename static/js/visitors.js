// Visitor desk: keyboard shortcuts, the host lookup, returning visitors. No inline scripts (CSP).
(function () {
  "use strict";

  // Alt+S or Ctrl/Cmd+Enter saves the form marked data-hotkey-submit.
  document.addEventListener("keydown", function (event) {
    var save = (event.altKey && (event.key === "s" || event.key === "S")) ||
      ((event.ctrlKey || event.metaKey) && event.key === "Enter");
    if (!save) return;
    var form = document.querySelector("form[data-hotkey-submit]");
    if (!form) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (form.requestSubmit) form.requestSubmit(button || undefined); else form.submit();
  });

  function setUnit(form, unit, resident, label) {
    var u = form.querySelector("input[name=unit]");
    if (u) u.value = unit || "";
    var r = form.querySelector("input[name=host_resident]");
    if (r) r.value = resident || "";
    var picked = document.getElementById("picked-unit");
    if (picked) {
      picked.textContent = label || "";
      if (!label) picked.innerHTML = '<span class="muted">未选房号</span>';
    }
    var clear = form.querySelector("[data-clear-unit]");
    if (clear) clear.hidden = !unit;
  }

  function pick(button) {
    var form = button.closest("form");
    if (!form) return;
    setUnit(form, button.dataset.unit, button.dataset.resident, button.dataset.label);
    var results = document.getElementById("lookup-results");
    if (results) results.innerHTML = "";
    var next = form.querySelector("[name=purpose]");
    if (next) next.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var button = target.closest(".lookup-pick");
    if (button) { event.preventDefault(); pick(button); return; }
    var clear = target.closest("[data-clear-unit]");
    if (clear) { event.preventDefault(); setUnit(clear.closest("form"), "", "", ""); }
  });

  // A pre-registration names the host: show it as the picked unit.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    if (input.name === "pre_registration" && input.checked) {
      var form = input.closest("form");
      if (input.value) setUnit(form, input.dataset.unit, "", input.dataset.label);
    }
  });

  // The ID number as stored: trimmed, x → X; a new document type re-checks it.
  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input instanceof HTMLInputElement && input.hasAttribute("data-id-number")) {
      var v = input.value.trim().toUpperCase();
      if (v !== input.value) input.value = v;
    }
  }, true);
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.name === "id_type") {
      var number = document.querySelector("[data-id-number]");
      if (number && number.value && window.htmx) window.htmx.trigger(number, "recheck");
    }
  });

  // A returning visitor: fill the name and phone the desk has not typed yet.
  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.target;
    if (!(box instanceof Element) || box.id !== "recognise") return;
    var hit = box.querySelector("[data-returning]");
    if (!hit) return;
    var form = box.closest("form");
    var name = form.querySelector("input[name=visitor_name]");
    if (name && !name.value && hit.dataset.name) {
      name.value = hit.dataset.name;
      name.dispatchEvent(new Event("input", { bubbles: true }));
    }
    var phone = form.querySelector("input[name=phone]");
    if (phone && !phone.value && hit.dataset.phone) phone.value = hit.dataset.phone;
  });
})();
