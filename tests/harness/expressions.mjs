// Evaluate GitHub Actions expressions with GitHub's own engine (npm @actions/expressions, the
// implementation behind the Actions language service), so the end-to-end tests read `with:`,
// `if:` and `outputs:` of the example workflows the way the runner does, not the way we think.
//
// Usage: node expressions.mjs PATH/TO/@actions/expressions/dist/index.js, then one request per
// line on stdin, one answer per line on stdout (one process serves a whole test session).
// request: [{kind: "template" | "condition", text, contexts: {name: value}, status: {...}}]
// status: {success, failure, cancelled} for the status functions (always() is always true).
// answer:  [{value} | {error}] in the same order. A template substitutes every ${{ }} with the
// result coerced to a string; a condition is a job or step `if:` (with or without ${{ }}), with
// `success() &&` implied when it calls no status function, as the runner does.
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const engine = await import(pathToFileURL(process.argv[2]).href);
const { truthy } = await import(pathToFileURL(process.argv[2].replace(/index\.js$/, "result.js")).href);
const { Lexer, Parser, Evaluator, data } = engine;

const STATUS = /\b(success|failure|always|cancelled)\s*\(/;
const EXPRESSION = /\$\{\{(.*?)\}\}/gs;

function statusFunctions(status) {
  const make = (name, value) => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value),
  });
  return [
    make("success", status.success ?? (!status.failure && !status.cancelled)),
    make("failure", Boolean(status.failure)),
    make("cancelled", Boolean(status.cancelled)),
    make("always", true),
  ];
}

function evaluate(text, contexts, status) {
  const tokens = new Lexer(text).lex().tokens;
  const functions = statusFunctions(status);
  const ast = new Parser(tokens, Object.keys(contexts), functions).parse();
  const context = JSON.parse(JSON.stringify(contexts), data.reviver);
  return new Evaluator(ast, context, new Map(functions.map((f) => [f.name, f]))).evaluate();
}

function run(item) {
  const status = item.status ?? {};
  if (item.kind === "template") {
    return String(item.text).replace(EXPRESSION, (_, inner) =>
      evaluate(inner.trim(), item.contexts, status).coerceString(),
    );
  }
  if (item.kind === "condition") {
    let text = String(item.text).trim();
    const whole = /^\$\{\{(.*)\}\}$/s.exec(text);
    if (whole) text = whole[1].trim();
    if (!STATUS.test(text)) text = `success() && (${text})`;
    return truthy(evaluate(text, item.contexts, status));
  }
  throw new Error(`unknown kind ${item.kind}`);
}

function answer(item) {
  try {
    return { value: run(item) };
  } catch (error) {
    return { error: `${item.kind} ${JSON.stringify(item.text)}: ${error.message}` };
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(JSON.stringify(JSON.parse(line).map(answer)) + "\n");
}
