// The model page's quickstart tabs (WAI-ARIA tabs pattern): without this script every snippet is simply shown.
for (const tabs of document.querySelectorAll("[data-tabs]")) {
  const buttons = [...tabs.querySelectorAll('[role="tab"]')];
  const select = (chosen, focus) => {
    for (const button of buttons) {
      const on = button === chosen;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      document.getElementById(button.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) chosen.focus();
  };
  buttons.forEach((button, index) => {
    button.addEventListener("click", () => select(button, false));
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (event.key === "Home") select(buttons[0], true);
      else if (event.key === "End") select(buttons[buttons.length - 1], true);
      else if (step) select(buttons[(index + step + buttons.length) % buttons.length], true);
      else return;
      event.preventDefault();
    });
  });
  select(buttons.find((button) => button.getAttribute("aria-selected") === "true") ?? buttons[0], false);
}
