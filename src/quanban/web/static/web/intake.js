// The window's material list is rendered again by the server when the situations or the
// applicant's number change, from the form as it was when the request left. What the clerk
// ticked or typed in the list while that request was on its way is carried into the new list,
// so a quick tick is never lost.
(function () {
  "use strict";
  const LIST = "intake-materials";
  let kept = null;

  function state(list) {
    const boxes = new Map();
    const values = new Map();
    for (const input of list.querySelectorAll("input[name], select[name]")) {
      if (input.type === "checkbox" || input.type === "radio") {
        boxes.set(input.name + "\u0000" + input.value, input.checked);
      } else {
        values.set(input.name, input.value);
      }
    }
    return { boxes, values };
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    kept = event.detail.target && event.detail.target.id === LIST ? state(event.detail.target) : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    const list = document.getElementById(LIST);
    if (!kept || !list) return;
    for (const input of list.querySelectorAll("input[name], select[name]")) {
      if (input.type === "checkbox" || input.type === "radio") {
        const checked = kept.boxes.get(input.name + "\u0000" + input.value);
        if (checked !== undefined) input.checked = checked;
      } else if (kept.values.has(input.name)) {
        input.value = kept.values.get(input.name);
      }
    }
    kept = null;
  });
})();
