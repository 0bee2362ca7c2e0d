// The HTML and CSS features of each e-mail that caniemail.com lists as unsupported, per
// client: node lint.mjs FILE.html ... prints {"FILE.html": {"outlook.windows": [...], ...}}.
import { readFileSync } from "node:fs";
import { doIUseEmail } from "@jsx-email/doiuse-email";

const CLIENTS = { "outlook.windows": "outlook.windows", gmail: "gmail.*", "apple-mail": "apple-mail.*" };
const UNSUPPORTED = /^`(.+)` is not supported by `([^`]+)`/;

const report = {};
for (const file of process.argv.slice(2)) {
  const html = readFileSync(file, "utf8");
  report[file] = {};
  for (const [name, glob] of Object.entries(CLIENTS)) {
    const result = doIUseEmail(html, { emailClients: [glob] });
    const features = new Set();
    for (const error of result.success ? [] : result.errors) {
      const match = error.match(UNSUPPORTED);
      if (match) features.add(match[1]);
    }
    report[file][name] = [...features].sort();
  }
}
console.log(JSON.stringify(report, null, 1));
