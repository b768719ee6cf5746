// The sign-up's unit list: typing in the search box above it keeps only the units whose name
// contains what was typed (hundreds of units are too many to scroll on a phone). The box is
// hidden until this runs, so without script the plain list still works.
(function () {
  function setup() {
    var box = document.getElementById("unit-search");
    var select = box && document.getElementById(box.dataset.for);
    if (!select || select.units) return; // set up already (the departments swap keeps it)
    box.hidden = false;
    // Every unit as [value, name], read once; the first option is 请选择单位.
    select.units = Array.prototype.slice.call(select.options, 1).map(function (o) { return [o.value, o.text]; });
  }
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (box.id !== "unit-search") return;
    var select = document.getElementById(box.dataset.for);
    var words = box.value.replace(/\s+/g, "").toLowerCase();
    var chosen = select.value;
    var found = select.units.filter(function (u) { return u[1].toLowerCase().indexOf(words) >= 0; });
    select.length = 1; // keep 请选择单位
    // The texts in the page's language (the box's data-choose, data-found, data-none), else Chinese.
    var texts = box.dataset;
    select.options[0].text = !words ? (texts.choose || "请选择单位")
      : found.length ? (texts.found || "请选择单位（找到 {n} 个）").replace("{n}", found.length)
      : (texts.none || "没有找到该单位");
    found.forEach(function (u) { select.add(new Option(u[1], u[0], false, u[0] === chosen)); });
    if (found.length === 1) select.value = found[0][0];
    if (select.value !== chosen) select.dispatchEvent(new Event("change", { bubbles: true })); // its 部门 list
  });
  document.addEventListener("keydown", function (event) {
    // Enter in the search box chooses nothing and must not send the form half filled.
    if (event.target.id === "unit-search" && event.key === "Enter") event.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", setup);
  document.addEventListener("htmx:afterSettle", setup);
})();
