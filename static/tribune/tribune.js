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
    body.querySelectorAll("p[id^='p-']").forEach(function (p) {
      var link = document.createElement("a");
      link.href = "?quote=" + p.id + "#comment-form";
      link.className = "quote-this";
      link.textContent = "Quote";
      link.setAttribute("aria-label", "Quote this paragraph in a comment");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var selection = window.getSelection();
        var text = selection && !selection.isCollapsed && p.contains(selection.anchorNode)
          ? selection.toString()
          : p.textContent.replace(/Quote$/, "");
        insertQuote(commentBox(), text);
      });
      p.appendChild(link);
    });
  }

  document.addEventListener("DOMContentLoaded", addParagraphLinks);
})();
