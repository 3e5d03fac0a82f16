// Kernel-free figure players. Each <figure class="fm-player"> (written by fm_helpers.interactive)
// names frames rendered at build time for a grid of t and every combination of its other
// controls; the frames are separate image files (the page holds only their names).
//
// * The first frame is the <img>'s own src. The frames of the current setting are fetched when
//   the player comes near the screen (or at the first touch of a control), nearest t first,
//   a few at a time, so they arrive progressively while the player stays usable; the browser
//   caches them, and a frame is kept decoded in memory once loaded, so a switch is one paint.
// * The range input picks t (arrow keys step, Home/End jump: the input's own keyboard), the
//   selects pick the other controls, and the play button animates t, waiting for a frame
//   that is still on its way rather than skipping it.
(function () {
  "use strict";

  var FRAME_MS = 90;     // play speed: about 11 frames a second
  var PARALLEL = 4;      // frames fetched at once

  function initPlayer(figure) {
    var data = JSON.parse(figure.querySelector("script.fm-player-data").textContent);
    var image = figure.querySelector("img.fm-player-frame");
    var slider = figure.querySelector("input.fm-player-t");
    var readout = figure.querySelector("output.fm-player-t-value");
    var button = figure.querySelector("button.fm-player-play");
    var selects = data.controls.map(function (c) {
      return figure.querySelector('select.fm-player-control[data-control="' + c.name + '"]');
    });
    var nT = data.t.length;
    var loaded = {};     // url -> decoded Image
    var queue = [];      // urls waiting to be fetched
    var inFlight = 0;
    var timer = null;
    var started = false;

    function setting() {
      var index = 0;
      for (var k = 0; k < selects.length; k++) {
        index = index * data.controls[k].options.length + Number(selects[k].value);
      }
      return index;
    }

    function url(settingIndex, tIndex) {
      return data.base + data.frames[settingIndex * nT + tIndex];
    }

    function fetchNext() {
      while (inFlight < PARALLEL && queue.length) {
        var next = queue.shift();
        if (loaded[next]) continue;
        inFlight++;
        (function (src) {
          var img = new Image();
          img.decoding = "async";
          img.onload = function () {
            var done = img.decode ? img.decode() : Promise.resolve();
            done.catch(function () {}).then(function () {
              loaded[src] = img;
              inFlight--;
              fetchNext();
            });
          };
          img.onerror = function () { inFlight--; fetchNext(); };
          img.src = src;
        })(next);
      }
    }

    // The frames of the current setting, nearest t first (those are the next to be asked for).
    function prefetch() {
      started = true;
      var s = setting(), i = Number(slider.value), order = [];
      for (var d = 0; d < nT; d++) {
        if (i + d < nT) order.push(url(s, i + d));
        if (d > 0 && i - d >= 0) order.push(url(s, i - d));
      }
      queue = order.filter(function (u) { return !loaded[u]; });
      fetchNext();
    }

    function describe(i) {
      var parts = ["t = " + data.t[i].toFixed(2)];
      data.controls.forEach(function (c, k) { parts.push(c.name + " " + c.options[Number(selects[k].value)]); });
      return parts.join(", ");
    }

    function show() {
      var i = Number(slider.value);
      var src = url(setting(), i);
      if (image.getAttribute("src") !== src) image.src = src;
      readout.textContent = data.t[i].toFixed(2);
      slider.setAttribute("aria-valuetext", "t = " + data.t[i].toFixed(2));
      image.alt = data.alt + " (" + describe(i) + ")";
    }

    function stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", "play t");
      button.innerHTML = '<span aria-hidden="true">\u25b6</span> play';
    }

    function tick() {
      var i = Number(slider.value);
      if (i >= nT - 1) { stop(); return; }
      if (!loaded[url(setting(), i + 1)]) return;  // still on its way: wait for it
      slider.value = String(i + 1);
      show();
    }

    function play() {
      if (Number(slider.value) >= nT - 1) { slider.value = "0"; show(); }
      if (!started) prefetch();
      button.setAttribute("aria-pressed", "true");
      button.setAttribute("aria-label", "pause");
      button.innerHTML = '<span aria-hidden="true">\u275a\u275a</span> pause';
      timer = setInterval(tick, FRAME_MS);
    }

    button.addEventListener("click", function () { if (timer === null) play(); else stop(); });
    slider.addEventListener("input", function () { show(); if (!started) prefetch(); });
    selects.forEach(function (select) {
      select.addEventListener("change", function () { show(); prefetch(); });
    });
    // A key pressed on the figure outside its controls moves t like the slider's own keys.
    figure.addEventListener("keydown", function (event) {
      if (event.target === slider || event.target.tagName === "SELECT") return;
      var i = Number(slider.value), to = null;
      if (event.key === "ArrowRight" || event.key === "ArrowUp") to = Math.min(nT - 1, i + 1);
      else if (event.key === "ArrowLeft" || event.key === "ArrowDown") to = Math.max(0, i - 1);
      else if (event.key === "Home") to = 0;
      else if (event.key === "End") to = nT - 1;
      if (to === null) return;
      event.preventDefault();
      slider.value = String(to);
      show();
      if (!started) prefetch();
    });

    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) {
          observer.disconnect();
          if (!started) prefetch();
        }
      }, {rootMargin: "200px"});
      observer.observe(figure);
    }
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
