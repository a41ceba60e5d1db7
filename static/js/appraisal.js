// Staff appraisal (appraisal/templates): the entry form's deduction rows and running
// total, and the dashboard's charts. No inline scripts (CSP): data comes from
// json_script blocks. The running total is a preview; the server recomputes the
// scores from the deductions when the form is saved (appraisal.rules).
(function () {
  "use strict";

  // Points are handled in hundredths, as the server's two-place Decimals.
  function cents(value) {
    var text = String(value == null ? "" : value).trim().replace(",", ".");
    if (text === "") return null;
    var n = Number(text);
    return isFinite(n) ? Math.round(n * 100) : null;
  }

  function fmt(c) {
    return (c / 100).toFixed(2);
  }

  // --- Entry form (appraisal/entry.html) ---------------------------------------

  function initEntry(form) {
    var source = document.getElementById("criteria-data");
    var template = document.getElementById("row-template");
    var table = form.querySelector("[data-rows]");
    if (!source || !template || !table) return;
    var criteria = JSON.parse(source.textContent);
    var items = {};
    criteria.items.forEach(function (item) {
      items[item.code] = item;
    });
    var prefix = "d";
    var total = form.querySelector("[name=" + prefix + "-TOTAL_FORMS]");
    var maxForms = form.querySelector("[name=" + prefix + "-MAX_NUM_FORMS]");

    function rows() {
      return Array.prototype.slice.call(table.querySelectorAll("tbody[data-row]"));
    }

    function field(row, name) {
      return row.querySelector("[data-field=" + name + "]");
    }

    function isBlank(row) {
      return !field(row, "item").value && !field(row, "points").value && !field(row, "reason").value;
    }

    function isDeleted(row) {
      var del = field(row, "delete");
      return Boolean(del && del.checked);
    }

    function option(value, label, selected) {
      var o = document.createElement("option");
      o.value = value;
      o.textContent = label;
      if (selected) o.selected = true;
      return o;
    }

    // The standard select offers the chosen item's standard lines, then "其它" (APR-02).
    function fillStandards(row) {
      var select = field(row, "standard");
      var item = items[field(row, "item").value];
      var current = select.value;
      select.innerHTML = "";
      select.appendChild(option("", item ? criteria.pickLabel : criteria.pickItemLabel, false));
      var lines = item ? item.standards : [];
      lines.forEach(function (line) {
        select.appendChild(option(line, line, line === current));
      });
      select.appendChild(option(criteria.other, criteria.otherLabel, current === criteria.other));
      if (lines.length === 0 && item) {
        select.value = criteria.other;
      }
    }

    function renumber() {
      rows().forEach(function (row, i) {
        var cell = row.querySelector("[data-row-number]");
        if (cell) cell.textContent = String(i + 1);
      });
    }

    function addRow(itemCode) {
      var index = Number(total.value);
      if (maxForms && index >= Number(maxForms.value)) return null;
      var holder = document.createElement("table");
      holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      var row = holder.querySelector("tbody[data-row]");
      table.appendChild(row);
      total.value = String(index + 1);
      renumber();
      if (itemCode) {
        field(row, "item").value = itemCode;
        fillStandards(row);
        field(row, "points").focus();
      } else {
        field(row, "item").focus();
      }
      recompute();
      return row;
    }

    // Enter in a row: go to the blank row at the end, or add one; never submit.
    function nextRow() {
      var all = rows();
      var last = all[all.length - 1];
      if (last && isBlank(last) && !isDeleted(last)) {
        field(last, "item").focus();
        return;
      }
      addRow();
    }

    function setText(selector, text) {
      var nodes = document.querySelectorAll(selector);
      for (var i = 0; i < nodes.length; i++) nodes[i].textContent = text;
    }

    function recompute() {
      var taken = {};
      rows().forEach(function (row) {
        var code = field(row, "item").value;
        var points = cents(field(row, "points").value);
        row.classList.toggle("is-deleted", isDeleted(row));
        row.classList.remove("over-max");
        if (isDeleted(row) || !items[code] || points === null || points <= 0) return;
        taken[code] = (taken[code] || 0) + points;
        if (points > cents(items[code].max)) row.classList.add("over-max");
      });
      var dims = {};
      criteria.dimensions.forEach(function (d) {
        dims[d.code] = 0;
      });
      criteria.items.forEach(function (item) {
        // Each item scores its maximum minus its deductions, never below 0 (APR-02).
        var score = Math.max(0, cents(item.max) - (taken[item.code] || 0));
        dims[item.dimension] = (dims[item.dimension] || 0) + score;
        setText("[data-item-score='" + item.code + "']", fmt(score));
        var line = document.querySelector("[data-item-row='" + item.code + "']");
        if (line) line.classList.toggle("is-taken", Boolean(taken[item.code]));
      });
      var sum = 0;
      Object.keys(dims).forEach(function (code) {
        sum += dims[code];
        setText("[data-dim-score='" + code + "']", fmt(dims[code]));
        setText("[data-dim-total='" + code + "']", fmt(dims[code]));
      });
      var bonusInput = form.querySelector("[name=bonus]");
      var bonus = bonusInput ? cents(bonusInput.value) || 0 : 0;
      if (bonus < 0) bonus = 0;
      setText("[data-bonus-total]", fmt(bonus));
      var totalNode = document.querySelector("[data-total]");
      if (totalNode) {
        totalNode.textContent = fmt(sum + bonus);
        totalNode.classList.toggle("above-100", sum + bonus > 10000);
      }
    }

    form.addEventListener("input", recompute);
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target instanceof HTMLSelectElement && target.dataset.field === "item") {
        fillStandards(target.closest("tbody[data-row]"));
      }
      recompute();
    });

    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (!(target instanceof Element)) return;
      if (event.key === "Enter" && !event.isComposing && target.closest("tbody[data-row]")) {
        if (target instanceof HTMLButtonElement) return;
        event.preventDefault();
        nextRow();
      }
    });

    document.addEventListener("keydown", function (event) {
      if (event.altKey && (event.key === "s" || event.key === "S")) {
        var save = form.querySelector("[data-save]");
        if (!save) return;
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(save); else save.click();
      }
    });

    form.addEventListener("click", function (event) {
      var target = event.target;
      if (!(target instanceof Element)) return;
      var button = target.closest("[data-add-row]");
      if (!button) return;
      event.preventDefault();
      var code = button.getAttribute("data-item");
      if (code) {
        // Reuse the blank last row rather than leaving it empty above the new one.
        var all = rows();
        var last = all[all.length - 1];
        if (last && isBlank(last) && !isDeleted(last)) {
          field(last, "item").value = code;
          fillStandards(last);
          field(last, "points").focus();
          recompute();
          return;
        }
      }
      addRow(code || "");
    });

    recompute();
  }

  // --- Dashboard charts (appraisal/dashboard.html) ------------------------------

  function initCharts() {
    var source = document.getElementById("appraisal-chart-data");
    if (!source || typeof window.Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    var bars = document.getElementById("distribution-chart");
    if (bars) {
      new window.Chart(bars, {
        type: "bar",
        data: {
          labels: data.distribution.labels,
          datasets: [{ label: data.distribution.label, data: data.distribution.counts, backgroundColor: "#2f7d86" }],
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    }
    var line = document.getElementById("trend-chart");
    if (line) {
      new window.Chart(line, {
        type: "line",
        data: {
          labels: data.trend.labels,
          datasets: [
            {
              label: data.trend.label,
              data: data.trend.averages,
              borderColor: "#0b6e69",
              backgroundColor: "#0b6e69",
              spanGaps: true,
              tension: 0.2,
            },
          ],
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
          scales: { y: { suggestedMin: 60, suggestedMax: 100 } },
        },
      });
    }
  }

  function init() {
    var form = document.querySelector("form[data-entry-form]");
    if (form) initEntry(form);
    initCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
