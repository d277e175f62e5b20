// A material list (the window's intake, the portal's application) is rendered again by the
// server when the situations or the applicant change, from the form as it was when the request
// left. What the person ticked, typed or chose in the list while that request was on its way is
// carried into the new list, so a quick tick or a chosen file is never lost. A list takes part
// with the attribute data-keep-inputs and an id.
(function () {
  "use strict";
  let kept = null;

  function key(input) {
    const box = input.type === "checkbox" || input.type === "radio";
    return box ? input.name + "\u0000" + input.value : input.name;
  }

  function remember(list) {
    const state = new Map();
    for (const input of list.querySelectorAll("input[name], select[name], textarea[name]")) {
      if (input.type === "checkbox" || input.type === "radio") state.set(key(input), input.checked);
      else if (input.type === "file") state.set(key(input), input.files);
      else state.set(key(input), input.value);
    }
    return { id: list.id, state: state };
  }

  function restore(list, state) {
    for (const input of list.querySelectorAll("input[name], select[name], textarea[name]")) {
      if (!state.has(key(input))) continue;
      const value = state.get(key(input));
      if (input.type === "checkbox" || input.type === "radio") input.checked = value;
      else if (input.type === "file") input.files = value;
      else input.value = value;
    }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    kept = target && target.id && target.hasAttribute("data-keep-inputs") ? remember(target) : null;
  });

  // Right after the swap (not after the settle delay), so a second swap cannot come between.
  document.addEventListener("htmx:afterSwap", function () {
    const list = kept && document.getElementById(kept.id);
    if (list) restore(list, kept.state);
    kept = null;
  });
})();
