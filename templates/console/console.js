// The console's one script: a little help, nothing the pages need to work without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // An invitation's token rides in the link's #fragment (never sent to a server): put it in the form.
  const invitation = document.getElementById("invitation");
  if (invitation && location.hash.length > 1) {
    invitation.value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname + location.search);
  }
  // Only the reasons of the chosen action.
  for (const select of document.querySelectorAll("select[data-reasons]")) {
    const reasons = select.form.querySelector("select[name=reason]");
    const show = () => {
      let first = null;
      for (const option of reasons.options) {
        option.hidden = option.disabled = option.dataset.action !== select.value;
        if (!option.hidden && first === null) first = option;
      }
      if (reasons.selectedOptions[0]?.hidden && first) first.selected = true;
    };
    select.addEventListener("change", show);
    show();
  }
  // A form that asks first.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // Choosing a scheme shows its form.
  for (const select of document.querySelectorAll("select[data-submit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // A page of running jobs reloads itself until none runs.
  const refresh = document.querySelector("[data-refresh]");
  if (refresh) setTimeout(() => location.reload(), Number(refresh.dataset.refresh) * 1000);
  // An invitation link selected at a click, to copy.
  for (const input of document.querySelectorAll("input.copy")) input.addEventListener("focus", () => input.select());
});
