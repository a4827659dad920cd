// The campaign page: reads the campaign's figures every few seconds and redraws what changed,
// chart included (plain SVG: no library, nothing fetched from anywhere but our server).
"use strict";

(function () {
  const root = document.getElementById("campaign");
  if (!root) return;
  const labels = JSON.parse(document.getElementById("labels").textContent);
  const locale = root.dataset.locale === "en" ? "en-GB" : "fr-FR";
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

  function drawChart(timeline) {
    const svg = root.querySelector("[data-chart] svg");
    const width = 600, height = 200, pad = 4;
    const n = Math.max(timeline.attempts.length, 1);
    const top = Math.max(1, ...timeline.attempts, ...timeline.callbacks);
    const step = width / n;
    const shapes = [];
    timeline.attempts.forEach((count, i) => {
      const bar = document.createElementNS(svgNs, "rect");
      const h = (height - pad) * count / top;
      bar.setAttribute("x", (i * step + step * 0.1).toFixed(2));
      bar.setAttribute("width", Math.max(step * 0.8, 0.5).toFixed(2));
      bar.setAttribute("y", (height - h).toFixed(2));
      bar.setAttribute("height", h.toFixed(2));
      bar.setAttribute("class", "attempts");
      shapes.push(bar);
    });
    const points = timeline.callbacks.map((count, i) =>
      `${(i * step + step / 2).toFixed(2)},${(height - (height - pad) * count / top).toFixed(2)}`);
    const line = document.createElementNS(svgNs, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("class", "callbacks");
    shapes.push(line);
    svg.replaceChildren(...shapes);
    svg.dataset.buckets = String(n);
  }

  function show(figures) {
    root.querySelector("[data-field=status-label]").className = `badge ${figures.status}`;
    setText("[data-field=status-label]", labels.status[figures.status] || figures.status);
    const texts = figures.texts;
    setText("[data-field=updated]", texts.updated);
    setText("[data-field=total]", figures.total);
    root.querySelector("[data-field=progress]").value = figures.progress;
    for (const [stage, count] of Object.entries(figures.counts)) {
      setText(`[data-count="${stage}"]`, count);
    }
    fillList("waiting", Object.entries(figures.waiting).map(([code, entry]) => [
      code, entry.count,
      texts.until[code] || ""]),
      labels.waiting);
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
