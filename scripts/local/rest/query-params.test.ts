// The query-string parser against PostgREST behaviour: what parses into what, and for what does
// not, the exact position and expectations PostgREST's parser reports (its documented examples).
import assert from "node:assert/strict";
import { parseQueryParams, QueryParamError, splitQuery } from "./query-params.ts";

function failure(query: string, isRpcRead = false) {
  try {
    parseQueryParams(splitQuery(query), isRpcRead);
  } catch (error) {
    if (error instanceof QueryParamError) return error.failure;
    throw error;
  }
  assert.fail(`${query} parsed`);
}

Deno.test("malformed parameters fail where and as PostgREST's parser fails", () => {
  const cases: [string, string, string][] = [
    [
      "a.b=noop.0",
      'failed to parse filter (noop.0)" (line 1, column 1',
      'unexpected "o" expecting "not" or operator (eq, gt, ...)',
    ],
    [
      "id=fts().value",
      'failed to parse filter (fts().value)" (line 1, column 5',
      'unexpected ")" expecting operator (eq, gt, ...)',
    ],
    [
      "id=eq().value",
      'failed to parse filter (eq().value)" (line 1, column 4',
      'unexpected ")" expecting operator (eq, gt, ...)',
    ],
    [
      "id=is().value",
      'failed to parse filter (is().value)" (line 1, column 3',
      'unexpected "(" expecting operator (eq, gt, ...)',
    ],
    [
      "id=in().value",
      'failed to parse filter (in().value)" (line 1, column 3',
      'unexpected "(" expecting operator (eq, gt, ...)',
    ],
    [
      "select=id,clients(name[])",
      'failed to parse select parameter (id,clients(name[]))" (line 1, column 16',
      'unexpected \'[\' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input',
    ],
    [
      "select=data->>-78xy",
      'failed to parse select parameter (data->>-78xy)" (line 1, column 11',
      'unexpected \'x\' expecting digit, "->", "::", ".", "," or end of input',
    ],
    [
      "select=name::",
      'failed to parse select parameter (name::)" (line 1, column 7',
      "unexpected end of input expecting letter or digit",
    ],
    [
      "order=id.descc",
      'failed to parse order (id.descc)" (line 1, column 8',
      "unexpected 'c' expecting delimiter (.), \",\" or end of input",
    ],
    [
      "order=id.nullslasttt",
      'failed to parse order (id.nullslasttt)" (line 1, column 13',
      "unexpected 't' expecting \",\" or end of input",
    ],
    [
      "order=id.asc.nlsfst",
      'failed to parse order (id.asc.nlsfst)" (line 1, column 8',
      'unexpected "l" expecting "nullsfirst" or "nullslast"',
    ],
    [
      "order=clients(name,id)",
      'failed to parse order (clients(name,id))" (line 1, column 8',
      'unexpected \'(\' expecting letter, digit, "-", "->>", "->", delimiter (.), "," or end of input',
    ],
    [
      "or=()",
      'failed to parse logic tree (())" (line 1, column 4',
      'unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)',
    ],
    [
      "and=(ord(id.eq.1,id.eq.1),id.eq.2)",
      'failed to parse logic tree ((ord(id.eq.1,id.eq.1),id.eq.2))" (line 1, column 7',
      'unexpected "d" expecting "("',
    ],
    [
      "or=(id.eq.1,not.xor(id.eq.2,id.eq.3))",
      'failed to parse logic tree ((id.eq.1,not.xor(id.eq.2,id.eq.3)))" (line 1, column 16',
      'unexpected "x" expecting logic operator (and, or)',
    ],
  ];
  for (const [query, message, details] of cases) {
    assert.deepEqual(failure(query), { message: `"${message})`, details }, query);
  }
});

Deno.test("what parses: select items, filters, trees, order, ranges", () => {
  const parsed = parseQueryParams(
    splitQuery(
      "select=id,label:name,n::text,data->a->>b&id=not.in.(1,%22a,b%22,3)" +
        "&or=(a.eq.1,and(b.gt.2,c.is.NULL))&order=a.desc.nullslast,b&limit=5&offset=2&x=like.*%2B*",
    ),
    false,
  );
  assert.deepEqual(
    parsed.select.map((item) => item.kind === "field" && [item.alias, item.field.name, item.cast]),
    [
      [null, "id", null],
      ["label", "name", null],
      [null, "n", "text"],
      [null, "data", null],
    ],
  );
  const json = parsed.select[3];
  assert.ok(json.kind === "field");
  assert.deepEqual(json.field.jsonPath, [
    { arrow: "->", key: "a", isIndex: false },
    { arrow: "->>", key: "b", isIndex: false },
  ]);
  assert.deepEqual(parsed.filters.map((f) => f.value), [
    {
      field: { name: "id", jsonPath: [] },
      negated: true,
      operation: { kind: "in", values: ["1", "a,b", "3"] },
    },
    {
      field: { name: "x", jsonPath: [] },
      negated: false,
      operation: { kind: "quant", operator: "like", quantifier: null, value: "*+*" },
    },
  ]);
  const leaf = (name: string, operation: object) => ({
    kind: "filter",
    filter: { field: { name, jsonPath: [] }, negated: false, operation },
  });
  const quant = (operator: string, value: string) => ({
    kind: "quant",
    operator,
    quantifier: null,
    value,
  });
  assert.deepEqual(parsed.logic[0].value, {
    kind: "expr",
    negated: false,
    operator: "or",
    children: [
      leaf("a", quant("eq", "1")),
      {
        kind: "expr",
        negated: false,
        operator: "and",
        children: [leaf("b", quant("gt", "2")), leaf("c", { kind: "is", value: "null" })],
      },
    ],
  });
  assert.deepEqual(parsed.order[0].value.map((t) => [t.field.name, t.direction, t.nulls]), [
    ["a", "desc", "last"],
    ["b", null, null],
  ]);
  assert.deepEqual(parsed.ranges.get("limit"), { lower: 2, upper: 6 });
  // Sorted, as Content-Location shows the query.
  assert.ok(parsed.canonical.startsWith("id=not.in.%281%2C%22a%2Cb%22%2C3%29&limit=5"));
});

Deno.test("RPC reads: a value that is no operator expression is an argument", () => {
  const parsed = parseQueryParams(splitQuery("workspace_id=7&kind=eq.period&name=isabel"), true);
  assert.deepEqual(parsed.rpcArgs, [["workspace_id", "7"], ["name", "isabel"]]);
  assert.deepEqual(parsed.filters.map((f) => f.value.field.name), ["kind"]);
  // Once an operator has consumed input, a broken value is an error again.
  assert.equal(failure("ids=in.abc", true).details, 'unexpected "a" expecting "("');
});
