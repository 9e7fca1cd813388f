/**
 * Stands in for `semver` inside the vend function's bundle. Its only user there, jsonwebtoken, asks three
 * questions about the running Node.js (`>=15.7.0`, `^6.12.0 || >=8.0.0`, `>=16.9.0`); the full parser costs
 * about 28 KB of bundle and builds dozens of regular expressions at cold start. This answers ranges made
 * of `>=X.Y.Z` and `^X.Y.Z` joined by `||`, and refuses anything else loudly rather than guess.
 */
type Version = readonly [number, number, number];

function parse(text: string): Version {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!match) throw new TypeError(`Invalid version: ${text}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

function compare(a: Version, b: Version): number {
  for (let index = 0; index < 3; index += 1) {
    if (a[index] !== b[index]) return a[index]! < b[index]! ? -1 : 1;
  }
  return 0;
}

export function satisfies(version: string, range: string): boolean {
  const actual = parse(version);
  return range.split('||').some((part) => {
    const match = /^(>=|\^)\s*(\d+\.\d+\.\d+)$/.exec(part.trim());
    if (!match) throw new TypeError(`Unsupported range in the bundled semver: ${range}`);
    const bound = parse(match[2]!);
    if (match[1] === '>=') return compare(actual, bound) >= 0;
    // Caret: same major (for 0.x, same minor), and not below the bound.
    const sameLine = bound[0] === 0 ? actual[0] === 0 && actual[1] === bound[1] : actual[0] === bound[0];
    return sameLine && compare(actual, bound) >= 0;
  });
}
