// Kernel-free figure players: each <figure class="fm-player"> (written by fm_helpers.interactive)
// holds frames rendered at build time for a grid of t and every schedule. The range input
// picks t, the select picks the schedule, and the image shows the matching frame at once.
(function () {
  "use strict";

  function initPlayer(figure) {
    var data = JSON.parse(figure.querySelector("script.fm-player-data").textContent);
    var image = figure.querySelector("img.fm-player-frame");
    var slider = figure.querySelector("input.fm-player-t");
    var select = figure.querySelector("select.fm-player-schedule");
    var readout = figure.querySelector("output.fm-player-t-value");

    function show() {
      var i = Number(slider.value);
      var s = Number(select.value);
      image.src = data.frames[s][i];
      readout.textContent = data.t[i].toFixed(2);
      image.alt = data.alt + " (schedule " + data.schedules[s] + ", t = " + data.t[i].toFixed(2) + ")";
    }

    slider.addEventListener("input", show);
    select.addEventListener("change", show);
    show();
  }

  function initAll() {
    document.querySelectorAll("figure.fm-player").forEach(initPlayer);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
