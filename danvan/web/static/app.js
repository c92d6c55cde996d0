/* Dân Vận staff UI: small progressive enhancements. Everything works without this file;
   it adds filtering of long pick-lists, auto-submitting filters, reply drafts that survive
   other form posts, Ctrl+Enter to send, scrolling of the message log, and pauses polling
   while the tab is hidden. No inline scripts anywhere (CSP). */
(function () {
  "use strict";

  // "Xã Minh Quang" -> "xa minh quang": search with or without diacritics.
  function fold(text) {
    return (text || "")
      .toLowerCase()
      .replace(/đ/g, "d")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/\s+/g, " ")
      .trim();
  }

  function bindOnce(el, name) {
    if (el.dataset["bound" + name]) return false;
    el.dataset["bound" + name] = "1";
    return true;
  }

  function setupPickers(root) {
    root.querySelectorAll("input[data-filter-select]").forEach(function (input) {
      if (!bindOnce(input, "Pick")) return;
      var select = document.getElementById(input.dataset.filterSelect);
      if (!select) return;
      input.addEventListener("input", function () {
        var needle = fold(input.value);
        var first = null;
        Array.prototype.forEach.call(select.options, function (option) {
          var match = !needle || option.value === "" || fold(option.text).indexOf(needle) !== -1;
          option.hidden = !match;
          if (match && option.value && !first) first = option;
        });
        if (needle && first) select.value = first.value;
      });
    });
    root.querySelectorAll("input[data-filter-items]").forEach(function (input) {
      if (!bindOnce(input, "Items")) return;
      var list = document.getElementById(input.dataset.filterItems);
      if (!list) return;
      input.addEventListener("input", function () {
        var needle = fold(input.value);
        list.querySelectorAll("[data-filter-item]").forEach(function (item) {
          item.hidden = !!needle && fold(item.textContent).indexOf(needle) === -1;
        });
      });
    });
    // Enter in a filter box filters; it must not submit the surrounding form by surprise.
    root.querySelectorAll("input.picker-filter").forEach(function (input) {
      if (!bindOnce(input, "Enter")) return;
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !input.closest("form[data-autosubmit]")) event.preventDefault();
      });
    });
  }

  function setupAutosubmit(root) {
    root.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      if (!bindOnce(form, "Auto")) return;
      form.addEventListener("change", function (event) {
        var target = event.target;
        if (target.matches("select, input[type=checkbox], input[type=radio]")) {
          if (form.requestSubmit) form.requestSubmit();
          else form.submit();
        }
      });
    });
  }

  function setupDrafts(root) {
    root.querySelectorAll("textarea[data-draft-key]").forEach(function (area) {
      if (!bindOnce(area, "Draft")) return;
      var key = "danvan-draft-" + area.dataset.draftKey;
      try {
        if (!area.value && sessionStorage.getItem(key)) area.value = sessionStorage.getItem(key);
      } catch (e) { /* storage disabled: drafts are only lost on reload */ }
      area.addEventListener("input", function () {
        try { sessionStorage.setItem(key, area.value); } catch (e) { /* ignore */ }
      });
      var form = area.form;
      if (form) {
        form.addEventListener("submit", function () {
          try { sessionStorage.removeItem(key); } catch (e) { /* ignore */ }
        });
      }
      area.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && form) {
          event.preventDefault();
          if (form.requestSubmit) form.requestSubmit();
          else form.submit();
        }
      });
    });
  }

  var log = null;
  var stickToBottom = true;

  function nearBottom(el) {
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  function scrollLog() {
    if (log && log.scrollHeight > log.clientHeight) log.scrollTop = log.scrollHeight;
  }

  function setupLog() {
    log = document.getElementById("messages");
    if (!log) return;
    scrollLog();
    // On a phone the page itself scrolls: start at the newest messages, like a chat app.
    var composer = document.getElementById("composer");
    if (log.scrollHeight <= log.clientHeight && composer && window.innerWidth <= 760) {
      composer.scrollIntoView({ block: "end" });
    }
    log.addEventListener("scroll", function () { stickToBottom = nearBottom(log); });
  }

  // The inbox filters come closed from the server unless some are in use; wide screens show
  // them anyway (CSS), and here the <details> is opened to match, so nothing moves after load.
  function setupFolding() {
    document.querySelectorAll("details[data-close-narrow]").forEach(function (details) {
      if (window.innerWidth > 900) details.open = true;
    });
  }

  // The menus (<details data-menu>) work without script; this closes them with Escape (focus
  // back on their button) and on a click elsewhere, and keeps one open at a time.
  function setupMenus() {
    var menus = document.querySelectorAll("details[data-menu]");
    if (!menus.length) return;
    function closeAll(except) {
      menus.forEach(function (menu) { if (menu !== except) menu.open = false; });
    }
    menus.forEach(function (menu) {
      menu.addEventListener("toggle", function () { if (menu.open) closeAll(menu); });
    });
    document.addEventListener("click", function (event) {
      menus.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) menu.open = false; });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      menus.forEach(function (menu) {
        if (!menu.open) return;
        menu.open = false;
        var summary = menu.querySelector("summary");
        if (summary) summary.focus();
      });
    });
  }

  // Buttons that message citizens ask first (data-confirm: the question, with the number of
  // people). A <dialog> when script runs; without script the server's own confirm page asks.
  function setupConfirm(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (!bindOnce(form, "Confirm") || typeof HTMLDialogElement === "undefined") return;
      form.addEventListener("submit", function (event) {
        if (form.dataset.confirmed === "1") return;
        if (form.dataset.confirmIf && !form.querySelector(form.dataset.confirmIf)) return;
        event.preventDefault();
        var dialog = document.getElementById("confirm-dialog");
        if (!dialog) return;
        dialog.querySelector("[data-confirm-text]").textContent = form.dataset.confirm;
        dialog.returnValue = "";
        dialog.showModal();
        dialog.addEventListener("close", function onClose() {
          dialog.removeEventListener("close", onClose);
          if (dialog.returnValue !== "yes") return;
          var flag = form.querySelector("input[name=confirmed]");
          if (!flag) {
            flag = document.createElement("input");
            flag.type = "hidden";
            flag.name = "confirmed";
            form.appendChild(flag);
          }
          flag.value = "1";
          form.dataset.confirmed = "1";
          if (form.requestSubmit) form.requestSubmit(event.submitter || undefined);
          else form.submit();
        });
      });
    });
  }

  function setupFlash() {
    var flash = document.querySelector(".flash");
    if (flash) setTimeout(function () { flash.classList.add("is-gone"); }, 5000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupPickers(document);
    setupAutosubmit(document);
    setupDrafts(document);
    setupLog();
    setupFolding();
    setupMenus();
    setupConfirm(document);
    setupFlash();
  });

  // Polling pauses while the tab is hidden; nothing is missed, the next poll catches up.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var trigger = event.detail && event.detail.elt;
    if (document.hidden && trigger && trigger.getAttribute("hx-trigger")) event.preventDefault();
  });

  document.addEventListener("htmx:oobAfterSwap", function () {
    if (log && stickToBottom) scrollLog();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (target) {
      setupPickers(target);
      setupAutosubmit(target);
      setupConfirm(target);
    }
  });
})();
