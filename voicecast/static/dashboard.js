// The campaign page: reads the campaign's figures every few seconds and redraws what changed,
// chart included (plain SVG: no library, nothing fetched from anywhere but our server).
"use strict";

(function () {
  const root = document.getElementById("campaign");
  if (!root) return;
  const labels = JSON.parse(document.getElementById("labels").textContent);
  const locale = {"en": "en-GB", "en-US": "en-US"}[root.dataset.locale] || "fr-FR";
  const svgNs = "http://www.w3.org/2000/svg";

  function setText(selector, text) {
    const element = root.querySelector(selector);
    if (element && element.textContent !== String(text)) element.textContent = text;
  }

  function fillList(name, entries, label) {
    const list = root.querySelector(`[data-list="${name}"]`);
    list.replaceChildren(...entries.map(([code, count, note]) => {
      const item = document.createElement("li");
      const what = document.createElement("span");
      what.textContent = label[code] || code;
      const value = document.createElement("strong");
      value.textContent = count;
      item.append(what, value);
      if (note) {
        const small = document.createElement("small");
        small.textContent = note;
        item.append(small);
      }
      return item;
    }));
  }

  // The chart's frame (viewBox units): the plot inside, room for the axes' labels around it.
  const W = 640, H = 240, LEFT = 44, RIGHT = 12, TOP = 12, BOTTOM = 46;

  function svgElement(name, attributes, text) {
    const element = document.createElementNS(svgNs, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // A moment as the account reads it: in its time zone, with the day on the first label and
  // on every label once the chart spans more than a day.
  function timeLabel(moment, withDay) {
    // US readers write 8:00 PM, not 08:00 PM.
    const hour = locale === "en-US" ? "numeric" : "2-digit";
    const options = {hour, minute: "2-digit", timeZone: root.dataset.timezone};
    if (withDay) Object.assign(options, {day: "2-digit", month: "2-digit"});
    return moment.toLocaleString(locale, options);
  }

  function axes(timeline, n, top) {
    const plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
    const x = svgElement("g", {class: "axis x", "data-axis": "x"});
    const y = svgElement("g", {class: "axis y", "data-axis": "y"});
    x.append(svgElement("line", {x1: LEFT, y1: TOP + plotH, x2: W - RIGHT, y2: TOP + plotH}));
    y.append(svgElement("line", {x1: LEFT, y1: TOP, x2: LEFT, y2: TOP + plotH}));
    const yStep = Math.max(1, Math.ceil(top / 4));
    for (let value = 0; value <= top; value += yStep) {
      const at = TOP + plotH - plotH * value / top;
      y.append(svgElement("line", {x1: LEFT - 4, y1: at, x2: LEFT, y2: at}));
      y.append(svgElement("text", {x: LEFT - 6, y: at + 4, "text-anchor": "end", "data-tick": ""},
        value.toLocaleString(locale)));
    }
    const start = new Date(timeline.start).getTime(), width = timeline.width_seconds;
    const ticks = Math.min(n, 6), every = Math.max(1, Math.round(n / ticks));
    for (let i = 0; i <= n; i += every) {
      const at = LEFT + plotW * i / n;
      x.append(svgElement("line", {x1: at, y1: TOP + plotH, x2: at, y2: TOP + plotH + 4}));
      x.append(svgElement("text", {x: at, y: TOP + plotH + 16, "text-anchor": "middle",
        "data-tick": ""}, timeLabel(new Date(start + i * width * 1000), i === 0 || n * width > 86400)));
    }
    x.append(svgElement("text", {x: LEFT + plotW / 2, y: H - 6, "text-anchor": "middle",
      class: "title"}, `${labels.chart.time} (${root.dataset.timezone})`));
    y.append(svgElement("text", {x: 12, y: TOP + plotH / 2, "text-anchor": "middle", class: "title",
      transform: `rotate(-90 12 ${TOP + plotH / 2})`}, labels.chart.count));
    return [x, y];
  }

  function drawChart(timeline) {
    const svg = root.querySelector("[data-chart] svg");
    const plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
    const n = Math.max(timeline.attempts.length, 1);
    const top = Math.max(1, ...timeline.attempts, ...timeline.callbacks);
    const step = plotW / n;
    const height = (count) => plotH * count / top;
    const shapes = timeline.attempts.map((count, i) => svgElement("rect", {
      x: (LEFT + i * step + step * 0.1).toFixed(2), width: Math.max(step * 0.8, 0.5).toFixed(2),
      y: (TOP + plotH - height(count)).toFixed(2), height: height(count).toFixed(2),
      class: "attempts"}));
    const points = timeline.callbacks.map((count, i) =>
      `${(LEFT + i * step + step / 2).toFixed(2)},${(TOP + plotH - height(count)).toFixed(2)}`);
    shapes.push(svgElement("polyline", {points: points.join(" "), class: "callbacks"}));
    svg.replaceChildren(...shapes, ...axes(timeline, n, top));
    svg.dataset.buckets = String(n);
  }

  // A list with nothing in it is hidden with its heading.
  function showSection(name, entries) {
    const section = root.querySelector(`[data-section="${name}"]`);
    if (section) section.hidden = entries.length === 0;
  }

  function show(figures) {
    root.querySelector("[data-field=status-label]").className = `badge ${figures.status}`;
    setText("[data-field=status-label]", labels.status[figures.status] || figures.status);
    const texts = figures.texts;
    setText("[data-field=updated]", texts.updated);
    setText("[data-field=total]", figures.total);
    root.querySelector("[data-field=progress]").value = figures.progress;
    setText("[data-field=progress-text]", texts.progress);
    for (const [stage, count] of Object.entries(figures.counts)) {
      setText(`[data-count="${stage}"]`, count);
    }
    fillList("waiting", Object.entries(figures.waiting).map(([code, entry]) => [
      code, entry.count,
      texts.until[code] || ""]),
      labels.waiting);
    showSection("waiting", Object.keys(figures.waiting));
    showSection("excluded", Object.keys(figures.excluded));
    showSection("reasons", [...Object.keys(figures.waiting), ...Object.keys(figures.excluded)]);
    fillList("excluded", Object.entries(figures.excluded).map(
      ([code, count]) => [code, count, ""]), labels.excluded);
    setText("[data-field=callbacks]", figures.callbacks.calls);
    for (const outcome of ["connected", "voicemail_left", "abandoned", "opted_out"]) {
      setText(`[data-outcome="${outcome}"]`, figures.callbacks[outcome]);
    }
    setText("[data-field=callback-rate]", texts.callback_rate);
    setText("[data-field=cost]", texts.cost);
    setText("[data-field=cost-note]", texts.cost_note);
    for (const form of root.querySelectorAll("form[data-shown-in]")) {
      form.hidden = !form.dataset.shownIn.split(" ").includes(figures.status);
    }
    drawChart(figures.timeline);
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.figuresUrl, {headers: {Accept: "application/json"}});
      if (response.ok) show(await response.json());
    } catch (error) {
      // the next round tries again (a network blip must not stop the page)
    }
    setTimeout(poll, Number(root.dataset.pollMs) || 2000);
  }

  drawChart(JSON.parse(document.getElementById("timeline").textContent));
  setTimeout(poll, Number(root.dataset.pollMs) || 2000);
})();
