// Progressive enhancement for article pages: a "Quote" link beside each
// paragraph puts it (or the selected part of it) into the comment form. The
// links point at ?quote=p-N#comment-form, which the server also understands,
// so opening one in a new tab pre-fills the form there.
(function () {
  "use strict";

  function commentBox() {
    return document.querySelector("#comment-form textarea");
  }

  function insertQuote(textarea, text) {
    var quoted = text.trim().split(/\n+/).map(function (line) {
      return "> " + line;
    }).join("\n>\n");
    var before = textarea.value.replace(/\s+$/, "");
    textarea.value = (before ? before + "\n\n" : "") + quoted + "\n\n";
    textarea.focus();
    textarea.setSelectionRange(textarea.value.length, textarea.value.length);
  }

  function addParagraphLinks() {
    var body = document.querySelector(".article-body");
    if (!body || !commentBox()) return;
    // The words come from the page, in the reader's language.
    var wrap = document.getElementById("comment-form");
    var label = wrap.getAttribute("data-quote-label") || "Quote";
    var title = wrap.getAttribute("data-quote-title") || label;
    body.querySelectorAll("p[id^='p-']").forEach(function (p) {
      var link = document.createElement("a");
      link.href = "?quote=" + p.id + "#comment-form";
      link.className = "quote-this";
      link.textContent = label;
      link.setAttribute("aria-label", title);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var selection = window.getSelection();
        var text = selection && !selection.isCollapsed && p.contains(selection.anchorNode)
          ? selection.toString()
          : p.textContent.slice(0, p.textContent.length - (p.textContent.endsWith(label) ? label.length : 0));
        insertQuote(commentBox(), text);
      });
      p.appendChild(link);
    });
  }

  document.addEventListener("DOMContentLoaded", addParagraphLinks);
})();

// Live updates on article pages: when readers post, "N new comments — Show"
// appears in a fixed box, announced politely; the thread itself is left as it
// is, so the page never moves under the reader. "Show" is a plain link to the
// first new comment's permalink. Without EventSource (or JavaScript) nothing
// appears and nothing breaks: a reload shows the new comments.
(function () {
  "use strict";

  var source = null;

  // The server sends the words in the reader's language (data.text).
  function describe(data) {
    if (data.text) return data.text;
    return data.count === 1 ? "1 new comment" : data.count + " new comments";
  }

  function show(region, data) {
    if (!data.count || !data.url) {
      region.replaceChildren();
      return;
    }
    var text = describe(data);
    var link = region.querySelector("a");
    if (link && link.getAttribute("href") === data.url &&
        region.querySelector(".live-count").textContent === text) {
      return;  // the same news again: say nothing twice
    }
    var notice = document.createElement("p");
    notice.className = "live-notice";
    var count = document.createElement("span");
    count.className = "live-count";
    count.textContent = text;
    link = document.createElement("a");
    link.href = data.url;
    link.className = "live-show";
    link.textContent = region.getAttribute("data-show") || "Show";
    notice.append(count, " — ", link);
    region.replaceChildren(notice);
  }

  function connect() {
    var region = document.getElementById("live-comments");
    if (!region || !window.EventSource || source) return;
    var after = region.getAttribute("data-after") || "";
    if (!/^\d+$/.test(after)) return;
    source = new EventSource(region.getAttribute("data-url") + "?after=" + after);
    source.addEventListener("comments", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      show(region, data);
    });
    // EventSource reconnects by itself after errors and after each answer.
  }

  function disconnect() {
    if (source) {
      source.close();
      source = null;
    }
  }

  document.addEventListener("DOMContentLoaded", connect);
  // Closed when the reader leaves, so the page can enter the back-forward
  // cache; opened again if they come back to it.
  window.addEventListener("pagehide", disconnect);
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) connect();
  });
})();
