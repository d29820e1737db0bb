#!/usr/bin/env node
// Lints Cypher statements with Neo4j's own front end (@neo4j-cypher/language-support:
// its parser plus Neo4j's semantic analysis), offline.
//
// Input (stdin, JSON):
//   { "schema": { "labels": [...], "relationshipTypes": [...], "propertyKeys": [...] },
//     "statements": [ { "id": "queries/x.cypher", "text": "MATCH ...", "parameters": { "asOf": "2026-01-01" } } ] }
// Output (stdout, JSON): [ { "id": ..., "diagnostics": [ { "severity": "error"|"warning", "message", "line", "column" } ] } ]
// Exit code 0 when it could lint (diagnostics are data; the caller decides), 2 on bad input.
'use strict';
const { lintCypherQuery } = require('@neo4j-cypher/language-support');

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

function main(input) {
  const request = JSON.parse(input);
  const schema = request.schema || {};
  return request.statements.map((s) => {
    const dbSchema = { ...schema, parameters: s.parameters || {} };
    const { diagnostics } = lintCypherQuery(s.text, dbSchema, { consoleCommandsEnabled: false });
    return {
      id: s.id,
      diagnostics: diagnostics.map((d) => ({
        severity: SEVERITY[d.severity] || String(d.severity),
        message: d.message,
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
      })),
    };
  });
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  let result;
  try {
    result = main(input);
  } catch (err) {
    process.stderr.write(`cypher-lint: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(result));
});
