// Keyboard shortcuts for the moderation queues. Every action is also a
// plain form button; this only moves focus and submits those forms.
(function () {
  "use strict";
  var items = [];
  var current = -1;

  function select(index) {
    if (!items.length) return;
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach(function (item, i) {
      item.classList.toggle("is-current", i === current);
    });
    items[current].focus();
    items[current].scrollIntoView({ block: "nearest" });
  }

  function submit(key) {
    var item = items[current];
    if (!item) return;
    var form = item.querySelector("form[data-key='" + key + "']");
    if (!form) return;
    if (key === "r") {
      // Removing needs a reason: focus it; Enter there removes.
      form.querySelector("select").focus();
      return;
    }
    form.requestSubmit();
  }

  document.addEventListener("DOMContentLoaded", function () {
    items = Array.prototype.slice.call(document.querySelectorAll(".mod-item"));
    if (items.length) select(0);
    document.querySelectorAll(".mod-item form[data-key='r'] select").forEach(function (el) {
      el.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          el.form.requestSubmit();
        }
      });
    });
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "x": {
        var box = items[current] && items[current].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
        break;
      }
      case "a": submit("a"); break;
      case "r": submit("r"); break;
      case "u": submit("u"); break;
      case "o":
        if (items[current]) window.location.href = items[current].dataset.threadUrl;
        break;
      default: return;
    }
    event.preventDefault();
  });
})();
