// Reads the SARIF report `bounded check --format sarif` wrote, for the GitHub Action's script
// step (scripts/action-check.sh):
//
//   node scripts/action-report.mjs count FILE       the number of findings
//   node scripts/action-report.mjs annotate FILE    one workflow annotation per finding
//   node scripts/action-report.mjs summary FILE     a Markdown summary (findings by rule)
//
// A file that is not bounded's SARIF fails with a message naming it, never a count of 0.
import { readFileSync } from 'node:fs';

const [mode, file] = process.argv.slice(2);
if (!['count', 'annotate', 'summary'].includes(mode ?? '') || file === undefined) {
  console.error('usage: node scripts/action-report.mjs count|annotate|summary FILE');
  process.exit(2);
}

let log;
try {
  log = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`${file}: not a SARIF report: ${error.message}`);
  process.exit(2);
}
if (!Array.isArray(log?.runs)) {
  console.error(`${file}: not a SARIF report: no "runs" array`);
  process.exit(2);
}
const results = log.runs.flatMap((run) => (Array.isArray(run.results) ? run.results : []));

// Workflow commands: `%`, CR and LF are escaped in the message; `:` and `,` too in properties.
const escapeData = (text) => String(text).replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (text) => escapeData(text).replaceAll(':', '%3A').replaceAll(',', '%2C');

switch (mode) {
  case 'count':
    console.log(results.length);
    break;
  case 'annotate':
    for (const result of results) {
      const location = result.locations?.[0]?.physicalLocation;
      const region = location?.region ?? {};
      const properties = [
        location?.artifactLocation?.uri === undefined ? undefined : `file=${escapeProperty(location.artifactLocation.uri)}`,
        region.startLine === undefined ? undefined : `line=${region.startLine}`,
        region.startColumn === undefined ? undefined : `col=${region.startColumn}`,
        region.endLine === undefined ? undefined : `endLine=${region.endLine}`,
        region.endColumn === undefined ? undefined : `endColumn=${region.endColumn}`,
        result.ruleId === undefined ? undefined : `title=${escapeProperty(result.ruleId)}`,
      ].filter((property) => property !== undefined);
      const command = result.level === 'warning' ? 'warning' : 'error';
      console.log(`::${command} ${properties.join(',')}::${escapeData(result.message?.text ?? '')}`);
    }
    break;
  case 'summary': {
    const byRule = new Map();
    for (const result of results) byRule.set(result.ruleId ?? '(no rule)', (byRule.get(result.ruleId ?? '(no rule)') ?? 0) + 1);
    const lines = [`### bounded check: ${results.length === 1 ? '1 finding' : `${results.length} findings`}`, ''];
    if (byRule.size > 0) {
      lines.push('| rule | findings |', '| --- | ---: |');
      for (const [rule, count] of [...byRule].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])))
        lines.push(`| \`${rule}\` | ${count} |`);
    }
    console.log(lines.join('\n'));
    break;
  }
}
