// Key desk: keyboard shortcuts, the maintenance due time, filling a contact attempt.
// No inline scripts (CSP).
(function () {
  "use strict";

  // Alt+S or Ctrl/Cmd+Enter saves the form marked data-hotkey-submit;
  // "/" outside a field jumps to the board's search box.
  document.addEventListener("keydown", function (event) {
    var save = (event.altKey && (event.key === "s" || event.key === "S")) ||
      ((event.ctrlKey || event.metaKey) && event.key === "Enter");
    if (save) {
      var form = document.querySelector("form[data-hotkey-submit]");
      if (!form) return;
      event.preventDefault();
      var button = form.querySelector("button[type=submit]:not([name=find])");
      if (form.requestSubmit) form.requestSubmit(button || undefined); else form.submit();
      return;
    }
    var target = event.target;
    var typing = target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
    if (event.key === "/" && !typing) {
      var search = document.querySelector("[data-board-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    }
  });

  // KEY-04: only maintenance works may ask for a later return time. The field is
  // shown (and sent) only while "维修工程" is ticked.
  function syncMaintenance(box) {
    var form = box.closest("form");
    if (!form) return;
    form.querySelectorAll("[data-maintenance-only]").forEach(function (wrap) {
      wrap.hidden = !box.checked;
      wrap.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !box.checked;
      });
    });
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box instanceof HTMLInputElement && box.hasAttribute("data-maintenance")) syncMaintenance(box);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-maintenance]").forEach(syncMaintenance);
  });

  // KEY-07: "拨打并登记" next to a resident or emergency contact fills the attempt form.
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var pick = target.closest("[data-fill-attempt]");
    if (!pick) return;
    event.preventDefault();
    var form = document.getElementById("action-attempt");
    if (!form) return;
    var set = function (name, value) {
      var input = form.querySelector("[name='attempt-" + name + "']");
      if (input) input.value = value || "";
    };
    set("whom", pick.dataset.whom);
    set("name", pick.dataset.name);
    set("phone", pick.dataset.phone);
    var first = form.querySelector("[name='attempt-result']");
    form.scrollIntoView({ block: "nearest" });
    if (first) first.focus();
  });
})();
