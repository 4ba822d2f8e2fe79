// Parse and render Mermaid blocks with the real Mermaid library in Debian's Chromium.
// Usage: node check.mjs < blocks.json  (a JSON array of diagram texts)
// Prints a JSON array: one {ok, error, svgBytes} per block. Never downloads a browser.
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
  await page.setContent("<!doctype html><html><body></body></html>");
  await page.addScriptTag({ path: mermaidJs });
  const results = await page.evaluate(async (texts) => {
    // GitHub renders with htmlLabels off in a sandbox; 'strict' is its security level.
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    const out = [];
    for (const [i, text] of texts.entries()) {
      try {
        await window.mermaid.parse(text);
        const { svg } = await window.mermaid.render(`block${i}`, text);
        out.push({ ok: true, error: null, svgBytes: svg.length });
      } catch (err) {
        out.push({ ok: false, error: String(err && err.message ? err.message : err), svgBytes: 0 });
      }
    }
    return out;
  }, blocks);
  process.stdout.write(JSON.stringify(results));
} finally {
  await browser.close();
}
