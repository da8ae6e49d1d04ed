// Compile .ksy files (given as JSON on stdin) with the npm kaitai-struct-compiler library, which has no
// command-line interface. Input: {"target": "python", "specs": {id: ksy}, "compile": [id, ...]}.
// Output (stdout): {id: {file name: source}}. Imports resolve by meta.id among "specs".
"use strict";
const compiler = require("kaitai-struct-compiler");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const request = JSON.parse(input);
  const importer = {
    importYaml(name) {
      const id = name.replace(/^.*\//, "");
      const spec = request.specs[id];
      return spec ? Promise.resolve(spec) : Promise.reject(new Error("unknown import " + name));
    },
  };
  const out = { version: compiler.version };
  for (const id of request.compile) {
    try {
      out[id] = await compiler.compile(request.target, request.specs[id], importer, false);
    } catch (err) {
      process.stderr.write(`${id}.ksy: ${err && (err.stack || JSON.stringify(err))}\n`);
      process.exit(1);
    }
  }
  process.stdout.write(JSON.stringify(out));
});
