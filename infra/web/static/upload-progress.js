/* Upload progress for forms marked data-upload-progress (the pre-qualification evidence uploads).
   A static file, so that the page needs no inline script under the Content-Security-Policy.

   The form works without JavaScript (a plain multipart POST answered by a redirect or by the
   page with the errors). With JavaScript the file is sent by XMLHttpRequest instead, so that
   the form's <progress> element shows how much has been sent. The answer is handled as the
   browser would: after a redirect the final page is opened; a page with errors replaces the
   current page's body (and htmx is told about the new content). */
"use strict";
(function () {
  function show(element, visible) {
    if (element) {
      element.hidden = !visible;
    }
  }

  function replacePage(html) {
    var next = new DOMParser().parseFromString(html, "text/html");
    document.title = next.title;
    document.body.replaceWith(document.adoptNode(next.body));
    if (window.htmx) {
      window.htmx.process(document.body);
    }
    var summary = document.querySelector(".vg-error-summary");
    var target = summary || document.getElementById("main");
    if (target) {
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }

  function upload(form) {
    var bar = form.querySelector("[data-upload-progress-bar]");
    var progress = bar && bar.querySelector("progress");
    var failed = form.querySelector("[data-upload-failed]");
    var buttons = form.querySelectorAll("button[type=submit]");
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "text/html");
    request.upload.addEventListener("progress", function (event) {
      if (progress && event.lengthComputable) {
        progress.max = event.total;
        progress.value = event.loaded;
      }
    });
    request.addEventListener("load", function () {
      if (request.status < 400 && request.responseURL) {
        window.location.assign(request.responseURL);
      } else {
        replacePage(request.responseText);
      }
    });
    request.addEventListener("error", function () {
      show(bar, false);
      show(failed, true);
      buttons.forEach(function (button) { button.disabled = false; });
    });
    show(failed, false);
    if (progress) {
      progress.value = 0;
    }
    show(bar, true);
    buttons.forEach(function (button) { button.disabled = true; });
    request.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upload-progress")) {
      return;
    }
    if (!window.FormData || !window.XMLHttpRequest || !window.DOMParser) {
      return;
    }
    event.preventDefault();
    upload(form);
  });
})();
