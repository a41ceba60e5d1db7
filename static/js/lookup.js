// The room/phone look-up of the desk forms (complaint intake, visitor registration):
// in the field, Enter picks the first match instead of submitting and ↓ moves into
// the list; in the list ↑/↓ move between matches. Picking is a click on the match,
// which each module's own script handles.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) return;
    var results = document.getElementById("lookup-results");
    if (!results) return;
    var picks = Array.prototype.slice.call(results.querySelectorAll(".lookup-pick"));
    if (target.matches("[data-lookup]")) {
      if (event.key === "Enter" && !event.ctrlKey && !event.altKey) {
        event.preventDefault();
        if (picks.length) picks[0].click();
      } else if (event.key === "ArrowDown" && picks.length) {
        event.preventDefault();
        picks[0].focus();
      }
    } else if (target.classList.contains("lookup-pick")) {
      var i = picks.indexOf(target);
      if (event.key === "ArrowDown" && i < picks.length - 1) {
        event.preventDefault();
        picks[i + 1].focus();
      }
      if (event.key === "ArrowUp") {
        event.preventDefault();
        if (i > 0) picks[i - 1].focus();
        else document.querySelector("[data-lookup]").focus();
      }
    }
  });
})();
