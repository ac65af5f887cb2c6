// Copies the front-end packages pinned in package-lock.json into lms/static/vendor/,
// so that Django serves them from our own static files (no CDN at run time).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "lms", "static", "vendor");
const files = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  // The live room's client of the Janus media server (a classic script: the global `Janus`), and the
  // WebRTC adapter it expects as the global `adapter`.
  ["janus-gateway/npm/src/janus.js", "janus.js"],
  ["webrtc-adapter/out/adapter.js", "adapter.js"],
  // HLS in browsers without it built in (live lectures for phones, videos on demand): the global `Hls`.
  ["hls.js/dist/hls.min.js", "hls.min.js"],
  // Its source map too: the file names it, and collectstatic's manifest refuses a missing one.
  ["hls.js/dist/hls.min.js.map", "hls.min.js.map"],
  // Charts of the county dashboards and the annual report: the global `echarts`.
  ["echarts/dist/echarts.min.js", "echarts.min.js"],
];

mkdirSync(vendor, { recursive: true });
for (const [source, target] of files) {
  copyFileSync(join(root, "node_modules", source), join(vendor, target));
  console.log(`vendor: ${source} -> lms/static/vendor/${target}`);
}
