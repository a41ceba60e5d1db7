// Monthly complaint statistics: bar chart by category (complaints/stats.html).
// Data comes from {{ chart|json_script:"stats-data" }}; Chart.js is vendored
// (static/vendor/chart.js/chart.umd.min.js) and loaded before this file.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("stats-data");
    var canvas = document.getElementById("stats-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.category.labels,
        datasets: [
          {
            label: data.month,
            data: data.category.counts,
            backgroundColor: "#2f7d86",
          },
        ],
      },
      options: {
        responsive: true,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
