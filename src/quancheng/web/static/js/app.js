/* Progressive enhancements of the Quancheng pages; every page also works without them. */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  function addItemRow(button) {
    var rows = document.getElementById("item-rows");
    var template = document.getElementById("item-row-template");
    if (!rows || !template) {
      return false;
    }
    var index = parseInt(rows.getAttribute("data-next-index") || "0", 10);
    rows.setAttribute("data-next-index", String(index + 1));
    var html = template.innerHTML.replace(/__i__/g, String(index));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    rows.appendChild(row);
    var first = row.querySelector("input");
    if (first) {
      first.focus();
    }
    return true;
  }

  function removeItemRow(button) {
    var row = button.closest("[data-item-row]");
    var rows = document.getElementById("item-rows");
    if (!row || !rows) {
      return;
    }
    if (rows.querySelectorAll("[data-item-row]").length > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input").forEach(function (input) {
        input.value = "";
      });
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    var add = target.closest("[data-add-row]");
    if (add && addItemRow(add)) {
      event.preventDefault();
      return;
    }
    var remove = target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      removeItemRow(remove);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // htmx moves the address bar along with the search; the language links must follow it.
  function syncLanguageLinks() {
    var here = window.location.pathname + window.location.search;
    document.querySelectorAll("a[data-lang-link]").forEach(function (link) {
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("next", here);
      link.href = url.pathname + url.search;
    });
  }
  document.addEventListener("htmx:pushedIntoHistory", syncLanguageLinks);
  window.addEventListener("popstate", syncLanguageLinks);
})();
