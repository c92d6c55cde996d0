// Progressive enhancement for the public form (every page works without it):
// a live character counter, a commune filter, a photo size check, and a copy button.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase().replace(/\s+/g, " ").trim();
  }

  // Characters as the server counts them: code points after NFC.
  function length(text) {
    return Array.from(text.normalize("NFC")).length;
  }

  function setUpCounter(area) {
    var counter = document.getElementById(area.dataset.counter);
    var max = parseInt(area.dataset.max, 10);
    if (!counter || !max) { return; }
    var template = counter.dataset.template || "{count} / " + max;
    function update() {
      var n = length(area.value);
      counter.textContent = template.replace("{count}", String(n));
      counter.classList.toggle("over", n > max);
    }
    area.addEventListener("input", update);
    update();
  }

  function setUpCommuneFilter(input) {
    var select = document.getElementById(input.dataset.filter);
    if (!select) { return; }
    var placeholder = select.options[0];
    var all = Array.prototype.slice.call(select.options, 1).map(function (option) {
      return { option: option, key: fold(option.text) };
    });
    function strip(key) {
      return key.replace(/^(xa|phuong|dac khu|thi tran) /, "");
    }
    function filter() {
      var query = fold(input.value);
      var chosen = select.value;
      var shown = all.filter(function (item) {
        return !query || item.key.indexOf(query) !== -1 || strip(item.key).indexOf(strip(query)) === 0;
      });
      while (select.options.length > 1) { select.remove(1); }
      shown.forEach(function (item) { select.add(item.option); });
      if (shown.length === 1) {
        select.value = shown[0].option.value;
      } else if (shown.some(function (item) { return item.option.value === chosen; })) {
        select.value = chosen;
      } else {
        select.value = placeholder.value;
      }
    }
    input.addEventListener("input", filter);
    if (input.value) { filter(); }
  }

  function setUpPhotoCheck(input) {
    var max = parseInt(input.dataset.maxBytes, 10);
    var message = document.getElementById("js-photo");
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var tooBig = !!(file && max && file.size > max);
      if (message) {
        message.textContent = tooBig ? input.dataset.tooBig : "";
        message.hidden = !tooBig;
      }
      if (tooBig) { input.value = ""; }
    });
  }

  function setUpCopy(button) {
    var target = document.getElementById(button.dataset.copy);
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        button.textContent = button.dataset.copied;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-max]").forEach(setUpCounter);
    document.querySelectorAll("input[data-filter]").forEach(setUpCommuneFilter);
    document.querySelectorAll("input[data-max-bytes]").forEach(setUpPhotoCheck);
    document.querySelectorAll("button[data-copy]").forEach(setUpCopy);
  });
})();
