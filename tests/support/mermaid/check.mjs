// Parse and render Mermaid blocks with the real Mermaid library in Debian's Chromium.
// Usage: node check.mjs < blocks.json  (a JSON array of diagram texts)
// Prints a JSON array: one {ok, error, svgBytes, overlaps} per block. Never downloads a
// browser. `overlaps` lists axis labels that overlap a neighbour once the SVG is laid out
// in a GitHub-wide column (830 px): a chart a reviewer cannot read.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const mermaidJs = require.resolve("mermaid/dist/mermaid.min.js");
const blocks = JSON.parse(readFileSync(0, "utf8"));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage();
  await page.setContent(
    "<!doctype html><html><body><div id='column' style='width:830px'></div></body></html>",
  );
  await page.addScriptTag({ path: mermaidJs });
  const results = await page.evaluate(async (texts) => {
    // GitHub renders with htmlLabels off in a sandbox; 'strict' is its security level.
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    const out = [];
    for (const [i, text] of texts.entries()) {
      try {
        await window.mermaid.parse(text);
        const { svg } = await window.mermaid.render(`block${i}`, text);
        const column = document.getElementById("column");
        column.innerHTML = svg;
        const overlaps = [];
        for (const axis of column.querySelectorAll("g[class$='-axis']")) {
          const boxes = [...axis.querySelectorAll("g.label text")].map((t) => ({
            text: t.textContent,
            box: t.getBoundingClientRect(),
          }));
          for (let a = 0; a < boxes.length; a++) {
            for (let b = a + 1; b < boxes.length; b++) {
              const p = boxes[a].box, q = boxes[b].box;
              const apart = p.right <= q.left || q.right <= p.left || p.bottom <= q.top || q.bottom <= p.top;
              if (!apart) overlaps.push(`${axis.getAttribute("class")}: ${boxes[a].text} / ${boxes[b].text}`);
            }
          }
        }
        column.innerHTML = "";
        out.push({ ok: true, error: null, svgBytes: svg.length, overlaps });
      } catch (err) {
        out.push({ ok: false, error: String(err && err.message ? err.message : err), svgBytes: 0, overlaps: [] });
      }
    }
    return out;
  }, blocks);
  process.stdout.write(JSON.stringify(results));
} finally {
  await browser.close();
}
