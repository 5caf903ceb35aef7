/**
 * `deno task gen:gtfobins [DATA_DIR]`: reads the GTFOBins database (default ../shared/gtfobins
 * beside this repository) and writes core/gtfobins/table.json. Deterministic; a test checks
 * that the committed table is what the data gives.
 */
import { extractTable, type SourceFile } from "./gtfobins/extract.ts";

const repo = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");

/** Reads the database's executable files. */
export function readDatabase(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const entry of Deno.readDirSync(`${dir}/_gtfobins`)) {
    if (entry.isFile) {
      files.push({
        name: entry.name,
        text: Deno.readTextFileSync(`${dir}/_gtfobins/${entry.name}`),
      });
    }
  }
  return files;
}

/** The table's JSON text for the database in `dir`. */
export function generate(dir: string): string {
  const readme = Deno.readTextFileSync(`${dir}/README.md`);
  const commit = /commit ([0-9a-f]{6,40})/.exec(readme)?.[1] ?? "unknown";
  const table = extractTable(
    readDatabase(dir),
    `GTFOBins (GTFOBins/GTFOBins.github.io, commit ${commit}), GPL-3.0`,
  );
  return `${JSON.stringify(table, null, 1)}\n`;
}

/** Where the database is by default. */
export const DEFAULT_DATA_DIR = `${repo}/../shared/gtfobins`;
/** Where the table goes. */
export const TABLE_PATH = `${repo}/core/gtfobins/table.json`;

if (import.meta.main) {
  const dir = Deno.args[0] ?? DEFAULT_DATA_DIR;
  const text = generate(dir);
  Deno.writeTextFileSync(TABLE_PATH, text);
  const table = JSON.parse(text);
  console.log(`wrote ${TABLE_PATH}: ${table.count} executables`);
}
