// Complaint desk: keyboard shortcuts and the intake's unit lookup. No inline scripts (CSP).
(function () {
  "use strict";

  // Alt+S or Ctrl/Cmd+Enter saves a form marked data-hotkey-submit.
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

  function pick(button) {
    var form = button.closest("form");
    if (!form) return;
    var unit = form.querySelector("input[name=unit]");
    if (unit) unit.value = button.dataset.unit || "";
    var name = form.querySelector("input[name=reporter_name]");
    if (name && button.dataset.name) name.value = button.dataset.name;
    var phone = form.querySelector("input[name=reporter_phone]");
    if (phone && button.dataset.phone) phone.value = button.dataset.phone;
    var label = document.getElementById("picked-unit");
    if (label) label.textContent = button.dataset.label || "";
    var results = document.getElementById("lookup-results");
    if (results) results.innerHTML = "";
    // The unit's 90-day history (and repeat flag) reloads on this event.
    document.body.dispatchEvent(new CustomEvent("unit-picked"));
    var next = name && !button.dataset.name ? name : form.querySelector("[name=kind]");
    if (next) next.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var button = target.closest(".lookup-pick");
    if (button) {
      event.preventDefault();
      pick(button);
    }
  });

  // Photo inputs: list the chosen files with their sizes and flag what the server
  // will refuse (too large, too many). A hint only: the server checks the content.
  function size(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.ceil(bytes / 1024) + " KB";
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.maxBytes) return;
    var field = input.closest(".field");
    var out = field && field.querySelector(".file-picks");
    if (!out) return;
    var maxBytes = Number(input.dataset.maxBytes);
    var maxFiles = Number(input.dataset.maxFiles || 0);
    var files = Array.prototype.slice.call(input.files || []);
    var parts = files.map(function (f) {
      return f.name + "（" + size(f.size) + (f.size > maxBytes ? "，超过 " + size(maxBytes) : "") + "）";
    });
    var tooMany = maxFiles && files.length > maxFiles;
    var tooBig = files.some(function (f) { return f.size > maxBytes; });
    out.textContent = parts.join("、") + (tooMany ? "；最多 " + maxFiles + " 张" : "");
    out.hidden = files.length === 0;
    out.classList.toggle("file-picks-bad", Boolean(tooMany || tooBig));
  });
})();
